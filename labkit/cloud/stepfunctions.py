"""Step Functions: moto's ASL interpreter, with Task states reaching real handlers, on lab time.

moto executes state machines for real (`execute_state_machine`); its Lambda Task states call
Invoke, which the runtime serves, so handlers run as for every other caller. This module fixes
what stands between that and a lab:
- Wait states and Retry intervals do not make the lab wait: they sleep `time_scale` times their
  length in real time (0 by default) and move the execution's own virtual time instead, so the
  history still shows a 5 s Wait or a 1-2-4 s back-off between its timestamps. History timestamps
  follow the runtime's clock plus that virtual time. (Parallel branches share one virtual time,
  so waits in two branches add up instead of overlapping.)
- `start_execution` without `name` gets a UUID name, as on AWS (moto builds an ARN ending in
  `None`, and the second unnamed run fails);
- state machines declared in CloudFormation (DefinitionString, Definition, DefinitionSubstitutions)
  are created in the executing backend (moto puts them where they never run);
- moto's interpreter logs every failure with huge reprs: its logger is silenced while a cloud runs;
- the result of an `arn:aws:states:::lambda:invoke` task carries `SdkHttpMetadata` (AllHttpHeaders,
  HttpHeaders, HttpStatusCode) and `SdkResponseMetadata` (`{"RequestId"}`, the invocation's
  request id) besides ExecutedVersion, Payload and StatusCode, as on AWS (moto drops them), so
  `"requestId.$": "$.SdkResponseMetadata.RequestId"` in a ResultSelector works.
- `JitterStrategy: FULL` draws its random delay from `cloud.stepfunctions.random` (seed it with
  `cloud.stepfunctions.seed(n)` for a repeatable run; moto draws from the global `random`).
`wait()` (`LocalCloud.wait_execution`) waits for an execution and returns its history as an
`ExecutionHistory`, which prints as a Korean table; `calls()` lists its Lambda tasks (state,
function, input, outcome), attributed by `previousEventId`, so Parallel branches stay apart.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..korean import josa
from .core.errors import CloudUsageError
from .moto.registry import MotoName

if TYPE_CHECKING:
    from .core.context import CloudContext

__all__ = ["StepFunctions", "ExecutionHistory", "HistoryRow", "TaskCall"]

_SUFFIXES = (
    ("StateEntered", "상태 진입"),
    ("StateExited", "상태 종료"),
    ("Scheduled", "예약"),
    ("Started", "시작"),
    ("Succeeded", "성공"),
    ("Failed", "실패"),
    ("TimedOut", "시간 초과"),
    ("Aborted", "중단"),
    ("StartFailed", "시작 실패"),
    ("ScheduleFailed", "예약 실패"),
    ("SubmitFailed", "제출 실패"),
)
_current = threading.local()  # the environment of the Retry being evaluated, per thread
# Lambda's response headers as the SDK that Step Functions uses names them (lowercase from botocore)
_HEADER_NAMES = {
    "connection": "Connection",
    "content-length": "Content-Length",
    "content-type": "Content-Type",
    "date": "Date",
    "x-amz-executed-version": "X-Amz-Executed-Version",
    "x-amz-function-error": "X-Amz-Function-Error",
    "x-amzn-remapped-content-length": "x-amzn-Remapped-Content-Length",
    "x-amzn-requestid": "x-amzn-RequestId",
    "x-amzn-trace-id": "X-Amzn-Trace-Id",
}


def sdk_metadata(response_metadata: dict[str, Any]) -> dict[str, Any]:
    """`SdkHttpMetadata` and `SdkResponseMetadata` of a Lambda Invoke, from botocore's ResponseMetadata."""
    received = {k.lower(): str(v) for k, v in (response_metadata.get("HTTPHeaders") or {}).items()}
    request_id = response_metadata.get("RequestId") or received.get("x-amzn-requestid", "")
    headers = {"connection": "keep-alive", **received, "x-amzn-requestid": request_id}
    headers.setdefault("x-amzn-remapped-content-length", "0")
    http_headers = {_HEADER_NAMES[k]: v for k, v in sorted(headers.items()) if k in _HEADER_NAMES}
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in http_headers.items()},
            "HttpHeaders": http_headers,
            "HttpStatusCode": int(response_metadata.get("HTTPStatusCode") or 200),
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


