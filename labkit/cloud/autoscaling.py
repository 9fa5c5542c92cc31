"""Provisioned concurrency through the Lambda API, and its Application Auto Scaling.

moto 5.2.5 has no provisioned-concurrency API at all (boto3's
`put_provisioned_concurrency_config` gets moto's "Not yet implemented"), and its Application
Auto Scaling stores targets and policies but never scales anything. This module adds both:

- `PutProvisionedConcurrencyConfig`, `GetProvisionedConcurrencyConfig`,
  `DeleteProvisionedConcurrencyConfig` and `ListProvisionedConcurrencyConfigs` on a version or an
  alias (never $LATEST, as on AWS), which keep that many instances of the version initialised in
  the runtime (`LambdaRuntime.set_provisioned`: INIT runs at once);
- target tracking on `LambdaProvisionedConcurrencyUtilization` for scalable targets
  `function:<name>:<alias or version>` / `lambda:function:ProvisionedConcurrency`, evaluated
  once a minute on the lab's clock (`cloud.timers`, passive: `run_until_idle` runs it when due
  but a fast-forward never waits for it), and `DescribeScalingActivities`.

How AWS scales (Lambda developer guide, "Configuring provisioned concurrency",
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html, and the Application
Auto Scaling user guide, "How target tracking scaling works"): the policy creates two CloudWatch
alarms on ProvisionedConcurrencyUtilization (the provisioned instances in use / the provisioned
count). The high alarm fires after 3 consecutive 1-minute datapoints above the target and adds
capacity in proportion (new = ceil(count x utilisation / target)); the low alarm fires after 15
consecutive datapoints below 90 % of the target and removes capacity. Cooldowns (ScaleOutCooldown,
ScaleInCooldown) default to 0 s for Lambda. Min and max capacity bound every change, and
registering a target brings the count into [min, max] at once.

Where this differs from AWS (the course says so):
- a minute's datapoint is the peak number of provisioned instances busy at once during that
  minute (AWS's alarms use the Average statistic of the metric by default, which a short burst
  barely moves: AWS warns that such bursts may not trigger scaling);
- new provisioned instances are ready at once (AWS allocates them over a few minutes, the
  config saying IN_PROGRESS meanwhile); Put answers READY;
- scaling activities are recorded here and in `DescribeScalingActivities`; no CloudWatch alarm
  objects are created.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

if TYPE_CHECKING:
    from .session import LocalCloud

__all__ = ["AutoScaling", "ScalingState", "DIMENSION", "METRIC", "PATCHED", "install"]

DIMENSION = "lambda:function:ProvisionedConcurrency"
METRIC = "LambdaProvisionedConcurrencyUtilization"
HIGH_DATAPOINTS = 3  # AWS: AlarmHigh, 3 datapoints of 1 minute above the target
LOW_DATAPOINTS = 15  # AWS: AlarmLow, 15 datapoints of 1 minute below 90 % of the target
LOW_FRACTION = 0.9
PERIOD_S = 60.0

# Every moto name this module patches or reads (merged into moto_integration.PATCHES).
PATCHED: tuple[tuple[str, str], ...] = (
    ("moto.awslambda.urls", "url_paths"),
    ("moto.awslambda.responses", "LambdaResponse.dispatch"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.register_scalable_target"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.deregister_scalable_target"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.put_scaling_policy"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.delete_scaling_policy"),
    ("moto.applicationautoscaling.models", "applicationautoscaling_backends"),
    ("moto.applicationautoscaling.responses", "ApplicationAutoScalingResponse"),
)

_PROVISIONED_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"


@dataclass
class ScalingState:
    """What the autoscaler knows of one scalable target: its datapoints and last changes."""

    resource_id: str
    datapoints: deque = field(default_factory=lambda: deque(maxlen=LOW_DATAPOINTS))
    last_scale_out: float | None = None
    last_scale_in: float | None = None


class AutoScaling:
    """Provisioned-concurrency configs and target tracking for one `LocalCloud` (`cloud.autoscaling`)."""

    def __init__(self, cloud: "LocalCloud") -> None:
        self.cloud = cloud
        self.configs: dict[tuple[str, str], dict[str, Any]] = {}  # (function, qualifier) -> config
        self.activities: list[dict[str, Any]] = []  # newest last; DescribeScalingActivities shows newest first
        self.states: dict[str, ScalingState] = {}
        self._peaks: dict[tuple[str, str], int] = {}  # (function, version) -> peak busy provisioned this minute
        self._lock = threading.Lock()
        self._timer: Any = None

    # ---- the runtime's figures

    def observe(self, function_name: str, version: str, busy_provisioned: int) -> None:
        """A provisioned instance was taken: `busy_provisioned` of them are busy now (runtime hook)."""
        key = (function_name, version)
        if busy_provisioned > self._peaks.get(key, 0):
            self._peaks[key] = busy_provisioned

    def provisioned_count(self, function_name: str, qualifier: str) -> int:
        """Initialised provisioned instances of the version a qualifier names."""
        fn = self.cloud.runtime.resolve(function_name, qualifier)
        return sum(1 for i in self.cloud.runtime.instances(function_name, str(fn.version)) if i.provisioned and not i.dead)

    # ---- provisioned concurrency configs (the Lambda API)

    def put(self, function_name: str, qualifier: str | None, count: int) -> dict[str, Any]:
        from moto.awslambda.exceptions import InvalidParameterValueException

        if not qualifier or qualifier == "$LATEST":
            raise InvalidParameterValueException("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidParameterValueException(
                f"1 validation error detected: Value '{count}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: "
                "Member must have value greater than or equal to 1"
            )
        fn = self._resolve(function_name, qualifier)
        reserved = fn.reserved_concurrency
        if reserved is not None and count > int(reserved):
            raise InvalidParameterValueException(
                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
            )
        self.cloud.runtime.set_provisioned(fn, count)
        config = {
            "RequestedProvisionedConcurrentExecutions": count,
            "AvailableProvisionedConcurrentExecutions": count,
            "AllocatedProvisionedConcurrentExecutions": count,
            "Status": "READY",
            "LastModified": self.cloud.clock.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
        }
        self.configs[(fn.function_name, qualifier)] = config
        return config

    def get(self, function_name: str, qualifier: str | None) -> dict[str, Any]:
        fn = self._resolve(function_name, qualifier)
        config = self.configs.get((fn.function_name, qualifier or ""))
        if config is None:
            raise _not_found()
        allocated = self.provisioned_count(fn.function_name, qualifier or "")
        return {**config, "AvailableProvisionedConcurrentExecutions": allocated, "AllocatedProvisionedConcurrentExecutions": allocated}

    def delete(self, function_name: str, qualifier: str | None) -> None:
        fn = self._resolve(function_name, qualifier)
        if self.configs.pop((fn.function_name, qualifier or ""), None) is None:
            raise _not_found()
        self.cloud.runtime.set_provisioned(fn, 0)

    def list(self, function_name: str) -> list[dict[str, Any]]:
        fn = self._resolve(function_name, None)
        out = []
        for (name, qualifier), _ in sorted(self.configs.items()):
            if name == fn.function_name:
                out.append({"FunctionArn": f"{fn.function_arn}:{qualifier}", **self.get(name, qualifier)})
        return out

    def _resolve(self, function_name: str, qualifier: str | None) -> Any:
        return self.cloud.runtime.backend.get_function(function_name, qualifier)

    # ---- Application Auto Scaling

    def _backend(self) -> Any:
        from moto.applicationautoscaling.models import applicationautoscaling_backends

        return applicationautoscaling_backends[self.cloud.account_id][self.cloud.region]

    def targets(self) -> list[tuple[Any, Any]]:
        """(scalable target, its target-tracking policy on provisioned-concurrency utilisation)."""
        backend = self._backend()
        found = []
        for resource_id, target in backend.targets.get(DIMENSION, {}).items():
            if target.service_namespace != "lambda":
                continue
            for policy in backend.policies.values():
                config = policy.target_tracking_scaling_policy_configuration or {}
                metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
                if policy.resource_id == resource_id and policy.scalable_dimension == DIMENSION and metric == METRIC:
                    found.append((target, policy))
                    break
        return found

    def changed(self, resource_id: str | None = None) -> None:
        """A target or policy was registered, changed or removed (moto hook)."""
        backend = self._backend()
        target = backend.targets.get(DIMENSION, {}).get(resource_id) if resource_id else None
        if target is not None:
            self._enforce_bounds(target)
        with self._lock:
            live = {t.resource_id for t, _ in self.targets()}
            for gone in set(self.states) - live:
                del self.states[gone]
            if live and self._timer is None:
                self._arm()
            elif not live and self._timer is not None:
                self._timer.cancelled = True
                self._timer = None

    def _arm(self) -> None:
        self._timer = self.cloud.timers.call_later(PERIOD_S, self._tick, label="application-autoscaling evaluation", passive=True)

    def _tick(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self.evaluate()
        finally:
            with self._lock:
                if self._timer is None and self.targets():
                    self._arm()

    def evaluate(self) -> None:
        """One minute has passed: a datapoint per target, then the alarms' decisions."""
        peaks, self._peaks = self._peaks, {}
        now = self.cloud.clock.now()
        for target, policy in self.targets():
            name, qualifier = _parse_resource(target.resource_id)
            try:
                fn = self.cloud.runtime.resolve(name, qualifier)
                count = self.provisioned_count(name, qualifier)
            except Exception:  # noqa: BLE001 - the function or alias was deleted meanwhile
                continue
            state = self.states.setdefault(target.resource_id, ScalingState(target.resource_id))
            if count == 0:
                continue  # no provisioned concurrency: the metric has no datapoint
            utilisation = min(1.0, peaks.get((name, str(fn.version)), 0) / count)
            state.datapoints.append(utilisation)
            config = policy.target_tracking_scaling_policy_configuration
            goal = float(config["TargetValue"])
            points = list(state.datapoints)
            high = points[-HIGH_DATAPOINTS:]
            if len(high) == HIGH_DATAPOINTS and all(p > goal for p in high):
                cooldown = float(config.get("ScaleOutCooldown", 0))
                if state.last_scale_out is None or now - state.last_scale_out >= cooldown:
                    wanted = math.ceil(count * utilisation / goal)
                    if self._scale(target, policy, count, wanted, "AlarmHigh", utilisation):
                        state.last_scale_out = now
                continue
            if config.get("DisableScaleIn"):
                continue
            if len(points) == LOW_DATAPOINTS and all(p < LOW_FRACTION * goal for p in points):
                cooldown = float(config.get("ScaleInCooldown", 0))
                if state.last_scale_in is None or now - state.last_scale_in >= cooldown:
                    wanted = math.ceil(count * utilisation / goal)
                    if self._scale(target, policy, count, wanted, "AlarmLow", utilisation):
                        state.last_scale_in = now

    def _scale(self, target: Any, policy: Any, count: int, wanted: int, alarm: str, utilisation: float) -> bool:
        new = _bounded(wanted, target)
        if new == count or new < 1:
            return False
        cause = (
            f"monitor alarm TargetTracking-{target.resource_id}-{alarm}-{policy._guid} in state ALARM "
            f"triggered policy {policy.policy_name}"
        )
        self._set(target, count, new, cause, utilisation)
        return True

    def _enforce_bounds(self, target: Any) -> None:
        name, qualifier = _parse_resource(target.resource_id)
        try:
            count = self.provisioned_count(name, qualifier)
        except Exception:  # noqa: BLE001 - AWS validates the function; a lab sees the error on use
            return
        new = _bounded(count, target)
        if new != count:
            bound = "minimum" if new > count else "maximum"
            self._set(target, count, new, f"{bound} capacity was set to {new}", None)

    def _set(self, target: Any, old: int, new: int, cause: str, utilisation: float | None) -> None:
        name, qualifier = _parse_resource(target.resource_id)
        if new > 0:
            self.put(name, qualifier, new)
        else:
            self.configs.pop((name, qualifier), None)
            self.cloud.runtime.set_provisioned(self.cloud.runtime.resolve(name, qualifier), 0)
        at = self.cloud.clock.now()
        self.activities.append({
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": "lambda",
            "ResourceId": target.resource_id,
            "ScalableDimension": DIMENSION,
            "Description": f"Setting desired concurrency to {new}.",
            "Cause": cause,
            "StartTime": at,
            "EndTime": at,
            "StatusCode": "Successful",
            "StatusMessage": f"Successfully set desired concurrency to {new}. Change successfully fulfilled by lambda.",
            "FromCapacity": old,
            "ToCapacity": new,
            "Utilization": utilisation,
        })

    def describe_activities(self, resource_id: str | None = None) -> list[dict[str, Any]]:
        """Scaling activities, newest first, in DescribeScalingActivities' shape."""
        keys = ("ActivityId", "ServiceNamespace", "ResourceId", "ScalableDimension", "Description", "Cause",
                "StartTime", "EndTime", "StatusCode", "StatusMessage")
        return [
            {k: a[k] for k in keys}
            for a in reversed(self.activities)
            if resource_id is None or a["ResourceId"] == resource_id
        ]

    # ---- moto

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        """Route the provisioned-concurrency API to this object and watch Application Auto Scaling."""
        install(self.cloud, self, set_)


