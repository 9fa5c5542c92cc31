"""Lambda: execution environments that run real handler code, in-process or as processes.

    models.py       FunctionSpec (a function version), Invocation (a result), Lambda's variables
    keepalive.py    how long idle execution environments are kept
    payloads.py     the AWS error payloads a failed invocation returns, and their log line
    logs.py         START / END / REPORT and INIT lines, Report, parse_report, CloudWatch Logs
    context.py      the context object a handler gets (defined in the bootstrap, for every mode)
    inprocess.py    the in-process ExecutionEnvironment and what keeps instances apart in one process
    runtime.py      LambdaRuntime: pools, acquire/release, the invoke pipeline, ENVIRONMENTS
    processes/      subprocess and snapshot isolation: worker processes, snapshot templates
    bootstrap/      the runtime inside a worker process (stdlib-only; the parent shares its pieces)
    async_invoke.py the asynchronous (Event) invocation queue: retries, destinations, DLQ
    packaging.py    deployment packages: package(), a notebook function's source

The small public API is re-exported here, loaded on first use (PEP 562) like `labkit.cloud`'s,
so that importing one of these names loads no more than its own module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports as _exports

# Public name -> the submodule that defines it.
_EXPORTS = {
    "ExecutionEnvironment": "inprocess",
    "FixedKeepAlive": "keepalive",
    "FunctionSpec": "models",
    "ISOLATION_MODES": "models",
    "Invocation": "models",
    "KeepAlivePolicy": "keepalive",
    "LambdaRuntime": "runtime",
    "Report": "logs",
    "package": "packaging",
    "parse_report": "logs",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .inprocess import ExecutionEnvironment
    from .keepalive import FixedKeepAlive, KeepAlivePolicy
    from .logs import Report, parse_report
    from .models import ISOLATION_MODES, FunctionSpec, Invocation
    from .packaging import package
    from .runtime import LambdaRuntime


__getattr__, __dir__ = _exports(__name__, _EXPORTS)