@dataclass
class HistoryRow:
    """One history event, readable."""

    id: int
    seconds: float  # since the execution started (virtual time included)
    type: str
    state: str
    summary: str

    @property
    def meaning(self) -> str:
        for suffix, korean in _SUFFIXES:
            if self.type.endswith(suffix):
                return korean
        return ""


@dataclass
class TaskCall:
    """One Lambda call of a Task state: which state, which function, with what input, and how it ended."""

    state: str
    function: str  # the function's name (the last part of its ARN)
    input: Any
    error: str | None  # None when it succeeded; States.Timeout, Sandbox.Timedout or the errorType otherwise
    seconds: float  # when it was scheduled, since the execution started
    finished: float | None = None  # when it ended (None: still running)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ExecutionHistory:
    """A finished (or timed-out) execution: status, output, error and its event history."""

    execution_arn: str
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None
    events: list[dict[str, Any]]
    rows: list[HistoryRow] = field(default_factory=list)

    @property
    def visited(self) -> list[str]:
        """The names of the states entered, in order (repeats included)."""
        return [row.state for row in self.rows if row.type.endswith("StateEntered")]

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def lambda_calls(self) -> list[str]:
        """The function ARNs the execution scheduled, in order (retries included)."""
        return [
            e["lambdaFunctionScheduledEventDetails"]["resource"]
            for e in self.events
            if e["type"] == "LambdaFunctionScheduled"
        ]

    def calls(self) -> list[TaskCall]:
        """The Lambda calls of Task states in the order they were scheduled (retries included)."""
        by_id = {e["id"]: e for e in self.events}
        outcome: dict[int, str | None] = {}
        ended: dict[int, float] = {}
        seconds = {row.id: row.seconds for row in self.rows}
        for event in self.events:  # a call's end points back to its Started, which points to its Scheduled
            kind = event["type"]
            if kind in ("LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut"):
                details = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
                error = None if kind == "LambdaFunctionSucceeded" else details.get("error") or "States.Timeout"
                origin = by_id.get(event.get("previousEventId"))
                if origin is not None and origin["type"] == "LambdaFunctionStarted":
                    origin = by_id.get(origin.get("previousEventId"))
                if origin is not None:
                    outcome[origin["id"]] = error
                    ended[origin["id"]] = seconds.get(event["id"], 0.0)
        states = {row.id: row.state for row in self.rows}
        calls = []
        for event in self.events:
            if event["type"] != "LambdaFunctionScheduled":
                continue
            details = event["lambdaFunctionScheduledEventDetails"]
            try:
                payload = json.loads(details.get("input") or "null")
            except ValueError:
                payload = details.get("input")
            error = outcome.get(event["id"], "아직 끝나지 않음")
            calls.append(TaskCall(states.get(event["id"], ""), details["resource"].rsplit(":", 1)[-1], payload,
                                  error, seconds.get(event["id"], 0.0), ended.get(event["id"])))
        return calls

    def table(self) -> str:
        """The history as a Markdown table with Korean headings."""
        lines = [
            f"**실행 {self.execution_arn.rsplit(':', 1)[-1]}: {self.status}**",
            "",
            "| # | 경과(초) | 상태 | 이벤트 | 뜻 | 내용 |",
            "|---:|---:|---|---|---|---|",
        ]
        for row in self.rows:
            summary = row.summary.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {row.id} | {row.seconds:.3f} | {row.state} | {row.type} | {row.meaning} | {summary} |")
        if self.error:
            lines += ["", f"오류: `{self.error}` {self.cause or ''}"[:500]]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_markdown_(self) -> str:
        return self.table()


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rows(events: list[dict[str, Any]]) -> list[HistoryRow]:
    if not events:
        return []
    start = events[0]["timestamp"]
    rows = []
    named: dict[int, str] = {}  # event id -> the state it belongs to, by previousEventId (Parallel-safe)
    enclosing: list[str] = []  # open Parallel/Map states: their own Started/Succeeded/Failed events
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})
        kind = event["type"]
        if "name" in details and kind.endswith(("StateEntered", "StateExited")):
            state = details["name"]
            if kind in ("ParallelStateEntered", "MapStateEntered"):
                enclosing.append(state)
            elif kind in ("ParallelStateExited", "MapStateExited") and enclosing:
                enclosing.pop()
        elif kind.startswith(("ParallelState", "MapState")) and enclosing:
            state = enclosing[-1]
        else:
            state = named.get(event.get("previousEventId") or 0, "")
        named[event["id"]] = state
        if "error" in details:
            cause = details.get("cause") or ""
            try:  # a Lambda error's cause is its error payload: show the message
                cause = json.loads(cause).get("errorMessage", cause)
            except (ValueError, AttributeError):
                pass
            summary = f"{details.get('error')}: {_short(cause, 100)}"
        elif "resource" in details:
            summary = f"{details['resource'].rsplit(':', 1)[-1]} ← {_short(details.get('input', ''), 80)}"
        elif "output" in details:
            summary = f"출력 {_short(details['output'])}"
        elif "input" in details:
            summary = f"입력 {_short(details['input'])}"
        else:
            summary = ""
        seconds = (event["timestamp"] - start).total_seconds()
        rows.append(HistoryRow(event["id"], seconds, event["type"], state, summary))
    return rows


