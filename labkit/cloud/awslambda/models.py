"""What Lambda runs and what it returns: function versions, invocation results, the variables
and names Lambda gives an execution environment.

Leaf module of `awslambda`: every isolation mode builds on these, and the services that invoke
functions (SQS and stream pollers, async invoke) read `Invocation`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import os
import random
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.credentials import fake_aws_environment
from ..core.errors import CloudUsageError
from .bootstrap.labkit_bootstrap import RUNTIME_DIR as BOOTSTRAP_DIR

if TYPE_CHECKING:
    from .logs import Report

__all__ = [
    "FunctionSpec",
    "ISOLATION_MODES",
    "Invocation",
    "check_isolation",
    "day_stream_prefix",
    "environment_for",
    "lambda_environment",
    "new_request_id",
    "runtime_version_line",
]

# What Lambda's execution role gives a function (AWS sets these three; here fake, in every mode).
_ROLE_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
ISOLATION_MODES = ("inprocess", "subprocess", "snapshot")


@dataclass(frozen=True)
class FunctionSpec:
    """An immutable snapshot of a function version: what its instances are built from.

    Instances built from an older snapshot (code or configuration changed since) are never
    reused, as on AWS where an update replaces the environments.
    """

    name: str
    version: str
    unqualified_arn: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    env: tuple[tuple[str, str], ...]
    code_sha: str
    account_id: str
    region: str
    isolation: str = "inprocess"

    @classmethod
    def from_moto(cls, fn: Any, isolation: str = "inprocess") -> "FunctionSpec":
        # Imported here: arns loads botocore (0.3 s), and `Report`/`Invocation` must stay cheap to
        # import in a kernel; a spec is built only when a function version changes.
        from ..core import arns

        return cls(
            name=fn.function_name,
            version=str(fn.version),
            unqualified_arn=arns.unqualified_function_arn(fn.function_arn),
            handler=fn.handler or "",
            runtime=fn.run_time or "",
            memory_mb=int(fn.memory_size),
            timeout_s=float(fn.timeout),
            env=tuple(sorted((fn.environment_vars or {}).items())),
            code_sha=fn.code_sha_256,
            account_id=fn.account_id,
            region=fn.region,
            isolation=isolation,
        )

    @property
    def qualified_arn(self) -> str:
        return f"{self.unqualified_arn}:{self.version}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


@dataclass
class Invocation:
    """The outcome of one invocation: what the caller got and what Lambda logged."""

    request_id: str
    function_name: str
    executed_version: str
    payload: bytes
    function_error: str | None = None
    log_lines: list[str] = field(default_factory=list)
    report: Report | None = None
    cold_start: bool = False
    instance_id: str | None = None
    timed_out: bool = False
    status_code: int = 200

    @property
    def result(self) -> Any:
        """The payload decoded from JSON (None for an empty payload)."""
        return json.loads(self.payload) if self.payload else None

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def log_result(self) -> str:
        """Base64 of the last 4 KB of the log, what `LogType="Tail"` returns."""
        text = "\n".join(self.log_lines) + "\n"
        return base64.b64encode(text.encode()[-4096:]).decode()

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"error={self.function_error}"
        cold = " cold" if self.cold_start else ""
        return (
            f"<Invocation {self.function_name}:{self.executed_version} {state}{cold} "
            f"payload={self.payload[:80]!r}>"
        )


_ids = random.Random()  # seeded from os.urandom once


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version nibble and the variant bits
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def new_request_id() -> str:
    """A random (version 4) UUID for a request: unique, not secret, so no urandom syscall per call.

    Formatted by hand: `str(uuid.UUID(...))` costs 1.1 µs more, 3% of a warm in-process invoke.
    """
    h = "%032x" % ((_ids.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def day_stream_prefix(epoch: float) -> str:
    """The date part of a Lambda log stream name (YYYY/MM/DD, UTC)."""
    return f"{_dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc):%Y/%m/%d}"


def lambda_environment(spec: FunctionSpec, code_dir: str, init_type: str, log_stream: str | None) -> dict[str, str]:
    """The environment variables Lambda sets for a function, over the function's own.

    SnapStart functions get no AWS_LAMBDA_LOG_GROUP_NAME / AWS_LAMBDA_LOG_STREAM_NAME (AWS
    documents this): pass `log_stream=None` for them.
    """
    env = dict(spec.env)
    fake = fake_aws_environment(spec.region)
    env.update({name: fake[name] for name in _ROLE_CREDENTIALS})
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": BOOTSTRAP_DIR,  # one runtime, whatever the isolation mode
            "TZ": ":UTC",
        }
    )
    if log_stream is not None:
        env["AWS_LAMBDA_LOG_GROUP_NAME"] = spec.log_group
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = log_stream
    return env


def environment_for(spec: FunctionSpec, code_dir: str, provisioned: bool, log_stream: str) -> dict[str, str]:
    """Lambda's variables for one execution environment of `spec` (or its snapshot template):
    its initialization type, and for a SnapStart function neither log variable."""
    if spec.isolation == "snapshot":
        return lambda_environment(spec, code_dir, "snap-start", None)
    init_type = "provisioned-concurrency" if provisioned else "on-demand"
    return lambda_environment(spec, code_dir, init_type, log_stream)


RUNTIME_VERSION_BUILD = 38  # the "v38" of python:3.12.v38: AWS's own build number, fixed here


def runtime_version_line(spec: FunctionSpec) -> str:
    """What INIT_START and RESTORE_START name: the runtime version and its ARN, as on AWS
    (`Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:<region>::runtime:<hash>`).

    The version follows the function's Runtime (the notebook's Python if it has none); the build
    number and the ARN's hash are made up, the same for every function of a runtime.
    """
    name = spec.runtime or f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found = re.fullmatch(r"([a-z]+)(\d[\d.]*?)(?:\.x)?", name)
    label = f"{found.group(1)}:{found.group(2)}" if found else name.replace(".", ":", 1)
    label = f"{label}.v{RUNTIME_VERSION_BUILD}"
    digest = hashlib.sha256(label.encode()).hexdigest()
    return f"Runtime Version: {label}\tRuntime Version ARN: arn:aws:lambda:{spec.region}::runtime:{digest}"


def check_isolation(isolation: str, process_modes: bool = False) -> str:
    """Validate an isolation mode name (Korean message for a wrong one).

    With `process_modes`, also that this machine can run the process modes (they need fork and
    Unix sockets: Linux or macOS, or WSL on Windows).
    """
    if isolation not in ISOLATION_MODES:
        raise CloudUsageError(
            f"isolation={isolation!r}는 없는 격리 방식입니다. 'inprocess', 'subprocess', 'snapshot' 중 하나를 쓰십시오."
        )
    if process_modes and isolation != "inprocess" and not hasattr(os, "fork"):
        raise CloudUsageError(
            f"isolation={isolation!r}는 Linux나 macOS에서만 쓸 수 있습니다. Windows에서는 WSL 안에서 실습을 실행하거나 "
            "isolation='inprocess'를 쓰십시오."
        )
    return isolation
