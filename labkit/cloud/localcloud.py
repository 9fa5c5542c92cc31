"""The local cloud a lab works in: one call starts it, plain boto3 talks to it.

Starting a `LocalCloud`:
- forces fake credentials and region ap-northeast-2 into the environment and hides every other
  AWS_* variable (profiles, endpoint URLs, real keys, config and credentials files), so real
  AWS credentials on the machine are never used and no request can leave for a real endpoint;
- starts moto's in-memory AWS (`mock_aws`) with Step Functions executing for real;
- installs the Lambda runtime (`awslambda/`) into moto and the clock (`core/clock.py`).
Stopping undoes all of it and restores the environment exactly.

`LocalCloud` is a facade: it builds one `CloudContext` (core/context.py), hands it to every
service (pollers, notifications, rules, schedules, API Gateway, Step Functions, CloudFormation)
and wires what crosses between them (the async queue, EventBridge rules as `ctx.send` targets).
The services never see the facade, nor each other.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .eventsources import mapping_rules, sqs, sqs_queues, streams
from .awslambda import patches as lambda_patches
from .awslambda.patches import invoked_arn_for
from .core.credentials import ACCOUNT_ID, DEFAULT_REGION, fake_aws_environment
from .core.context import CloudContext
from .core.errors import CloudUsageError, DeployError, check_request_size
from .awslambda.keepalive import FixedKeepAlive, KeepAlivePolicy
from .awslambda.models import Invocation, check_isolation
from .awslambda.runtime import LambdaRuntime
from .autoscaling import AutoScaling
from .apigateway import ApiGateway
from .cloudformation import CloudFormation, Stack
from .events import EventBridgeRules, Schedules
from .awslambda.packaging import package
from .awslambda.inprocess import HostHooks
from .awslambda.async_invoke import AsyncInvoker
from .awslambda.logs import Report, parse_report, read_log_events
from . import dynamodb
from .moto import patching
from .s3 import S3Notifications
from .sns import SnsNotifications
from .stepfunctions import ExecutionHistory, StepFunctions
from .eventsources import SqsPoller, StreamPoller

__all__ = ["LocalCloud", "local_cloud", "FunctionHandle", "DEFAULT_REGION", "ACCOUNT_ID"]

PYTHON_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE_NAME = "labkit-lambda-role"

_active_cloud: "LocalCloud | None" = None


@dataclass
class FunctionHandle:
    """A deployed function, for short lab code: `fn.invoke({...})`, `fn.logs()`."""

    cloud: "LocalCloud"
    name: str

    @property
    def arn(self) -> str:
        return self.cloud.runtime.resolve(self.name).function_arn

    def invoke(self, event: Any = None, **kwargs: Any) -> Invocation:
        return self.cloud.invoke(self.name, event, **kwargs)

    def logs(self) -> list[str]:
        return self.cloud.logs(self.name)

    def reports(self) -> list[Report]:
        return self.cloud.reports(self.name)

    def instances(self) -> list[Any]:
        return self.cloud.instances(self.name)


class LocalCloud:
    """An offline AWS (moto) whose Lambda runs real handler code on a clock the lab controls.

    Example::

        cloud = LocalCloud()
        fn = cloud.deploy(handler, name="hello")
        print(fn.invoke({"name": "kim"}).result)
        print(cloud.logs("hello")[-1])   # the REPORT line
        cloud.stop()
    """

    def __init__(
        self,
        region: str = DEFAULT_REGION,
        *,
        keep_alive: float | KeepAlivePolicy = 600.0,
        isolation: str = "inprocess",
        start: bool = True,
    ) -> None:
        """`isolation` is the default for every function (see `deploy`)."""
        self.isolation = check_isolation(isolation, process_modes=True)
        self.ctx = ctx = CloudContext(region, ACCOUNT_ID)
        self.region = ctx.region
        self.account_id = ctx.account_id
        self.clock = ctx.clock
        self.timers = ctx.timers
        self._keep_alive = FixedKeepAlive(float(keep_alive)) if isinstance(keep_alive, (int, float)) else keep_alive
        # Every service gets the context, none the facade: they reach each other only through
        # ctx.send (core/targets.py) and ctx.async_invoke, wired here.
        self.async_invoker = AsyncInvoker(ctx)
        self.sqs_poller = SqsPoller(ctx)
        self.stream_poller = StreamPoller(ctx)
        self.s3_notifications = S3Notifications(ctx)
        self.sns_delivery = SnsNotifications(ctx)
        self.eventbridge = EventBridgeRules(ctx)
        self.schedules = Schedules(ctx)
        self.api_gateway = ApiGateway(ctx)
        self.stepfunctions = StepFunctions(ctx)
        self.cloudformation = CloudFormation(ctx)
        self.autoscaling = AutoScaling(ctx)  # provisioned-concurrency API and its auto scaling
        ctx.attach_async_queue(self.async_invoker.enqueue)
        ctx.targets.on_rule(self.eventbridge.fire)
        self._hooks = HostHooks()
        self._mock: Any = None
        self._saved_env: dict[str, str] | None = None
        self._role_arn: str | None = None
        if start:
            self.start()

    # ---- lifecycle

    @property
    def running(self) -> bool:
        return self._mock is not None

    @property
    def runtime(self) -> LambdaRuntime:
        """The Lambda runtime (made by `start()`; before that a CloudUsageError says to call it)."""
        return self.ctx.runtime

    def start(self) -> "LocalCloud":
        """Start moto and the runtime; stops any other running LocalCloud first."""
        global _active_cloud
        if self.running:
            return self
        if _active_cloud is not None and _active_cloud is not self:
            warnings.warn("이전에 시작한 LocalCloud를 멈추고 새 오프라인 클라우드를 시작합니다.", stacklevel=2)
            _active_cloud.stop()
        from moto import mock_aws

        self._saved_env = dict(os.environ)
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update(fake_aws_environment(self.region))
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        runtime = LambdaRuntime(self.clock, self.account_id, self.region, self._keep_alive)
        runtime.default_isolation = self.isolation
        self.ctx.attach_runtime(runtime)
        patching.install((  # each service's patches, declared beside it (labkit/cloud/moto/registry.py)
            functools.partial(lambda_patches.install, clock=self.clock, runtime=runtime,
                              async_invoke=self.async_invoker.enqueue),
            mapping_rules.install,
            functools.partial(sqs.install, now=self.clock.now),
            sqs_queues.install,
            dynamodb.install,
            functools.partial(streams.install, utcnow=self.clock.utcnow, register=self.stream_poller.register),
            self.s3_notifications.install,
            self.sns_delivery.install,
            self.eventbridge.install,
            self.schedules.install,
            self.api_gateway.install,
            self.stepfunctions.install,
            self.cloudformation.install,
            self.autoscaling.install,
        ))
        self._hooks.install()
        _active_cloud = self
        return self

    def stop(self) -> None:
        """Stop the cloud, remove every patch and restore the environment as it was."""
        global _active_cloud
        if not self.running:
            return
        self.api_gateway.close()
        self._hooks.uninstall()
        patching.uninstall()
        if self.ctx.started:
            self.ctx.runtime.close()
        self._mock.stop()
        self._mock = None
        self.ctx.clear_clients()
        self._role_arn = None  # moto's IAM starts empty again at the next start
        self.timers.clear()
        if self._saved_env is not None:
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._saved_env = None
        if _active_cloud is self:
            _active_cloud = None

    def __enter__(self) -> "LocalCloud":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _require_running(self) -> None:
        if not self.running:
            raise CloudUsageError("오프라인 클라우드가 멈춰 있습니다. cloud.start()로 다시 시작하거나 LocalCloud()를 새로 만드십시오.")

    # ---- boto3

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this cloud (cached per service when no options are given)."""
        self._require_running()
        return self.ctx.client(service, **kwargs)

    def _role(self) -> str:
        if self._role_arn is None:
            iam = self.client("iam")
            trust = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
            }
            try:
                self._role_arn = iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
            except iam.exceptions.NoSuchEntityException:
                self._role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        return self._role_arn

    # ---- Lambda

    def deploy(
        self,
        source: Any,
        name: str | None = None,
        *,
        handler: str | None = None,
        memory: int = 128,
        timeout: float = 3,
        env: dict[str, str] | None = None,
        runtime: str = PYTHON_RUNTIME,
        description: str = "",
        dead_letter_arn: str | None = None,
        publish: bool = False,
        isolation: str | None = None,
    ) -> FunctionHandle:
        """Package `source` (function, module, folder or .py file) and create or update the function.

        Re-running the same cell updates code and configuration, as a redeploy would.

        `isolation` decides what an execution environment is (None: the cloud's default):
        - "inprocess": the handler runs in this Python process; fastest, for most labs.
        - "subprocess": a real process per instance; cold starts (Init Duration from process
          start to handler-ready), memory and timeouts (the process is killed) are real.
        - "snapshot": SnapStart-like; INIT runs once in a template process (with the
          `snapshot-restore-py` before-snapshot hooks), instances are forked from it and run the
          after-restore hooks; REPORT shows Restore Duration instead of Init Duration.
        In the last two, the handler's boto3 calls reach this cloud through a local moto server.
        """
        self._require_running()
        if isolation is not None:
            check_isolation(isolation)
        if not 128 <= memory <= 10240:
            raise DeployError(f"memory={memory}는 허용 범위 밖입니다. Lambda 메모리는 128~10240 MB 사이로 지정하십시오.")
        if not 1 <= timeout <= 900:
            raise DeployError(f"timeout={timeout}는 허용 범위 밖입니다. Lambda 제한 시간은 1~900초 사이로 지정하십시오.")
        if env is not None and not isinstance(env, dict):
            raise DeployError(
                f"env는 환경 변수 이름과 값의 dict로 넘기십시오(예: env={{'STAGE': 'dev'}}). 받은 값: {type(env).__name__}"
            )
        zip_bytes, handler_name = package(source, handler)
        name = name or _default_name(source)
        lam = self.client("lambda")
        config: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": runtime,
            "Role": self._role(),
            "Handler": handler_name,
            "MemorySize": memory,
            "Timeout": int(timeout) if float(timeout).is_integer() else timeout,
            "Environment": {"Variables": {k: str(v) for k, v in (env or {}).items()}},
            "Description": description,
        }
        if dead_letter_arn:
            config["DeadLetterConfig"] = {"TargetArn": dead_letter_arn}
        try:
            lam.get_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            lam.create_function(Code={"ZipFile": zip_bytes}, Publish=publish, **config)
        else:
            lam.update_function_code(FunctionName=name, ZipFile=zip_bytes)
            lam.update_function_configuration(**config)
            if publish:
                lam.publish_version(FunctionName=name)
        self.runtime.set_isolation(name, isolation)
        return FunctionHandle(self, name)

    def set_isolation(self, name: str, isolation: str | None) -> None:
        """Change the isolation of an existing function (e.g. one made by boto3 or CloudFormation).

        Applies from the next cold start; None goes back to the cloud's default.
        """
        self._require_running()
        self.runtime.resolve(name)
        self.runtime.set_isolation(name, isolation)

    def function(self, name: str) -> FunctionHandle:
        """A handle on a function that already exists (created by boto3 or CloudFormation)."""
        self.runtime.resolve(name)
        return FunctionHandle(self, name)

    def invoke(
        self,
        name: str,
        event: Any = None,
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
    ) -> Invocation:
        """Invoke like the Invoke API, without boto3: returns the `Invocation` with its logs.

        RequestResponse runs now; Event queues (202, delivered by `run_until_idle`); DryRun
        only checks the function exists (204). Throttling raises `TooManyRequestsException`, an
        event over the payload quota (6 MB, Event 1 MB) `RequestEntityTooLargeException`.
        """
        self._require_running()
        runtime = self.ctx.runtime
        fn = runtime.resolve(name, qualifier)
        try:
            payload = json.dumps({} if event is None else event).encode()
        except (TypeError, ValueError) as exc:
            raise CloudUsageError(
                f"이벤트를 JSON으로 바꿀 수 없습니다({exc}). Lambda의 이벤트는 JSON이므로 dict, list, str, "
                "숫자, True/False/None으로 만드십시오(set은 list로, datetime은 isoformat() 문자열로)."
            ) from None
        if invocation_type in ("RequestResponse", "Event"):
            check_request_size(payload, invocation_type)
        if qualifier is None and not name.startswith("arn:") and ":" in name:
            qualifier = name.split(":", 1)[1]  # "name:alias" names a qualifier, as in the API
        invoked_arn = invoked_arn_for(fn, qualifier)
        if invocation_type == "Event":
            queued = self.async_invoker.enqueue(fn, payload, invoked_arn)
            return Invocation(queued.request_id, fn.function_name, str(fn.version), b"", status_code=202)
        if invocation_type == "DryRun":
            return Invocation("", fn.function_name, str(fn.version), b"", status_code=204)
        if invocation_type != "RequestResponse":
            raise CloudUsageError(
                f"invocation_type={invocation_type!r}는 없는 호출 유형입니다. 'RequestResponse', 'Event', 'DryRun' 중 하나를 쓰십시오."
            )
        return runtime.invoke(fn, payload, invoked_arn=invoked_arn)

    @property
    def resource_limits(self) -> Any:
        """Whether CPU and memory are limited per execution environment (`labkit.cloud.resource_limits`)."""
        from .awslambda.cgroups import resource_limits

        return resource_limits(self.isolation)

    def set_provisioned_concurrency(self, name: str, qualifier: str, count: int) -> None:
        """Keep `count` instances of a version or alias initialised (INIT runs now, not on invoke).

        AWS allows this only on a published version or an alias, never on $LATEST.
        """
        if not qualifier or qualifier.upper() == "$LATEST":
            raise CloudUsageError(
                "프로비저닝된 동시성은 $LATEST에 설정할 수 없습니다. publish_version으로 버전을 만들거나 별칭을 지정하십시오."
            )
        self.runtime.set_provisioned(self.runtime.resolve(name, qualifier), count)

    def instances(self, name: str, qualifier: str | None = None) -> list[Any]:
        """The live execution environments of a function (of one version, if given)."""
        version = str(self.runtime.resolve(name, qualifier).version) if qualifier else None
        return self.runtime.instances(name, version)

    # ---- API Gateway

    def api_url(self, api_id: str, stage: str | None = None) -> str:
        """The execute-api URL of a REST or HTTP API stage, for `requests` in this process."""
        self._require_running()
        return self.api_gateway.url(api_id, stage)

    def serve_api(self, api_id: str, stage: str | None = None, port: int = 0) -> str:
        """Serve an API over real HTTP on 127.0.0.1 (curl, a browser) and return its base URL."""
        self._require_running()
        return self.api_gateway.serve(api_id, stage, port)

    # ---- CloudFormation

    def deploy_stack(
        self,
        template: Any,
        name: str = "lab",
        parameters: dict[str, Any] | None = None,
        *,
        artifacts: Any = None,
        base_dir: str | None = None,
    ) -> Stack:
        """Deploy a CloudFormation template (dict, text or file; SAM templates are transformed).

        `artifacts` names the folder (or {S3Key: path}) of packaged ZIPs a Serverless Framework
        template refers to, e.g. `artifacts=".serverless"`.
        """
        self._require_running()
        return self.cloudformation.deploy(template, name, parameters, artifacts=artifacts, base_dir=base_dir)

    # ---- Step Functions

    def wait_execution(self, execution_arn: str, timeout: float = 30.0) -> ExecutionHistory:
        """Wait until a Step Functions execution ends and return its history (prints as a Korean table)."""
        self._require_running()
        return self.stepfunctions.wait(execution_arn, timeout)

    # ---- SNS

    def duplicate_deliveries(self, copies: int = 2, *, topic_arn: str | None = None) -> Any:
        """`with cloud.duplicate_deliveries():` every SNS message published in the block reaches each
        subscription `copies` times (identical copies, as when SNS retries a delivery); a test of a
        consumer's idempotency. `topic_arn` limits it to one topic. Yields the extra copies."""
        self._require_running()
        return self.sns_delivery.duplicates(copies, topic_arn=topic_arn)

    # ---- logs

    def logs(self, name: str) -> list[str]:
        """Every log line of a function (all its log streams), oldest first."""
        return [e["message"] for e in read_log_events(self.account_id, self.region, f"/aws/lambda/{name}")]

    def reports(self, name: str) -> list[Report]:
        """The REPORT lines of a function, parsed."""
        return [parse_report(line) for line in self.logs(name) if line.startswith("REPORT ")]

    # ---- delivery

    def run_until_idle(self, *, fast_forward: bool = False, max_seconds: float = 3600.0) -> int:
        """Deliver everything that is due: schedules, async invocations, SQS and stream batches, timers.

        Returns how many ran. With `fast_forward=True` the clock jumps to each next due moment (a
        visibility timeout, a retry delay, a batching window) until nothing is left or
        `max_seconds` of clock time have passed, so a lab can see retries and redrive without
        waiting. Schedules never pull the clock forward (one is always due again): move it with
        `clock.advance()` to make scheduled rules fire.
        """
        self._require_running()
        started = self.clock.now()
        total = 0
        while True:
            ran = (
                self.schedules.poll()
                + self.timers.run_due()
                + self.async_invoker.run_ready()
                + self.sqs_poller.poll()
                + self.stream_poller.poll()
            )
            total += ran
            if ran:
                continue
            if not fast_forward:
                break
            upcoming = [
                t
                for t in (self.timers.next_due(), self.sqs_poller.next_due(), self.stream_poller.next_due())
                if t is not None
            ]
            if not upcoming or min(upcoming) - started > max_seconds:
                break
            self.clock.advance(max(0.0, min(upcoming) - self.clock.now()))
        self.runtime.reclaim_idle()
        return total

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalCloud {self.region} {state} {self.clock!r}>"


def _default_name(source: Any) -> str:
    import re
    import types
    from pathlib import Path

    if isinstance(source, types.ModuleType):
        raw = source.__name__.rpartition(".")[2]
    elif callable(source):
        raw = getattr(source, "__name__", "function")
    elif isinstance(source, (str, os.PathLike)):
        raw = Path(source).stem
    else:
        raise DeployError("이름을 정할 수 없습니다. name='함수이름'을 지정하십시오.")
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:64]


def active_cloud() -> LocalCloud | None:
    """The LocalCloud running now (there is at most one), or None: for helpers that handler code
    calls on the offline cloud, such as `labkit.jobs.spend`."""
    return _active_cloud


@contextlib.contextmanager
def local_cloud(region: str = DEFAULT_REGION, **kwargs: Any) -> Iterator[LocalCloud]:
    """`with local_cloud() as cloud:` starts a LocalCloud and always stops it."""
    cloud = LocalCloud(region, **kwargs)
    try:
        yield cloud
    finally:
        cloud.stop()