class StepFunctions:
    """Step Functions in the local cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.time_scale = 0.0  # real seconds slept per second of Wait/Retry (1.0 = real time)
        self.random = random.Random()  # JitterStrategy FULL draws from here

    def seed(self, value: int | str | None) -> None:
        """Make `JitterStrategy: FULL` draw the same delays in every run (None: unpredictable again)."""
        self.random.seed(value)

    @property
    def backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[self.ctx.account_id][self.ctx.region]

    def wait(self, execution_arn: str, timeout: float = 30.0) -> ExecutionHistory:
        """Wait (real time, at most `timeout` s) until the execution ends; return its history."""
        client = self.ctx.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            try:
                described = client.describe_execution(executionArn=execution_arn)
            except client.exceptions.ExecutionDoesNotExist:
                raise CloudUsageError(
                    f"Step Functions 실행 {josa(execution_arn, '이')} 없습니다. start_execution이 돌려준 "
                    "executionArn을 넘기십시오(상태 머신 ARN이 아닙니다)."
                ) from None
            except client.exceptions.InvalidArn:
                raise CloudUsageError(
                    f"{josa(repr(execution_arn), '은')} 실행 ARN이 아닙니다. start_execution(...)[\"executionArn\"]을 넘기십시오."
                ) from None
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise CloudUsageError(
                    f"실행 {josa(execution_arn, '이')} {timeout:g}초 안에 끝나지 않았습니다. 상태 머신이 기다리는 것"
                    "(Activity, 콜백 .waitForTaskToken, 끝나지 않는 Lambda)이 있는지 확인하거나 timeout을 늘리십시오."
                )
            time.sleep(0.01)
        events: list[dict[str, Any]] = []
        token = None
        while True:
            page = client.get_execution_history(executionArn=execution_arn, **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                break

        def parsed(text: str | None) -> Any:
            if text is None:
                return None
            try:
                return json.loads(text)
            except ValueError:
                return text

        return ExecutionHistory(
            execution_arn=execution_arn,
            status=described["status"],
            input=parsed(described.get("input")),
            output=parsed(described.get("output")),
            error=described.get("error"),
            cause=described.get("cause"),
            events=events,
            rows=_rows(events),
        )

    # ---- moto patches

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        import logging

        from .moto.patching import when_imported

        # The interpreter takes ~1 s to import: patch it when a lab first uses Step Functions.
        when_imported("moto.stepfunctions.parser.models", lambda: self._patch_interpreter(set_))
        when_imported("moto.stepfunctions.models", lambda: self._patch_cloudformation(set_))
        # quiet: the interpreter's loggers inherit this level (a stale level cache after stop
        # only keeps moto quiet a little longer)
        set_(logging.getLogger("moto.stepfunctions.parser"), "level", logging.CRITICAL)
        logging.Logger.manager._clear_cache()

    def _patch_interpreter(self, set_: Callable[[Any, str, Any], None]) -> None:
        import moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl as jitter_module
        import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_module
        import moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils as lambda_utils
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        sfn = self
        clock = self.ctx.clock

        # ---- definitions: AWS also refuses missing transition targets and unreachable states
        # (moto's parser raises its InvalidDefinition with an empty error code: boto3 could not catch
        # it as `sfn.exceptions.InvalidDefinition`, so both come back with AWS's code)
        from moto.core.exceptions import AWSError
        from moto.stepfunctions.parser.api import InvalidDefinition

        from .stepfunctions_validation import message as definition_problems

        original_validate = StepFunctionsParserBackend._validate_definition

        def validate_definition(definition: str) -> None:
            try:
                original_validate(definition=definition)
            except InvalidDefinition as refused:
                raise AWSError(refused.message, "InvalidDefinition") from None
            problems = definition_problems(definition)
            if problems:
                raise AWSError(problems, "InvalidDefinition")

        set_(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate_definition))

        # ---- names
        original_start = StepFunctionsParserBackend.start_execution

        def start_execution(backend: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
            return original_start(backend, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

        set_(StepFunctionsParserBackend, "start_execution", start_execution)

        # ---- time
        original_add_event = EventManager.add_event

        def add_event(manager: Any, context: Any, event_type: Any, event_details: Any = None, timestamp: Any = None, update_source_event_id: bool = True) -> int:
            if timestamp is None:
                offset = getattr(manager, "_labkit_offset", 0.0)
                timestamp = _dt.datetime.fromtimestamp(clock.now() + offset, tz=_dt.timezone.utc)
            return original_add_event(manager, context, event_type, event_details, timestamp, update_source_event_id)

        set_(EventManager, "add_event", add_event)

        def skip_time(env: Any, seconds: float) -> None:
            """Sleep the scaled time (interruptible when the execution stops); add the rest as virtual time."""
            seconds = max(0.0, float(seconds))
            started = time.monotonic()
            if sfn.time_scale > 0 and seconds > 0:
                env.program_state_event.wait(seconds * sfn.time_scale)
            manager = env.event_manager
            manager._labkit_offset = getattr(manager, "_labkit_offset", 0.0) + max(0.0, seconds - (time.monotonic() - started))

        def wait_interval(function: Any, env: Any, wait_seconds: int) -> None:
            skip_time(env, wait_seconds)

        set_(WaitFunction, "_wait_interval", wait_interval)

        class _RetryClock:
            """Stands in for `time` inside moto's retrier: its sleep is a virtual one."""

            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

            @staticmethod
            def sleep(seconds: float) -> None:
                env = getattr(_current, "env", None)
                if env is None:
                    time.sleep(seconds * sfn.time_scale)
                else:
                    skip_time(env, seconds)

        original_retry_eval = retrier_module.RetrierDecl._eval_body

        def retry_eval(retrier: Any, env: Any) -> None:
            previous = getattr(_current, "env", None)
            _current.env = env
            try:
                original_retry_eval(retrier, env)
            finally:
                _current.env = previous

        set_(retrier_module, "time", _RetryClock())

        class _JitterRandom:
            """Stands in for `random` inside moto's jitter: FULL jitter draws from the cloud's generator."""

            @staticmethod
            def uniform(low: float, high: float) -> float:
                return sfn.random.uniform(low, high)

        set_(jitter_module, "random", _JitterRandom())
        set_(retrier_module.RetrierDecl, "_eval_body", retry_eval)

        # ---- lambda:invoke results keep the SDK metadata (moto keeps only InvocationResponse's fields)
        original_invoke = lambda_utils._invoke_lambda_function
        original_integration = lambda_utils.execute_lambda_function_integration

        def invoke_lambda_function(*args: Any, **kwargs: Any) -> Any:
            response = original_invoke(*args, **kwargs)
            _current.lambda_metadata = response.get("ResponseMetadata")
            return response

        def execute_lambda_function_integration(env: Any, *args: Any, **kwargs: Any) -> None:
            _current.lambda_metadata = None
            original_integration(env, *args, **kwargs)
            metadata, _current.lambda_metadata = getattr(_current, "lambda_metadata", None), None
            if metadata is None or not env.stack or not isinstance(env.stack[-1], dict):
                return  # a mocked response, or nothing to add to
            result = env.stack[-1]
            ordered = {k: result[k] for k in ("ExecutedVersion", "Payload") if k in result}
            ordered.update(sdk_metadata(metadata))
            ordered.update({k: v for k, v in result.items() if k not in ordered})
            env.stack[-1] = ordered

        set_(lambda_utils, "_invoke_lambda_function", invoke_lambda_function)
        set_(lambda_utils, "execute_lambda_function_integration", execute_lambda_function_integration)

    def _patch_cloudformation(self, set_: Callable[[Any, str, Any], None]) -> None:
        """State machines declared in CloudFormation go to the executing backend."""
        from moto.stepfunctions.models import StateMachine

        sfn = self

        def cfn_create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
            from moto.stepfunctions.utils import cfn_to_api_tags

            properties = cloudformation_json["Properties"]
            definition = properties.get("DefinitionString")
            if definition is None and "Definition" in properties:
                definition = json.dumps(properties["Definition"])
            for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
                definition = (definition or "").replace("${" + key + "}", str(value))
            name = properties.get("StateMachineName", resource_name)
            tags = cfn_to_api_tags(properties.get("Tags", []))
            return sfn.backend.create_state_machine(name, definition or "", properties.get("RoleArn", ""), tags=tags)

        def cfn_delete(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:
            sfn.backend.delete_state_machine(resource_name)

        def cfn_update(cls: Any, original: Any, new_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Any:
            properties = cloudformation_json.get("Properties", {})
            definition = properties.get("DefinitionString")
            if definition is None and "Definition" in properties:
                definition = json.dumps(properties["Definition"])
            for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
                definition = (definition or "").replace("${" + key + "}", str(value))
            return sfn.backend.update_state_machine(original.arn, definition=definition, role_arn=properties.get("RoleArn"))

        set_(StateMachine, "create_from_cloudformation_json", classmethod(cfn_create))
        set_(StateMachine, "delete_from_cloudformation_json", classmethod(cfn_delete))
        set_(StateMachine, "update_from_cloudformation_json", classmethod(cfn_update))


# moto's private names `StepFunctions.install` patches or reads (all but the logger on moto's import of them).
PATCHES = (
    MotoName("moto.stepfunctions.parser.models:StepFunctionsParserBackend", "start_execution",
        "(self, state_machine_arn, name=None, execution_input=None, trace_header=None)"),
    MotoName("moto.stepfunctions.parser.models", "stepfunctions_parser_backends"),
    MotoName("moto.stepfunctions.parser.models:StepFunctionsParserBackend", "_validate_definition", "(definition)"),
    MotoName("moto.stepfunctions.parser.api", "InvalidDefinition", "(message, exception_type=None, status=None)"),
    MotoName("moto.stepfunctions.parser.asl.eval.event.event_manager:EventManager", "add_event",
        "(self, context, event_type, event_details=None, timestamp=None, update_source_event_id=True)"),
    MotoName("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils", "_invoke_lambda_function",
        "(parameters, region, state_credentials)"),
    MotoName("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils", "execute_lambda_function_integration",
        "(env, parameters, region, state_credentials)"),
    MotoName("moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function:WaitFunction", "_wait_interval",
        "(self, env, wait_seconds)"),
    MotoName("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl", "time"),
    MotoName("moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl", "random"),
    MotoName("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl:RetrierDecl", "_eval_body",
        "(self, env)"),
    MotoName("moto.stepfunctions.models:StateMachine", "create_from_cloudformation_json",
        "(resource_name, cloudformation_json, account_id, region_name, **kwargs)"),
    MotoName("moto.stepfunctions.models:StateMachine", "delete_from_cloudformation_json",
        "(resource_name, cloudformation_json, account_id, region_name)"),
    MotoName("moto.stepfunctions.models:StateMachine", "update_from_cloudformation_json",
        "(original_resource, new_resource_name, cloudformation_json, account_id, region_name)"),
    MotoName("moto.stepfunctions.utils", "cfn_to_api_tags", "(cfn_tags_entry)"),
)
