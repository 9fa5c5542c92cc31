"""labkit.cloud: an offline AWS for the labs, on moto, whose Lambda runs real handler code.

moto keeps AWS state; this package supplies what AWS would otherwise do: run handlers in
execution environments (cold and warm starts, concurrency, timeouts, REPORT lines), deliver
events the way AWS's pollers do, and keep a clock the lab controls.

    from labkit.cloud import LocalCloud
    cloud = LocalCloud()                       # region ap-northeast-2, fake credentials
    fn = cloud.deploy(handler, name="hello")   # a function, a module or a folder
    fn.invoke({"name": "kim"}).result
    cloud.logs("hello")                        # START / END / REPORT, as in CloudWatch Logs
"""

from .clock import Clock
from .context import LambdaContext
from .errors import CloudUsageError, DeployError, FunctionNotFound, TooManyRequestsException
from .execution import ExecutionEnvironment, FixedKeepAlive, Invocation, KeepAlivePolicy
from .functions import package
from .logs import Report, parse_report
from .session import ACCOUNT_ID, DEFAULT_REGION, FunctionHandle, LocalCloud, local_cloud
from .sqs import SqsDelivery

__all__ = [
    "ACCOUNT_ID",
    "Clock",
    "CloudUsageError",
    "DEFAULT_REGION",
    "DeployError",
    "ExecutionEnvironment",
    "FixedKeepAlive",
    "FunctionHandle",
    "FunctionNotFound",
    "Invocation",
    "KeepAlivePolicy",
    "LambdaContext",
    "LocalCloud",
    "Report",
    "SqsDelivery",
    "TooManyRequestsException",
    "local_cloud",
    "package",
    "parse_report",
]
