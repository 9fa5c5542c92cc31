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
Streams and Kinesis pollers (eventsources/), S3 and SNS notifications (s3.py, sns.py),
EventBridge rules and schedules on the lab's clock (events/). API Gateway
answers `requests` in-process and `cloud.serve_api()` over real HTTP (apigateway/); Step
Functions executes with `cloud.wait_execution()` for a readable history (stepfunctions.py);
`cloud.deploy_stack()` deploys CloudFormation, SAM and Serverless Framework output (cloudformation/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import exports as _exports

# Public name -> the submodule that defines it. Imported on first use (PEP 562), so that
# `import labkit.cloud` (or `labkit.cloud.core.clock`) in a kernel loads neither moto nor boto3;
# tests/cloud/test_import_cost.py pins it.
_EXPORTS = {
    "ACCOUNT_ID": "core.credentials",
    "Clock": "core.clock",
    "CloudUsageError": "core.errors",
    "DEFAULT_REGION": "core.credentials",
    "DeployError": "core.errors",
    "ExecutionHistory": "stepfunctions",
    "ExecutionEnvironment": "awslambda",
    "FixedKeepAlive": "awslambda",
    "FunctionHandle": "localcloud",
    "FunctionNotFound": "core.errors",
    "ISOLATION_MODES": "awslambda",
    "Invocation": "awslambda",
    "KeepAlivePolicy": "awslambda",
    "LambdaContext": "awslambda.context",
    "LocalCloud": "localcloud",
    "Report": "awslambda",
    "RequestEntityTooLargeException": "core.errors",
    "ScheduleExpressionError": "events",
    "SqsDelivery": "eventsources",
    "Stack": "cloudformation",
    "StreamDelivery": "eventsources",
    "TooManyRequestsException": "core.errors",
    "local_cloud": "localcloud",
    "resource_limits": "awslambda.cgroups",
    "package": "awslambda",
    "parse_report": "awslambda",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .awslambda import ISOLATION_MODES, ExecutionEnvironment, FixedKeepAlive, Invocation, KeepAlivePolicy, Report, package, parse_report
    from .awslambda.context import LambdaContext
    from .core.clock import Clock
    from .cloudformation import Stack
    from .core.credentials import ACCOUNT_ID, DEFAULT_REGION
    from .core.errors import CloudUsageError, DeployError, FunctionNotFound, RequestEntityTooLargeException, TooManyRequestsException
    from .events import ScheduleExpressionError
    from .awslambda.cgroups import resource_limits
    from .localcloud import FunctionHandle, LocalCloud, local_cloud
    from .eventsources import SqsDelivery
    from .stepfunctions import ExecutionHistory
    from .eventsources import StreamDelivery


__getattr__, __dir__ = _exports(__name__, _EXPORTS)
