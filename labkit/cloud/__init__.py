"""labkit.cloud: an offline AWS for the labs, on moto, whose Lambda runs real handler code.

moto keeps AWS state; this package supplies what AWS would otherwise do: run handlers in
execution environments (cold and warm starts, concurrency, timeouts, REPORT lines), deliver
events the way AWS's pollers do, and keep a clock the lab controls.

    from labkit.cloud import LocalCloud
    cloud = LocalCloud()                       # region ap-northeast-2, fake credentials
    fn = cloud.deploy(handler, name="hello")   # a function, a module or a folder
    fn.invoke({"name": "kim"}).result
    cloud.logs("hello")                        # START / END / REPORT, as in CloudWatch Logs

Handlers run in-process by default; `deploy(..., isolation="subprocess")` gives each execution
environment its own process (real cold starts, memory, timeouts) and `isolation="snapshot"`
restores instances from an initialised template, SnapStart-like.

Events arrive as AWS delivers them, when the lab calls `cloud.run_until_idle()`: SQS, DynamoDB
Streams and Kinesis pollers (sqs.py, streams.py), S3 and SNS notifications (s3.py, sns.py),
EventBridge rules and schedules on the lab's clock (eventbridge.py, schedules.py). API Gateway
answers `requests` in-process and `cloud.serve_api()` over real HTTP (apigateway.py); Step
Functions executes with `cloud.wait_execution()` for a readable history (stepfunctions.py);
`cloud.deploy_stack()` deploys CloudFormation, SAM and Serverless Framework output (cloudformation.py).
"""

from .clock import Clock
from .context import LambdaContext
from .errors import CloudUsageError, DeployError, FunctionNotFound, RequestEntityTooLargeException, TooManyRequestsException
from .execution import ISOLATION_MODES, ExecutionEnvironment, FixedKeepAlive, Invocation, KeepAlivePolicy
from .functions import package
from .logs import Report, parse_report
from .session import ACCOUNT_ID, DEFAULT_REGION, FunctionHandle, LocalCloud, local_cloud
from .cloudformation import Stack
from .schedules import ScheduleExpressionError
from .sqs import SqsDelivery
from .stepfunctions import ExecutionHistory
from .streams import StreamDelivery

__all__ = [
    "ACCOUNT_ID",
    "Clock",
    "CloudUsageError",
    "DEFAULT_REGION",
    "DeployError",
    "ExecutionHistory",
    "ExecutionEnvironment",
    "FixedKeepAlive",
    "FunctionHandle",
    "FunctionNotFound",
    "ISOLATION_MODES",
    "Invocation",
    "KeepAlivePolicy",
    "LambdaContext",
    "LocalCloud",
    "Report",
    "RequestEntityTooLargeException",
    "ScheduleExpressionError",
    "SqsDelivery",
    "Stack",
    "StreamDelivery",
    "TooManyRequestsException",
    "local_cloud",
    "package",
    "parse_report",
]