def _bounded(count: int, target: Any) -> int:
    low = target.min_capacity if target.min_capacity is not None else 0
    high = target.max_capacity if target.max_capacity is not None else count
    return max(int(low), min(int(high), count))


def _parse_resource(resource_id: str) -> tuple[str, str]:
    """`function:<name>:<qualifier>` -> (name, qualifier)."""
    parts = resource_id.split(":")
    if len(parts) != 3 or parts[0] != "function":
        from .errors import CloudUsageError

        raise CloudUsageError(
            f"ResourceId {resource_id!r}는 Lambda의 형식이 아닙니다. 'function:<함수 이름>:<별칭 또는 버전>'으로 쓰십시오."
        )
    return parts[1], parts[2]


def _not_found() -> Exception:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
    error.code = 404
    return error


def install(cloud: "LocalCloud", scaling: AutoScaling, set_: Callable[[Any, str, Any], None]) -> None:
    """Install this module's moto patches through the integration's ledger (`set_`)."""
    from moto.awslambda import responses as lambda_responses
    from moto.awslambda import urls as lambda_urls

    cloud.runtime.concurrency_watch = scaling.observe
    set_(lambda_urls, "url_paths", {**lambda_urls.url_paths, _PROVISIONED_PATH: lambda_responses.LambdaResponse.dispatch})
    Response = lambda_responses.LambdaResponse

    def _function(self: Any) -> str:
        return unquote(self.path.rstrip("/").rsplit("/", 2)[-2])

    def _qualifier(self: Any) -> str | None:
        return self.querystring.get("Qualifier", [None])[0]

    def put_provisioned_concurrency_config(self: Any) -> Any:
        count = json.loads(self.body or "{}").get("ProvisionedConcurrentExecutions")
        return 202, {"status": 202}, json.dumps(scaling.put(_function(self), _qualifier(self), count))

    def get_provisioned_concurrency_config(self: Any) -> Any:
        return 200, {}, json.dumps(scaling.get(_function(self), _qualifier(self)))

    def delete_provisioned_concurrency_config(self: Any) -> Any:
        scaling.delete(_function(self), _qualifier(self))
        return 204, {"status": 204}, ""

    def list_provisioned_concurrency_configs(self: Any) -> Any:
        return 200, {}, json.dumps({"ProvisionedConcurrencyConfigs": scaling.list(_function(self))})

    for method in (put_provisioned_concurrency_config, get_provisioned_concurrency_config,
                   delete_provisioned_concurrency_config, list_provisioned_concurrency_configs):
        set_(Response, method.__name__, method)

    # Application Auto Scaling's models import ECS and CloudWatch (~2 s): patched when moto first
    # imports them (a lab's first call), not at every start.
    from .moto_integration import when_imported

    when_imported("moto.applicationautoscaling.models", lambda: _patch_models(scaling, set_))
    when_imported("moto.applicationautoscaling.responses", lambda: _patch_responses(scaling, set_))


def _patch_models(scaling: AutoScaling, set_: Callable[[Any, str, Any], None]) -> None:
    from moto.applicationautoscaling import models as aas_models

    Backend = aas_models.ApplicationAutoscalingBackend

    def watched(original: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            scaling.changed(args[1] if original.__name__ == "register_scalable_target" else None)
            return result

        return call

    for name in ("register_scalable_target", "deregister_scalable_target", "put_scaling_policy", "delete_scaling_policy"):
        set_(Backend, name, watched(getattr(Backend, name)))


def _patch_responses(scaling: AutoScaling, set_: Callable[[Any, str, Any], None]) -> None:
    from moto.applicationautoscaling import responses as aas_responses

    def describe_scaling_activities(self: Any) -> str:
        activities = [
            a for a in scaling.describe_activities(self._get_param("ResourceId"))
            if a["ServiceNamespace"] == self._get_param("ServiceNamespace")
        ]
        return json.dumps({"ScalingActivities": activities})

    set_(aas_responses.ApplicationAutoScalingResponse, "describe_scaling_activities", describe_scaling_activities)
