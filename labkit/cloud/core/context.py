"""`CloudContext`: what a service of the offline cloud is handed, instead of the whole `LocalCloud`.

Identity (account_id, region), the lab's clock and timers, boto3 clients, the Lambda runtime,
the async-invocation queue and `send` (core/targets.py). A service reaches another service only
through `send` and `async_invoke`, never by its methods, so each one can be built and tested on
its own over a plain moto mock. Not the Lambda context object a handler receives (that is
`labkit.cloud.awslambda.context.LambdaContext`).

`LocalCloud` builds one context, hands it to every service and attaches the runtime at
`start()` (the runtime needs moto running) and the async queue once it exists.
"""
from __future__ import annotations

from typing import Any, Callable

from .clock import Clock, Timers
from .credentials import ACCOUNT_ID, DEFAULT_REGION
from .errors import CloudUsageError
from .targets import Targets

__all__ = ["CloudContext"]

AsyncInvoke = Callable[[Any, bytes, "str | None"], Any]


class CloudContext:
    """The narrow view of one offline cloud that its services share."""

    def __init__(
        self, region: str = DEFAULT_REGION, account_id: str = ACCOUNT_ID, clock: Clock | None = None, timers: Timers | None = None
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock or Clock()
        self.timers = timers or Timers(self.clock)
        self.targets = Targets(self)
        # The LambdaRuntime (labkit.cloud.awslambda.runtime), typed Any so that core imports nothing above it.
        self._runtime: Any = None
        self._async_invoke: AsyncInvoke | None = None
        self._clients: dict[str, Any] = {}

    # ---- wiring (LocalCloud, or a test)

    def attach_runtime(self, runtime: Any) -> None:
        self._runtime = runtime

    def attach_async_queue(self, enqueue: AsyncInvoke) -> None:
        """`enqueue(fn, payload, invoked_arn)`: Lambda's queue for Event invocations."""
        self._async_invoke = enqueue

    # ---- what services use

    @property
    def runtime(self) -> Any:
        """The Lambda runtime; it exists once the cloud has started."""
        if self._runtime is None:
            raise CloudUsageError(
                "Lambda 런타임이 아직 없습니다. 오프라인 클라우드를 시작한 뒤에 쓸 수 있으니 cloud.start()를 먼저 부르십시오"
                "(LocalCloud()는 바로 시작하고, LocalCloud(start=False)는 start()를 부를 때 시작합니다)."
            )
        return self._runtime

    @property
    def started(self) -> bool:
        return self._runtime is not None

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client in this context's region (cached per service when no options are given)."""
        import boto3

        if kwargs:
            kwargs.setdefault("region_name", self.region)
            return boto3.client(service, **kwargs)
        client = self._clients.get(service)
        if client is None:
            client = self._clients[service] = boto3.client(service, region_name=self.region)
        return client

    def clear_clients(self) -> None:
        self._clients.clear()

    def async_invoke(self, function: Any, payload: bytes, invoked_arn: str | None = None) -> Any:
        """Queue an asynchronous invocation of `function` (moto's function, or its ARN or name)."""
        if self._async_invoke is None:
            raise CloudUsageError("비동기 호출 대기열이 연결되어 있지 않습니다. LocalCloud가 만든 컨텍스트를 쓰십시오.")
        fn = self.runtime.resolve(function) if isinstance(function, str) else function
        return self._async_invoke(fn, payload, invoked_arn)

    def send(self, arn: str, body: str, **options: Any) -> int:
        """Send `body` to `arn` (SQS, SNS, Lambda, EventBridge, Kinesis, Step Functions): see core/targets.py."""
        return self.targets.send(arn, body, **options)
