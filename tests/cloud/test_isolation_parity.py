"""One runtime contract for the three isolation modes.

The in-process runtime and the worker process's bootstrap are two programs; a handler must not
be able to tell them apart (or from AWS's Python runtime, awslambdaric) by what it is given or
what a caller and the log see: the context object, Lambda's environment variables, the error
payloads and the log lines.
"""

from __future__ import annotations

import re

import pytest

from labkit.cloud import LocalCloud
from labkit.cloud.awslambda.models import ISOLATION_MODES

CONTEXT_APP = """
import os

NAMES = ("_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
         "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
         "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
         "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ")

def handler(event, context):
    return {
        "public": sorted(n for n in dir(context) if not n.startswith("_")),
        "vars": sorted(n for n in vars(context) if not n.startswith("_")),
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
        "values": {n: getattr(context, n) for n in ("function_name", "function_version", "memory_limit_in_mb",
                                                    "log_group_name", "log_stream_name", "client_context",
                                                    "tenant_id", "invoked_function_arn")},
        "remaining": type(context.get_remaining_time_in_millis()).__name__,
        "env": {n: os.environ.get(n) for n in NAMES},
        "task_root": os.path.dirname(os.path.abspath(__file__)),
    }
"""

FAILING_APP = """
import logging, sys

def handler(event, context):
    print("about to fail")
    logging.getLogger().warning("careful")
    if event.get("exit"):
        sys.exit(2)
    raise ValueError("boom")
"""

# What awslambdaric's LambdaContext has (lambda_context.py), public names only.
CONTEXT_ATTRIBUTES = [
    "aws_request_id", "client_context", "function_name", "function_version", "identity",
    "invoked_function_arn", "log_group_name", "log_stream_name", "memory_limit_in_mb", "tenant_id",
]
CONTEXT_METHODS = ["get_remaining_time_in_millis", "log"]


def _normalised(lines: list[str], request_id: str) -> list[str]:
    """Log lines with what legitimately varies (ids, times, figures, the kind of cold start) fixed."""
    out = []
    for line in lines:
        line = line.replace(request_id, "<id>")
        line = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>", line)
        line = re.sub(r"Init Duration: [\d.]+ ms|Restore Duration: [\d.]+ ms\tBilled Restore Duration: \d+ ms", "<cold>", line)
        line = re.sub(r"(Duration|Max Memory Used): [\d.]+", r"\1: N", line)
        out.append(line)
    return out


def _report_memory(lines: list[str]) -> int:
    report = [line for line in lines if line.startswith("REPORT ")][0]
    return int(re.search(r"Max Memory Used: (\d+) MB", report).group(1))


@pytest.mark.parametrize("mode", ISOLATION_MODES)
def test_every_isolation_mode_shows_a_handler_and_its_caller_the_same_runtime(cloud: LocalCloud, code_dir, mode: str) -> None:
    # ---- the context object and Lambda's environment variables
    fn = cloud.deploy(code_dir(app=CONTEXT_APP), name="ctx", isolation=mode, memory=256)
    seen = fn.invoke({}).result
    assert seen["public"] == sorted(CONTEXT_ATTRIBUTES + CONTEXT_METHODS)
    assert seen["vars"] == CONTEXT_ATTRIBUTES  # vars(context) works, as on AWS
    assert seen["identity"] == [None, None]  # an object with None fields, never None itself
    snapshot = mode == "snapshot"  # SnapStart: no log group/stream variables (AWS documents it)
    stream = seen["values"]["log_stream_name"]
    assert snapshot and stream is None or re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)
    arn = f"arn:aws:lambda:{cloud.region}:{cloud.account_id}:function:ctx"
    assert seen["values"] == {
        "function_name": "ctx", "function_version": "$LATEST", "memory_limit_in_mb": "256",
        # awslambdaric reads both names from the variables: None under SnapStart
        "log_group_name": None if snapshot else "/aws/lambda/ctx", "log_stream_name": stream, "client_context": None,
        "tenant_id": None, "invoked_function_arn": arn,
    }
    assert seen["remaining"] == "int"
    env = seen["env"]
    runtime_dir = env.pop("LAMBDA_RUNTIME_DIR")
    assert runtime_dir and runtime_dir.endswith("/labkit/cloud/awslambda/bootstrap")  # the same runtime in every mode
    assert env == {
        "_HANDLER": "app.handler", "AWS_REGION": cloud.region, "AWS_DEFAULT_REGION": cloud.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{cloud.client('lambda').get_function(FunctionName='ctx')['Configuration']['Runtime']}",
        "AWS_LAMBDA_FUNCTION_NAME": "ctx", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start" if snapshot else "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": None if snapshot else "/aws/lambda/ctx",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "LAMBDA_TASK_ROOT": seen["task_root"], "TZ": ":UTC",
    }

    # ---- an exception in the handler: payload, the print and logging lines, the error line
    fn = cloud.deploy(code_dir(app=FAILING_APP), name="fails", isolation=mode)
    result = fn.invoke({})
    assert result.function_error == "Unhandled"
    frame = '  File "/var/task/app.py", line 9, in handler\n    raise ValueError("boom")\n'
    assert result.result == {"errorMessage": "boom", "errorType": "ValueError", "requestId": result.request_id, "stackTrace": [frame]}
    assert _normalised(result.log_lines, result.request_id) == [
        "START RequestId: <id> Version: $LATEST",
        "about to fail",
        "[WARNING]\t<time>\t<id>\tcareful",
        '[ERROR] ValueError: boom\nTraceback (most recent call last):\n  File "/var/task/app.py", line 9, in handler\n    raise ValueError("boom")',
        "END RequestId: <id>",
        "REPORT RequestId: <id>\tDuration: N ms\tBilled Duration: N ms\tMemory Size: 128 MB\tMax Memory Used: N MB\t<cold>\t",
    ]

    # ---- sys.exit in the handler ends the runtime: Runtime.ExitError, logged by Lambda itself
    result = fn.invoke({"exit": True})
    assert result.result == {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 2"}
    assert _normalised(result.log_lines, result.request_id) == [
        "START RequestId: <id> Version: $LATEST",
        "about to fail",
        "[WARNING]\t<time>\t<id>\tcareful",
        "RequestId: <id> Error: Runtime exited with error: exit status 2\nRuntime.ExitError",
        "END RequestId: <id>",
        "REPORT RequestId: <id>\tDuration: N ms\tBilled Duration: N ms\tMemory Size: 128 MB\tMax Memory Used: N MB\tStatus: error\tError Type: Runtime.ExitError\t",
    ]
    assert _report_memory(result.log_lines) > 0

    # ---- INIT failures: what the caller gets and the error line of the invocation
    broken = {
        "import": ({"app": "import not_installed_pkg\ndef handler(e, c): pass\n"}, "app.handler"),
        "syntax": ({"app": "def handler(e, c) pass\n"}, "app.handler"),
        "missing": ({"app": "def handler(e, c): pass\n"}, "app.missing"),
        "builtin": ({"app": "def handler(e, c): pass\n"}, "sys.handler"),
    }
    expected = {
        "import": ("Runtime.ImportModuleError", "Unable to import module 'app': No module named 'not_installed_pkg'", []),
        "syntax": ("Runtime.UserCodeSyntaxError", "Syntax error in module 'app': expected ':' (app.py, line 1)",
                   ['  File "/var/task/app.py" Line 1\n    def handler(e, c) pass\n']),
        "missing": ("Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'", []),
        "builtin": ("Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module", []),
    }
    for case, (modules, handler) in broken.items():
        fn = cloud.deploy(code_dir(**modules), name=f"broken-{case}", handler=handler, isolation=mode)
        result = fn.invoke({})
        kind, message, stack = expected[case]
        assert result.result == {"errorMessage": message, "errorType": kind, "requestId": result.request_id, "stackTrace": stack}, case
        # awslambdaric's log_error writes the Traceback header whenever the payload has a stack
        # trace, an empty one included.
        error_line = "\n".join([f"[ERROR] {kind}: {message}", "Traceback (most recent call last):", *(s.rstrip("\n") for s in stack)])
        lines = _normalised(result.log_lines, result.request_id)
        assert lines[0] == "START RequestId: <id> Version: $LATEST" and lines[-2] == "END RequestId: <id>", case
        assert error_line in lines, (case, lines)

    # ---- sys.exit during INIT ends the runtime before it is ready, in-process too
    fn = cloud.deploy(code_dir(app="import sys\nsys.exit(3)\ndef handler(e, c): pass\n"), name="exits-at-init", isolation=mode)
    result = fn.invoke({})
    reason = f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 3"
    assert result.result == {"errorType": "Runtime.ExitError", "errorMessage": reason}
    assert f"{reason}\nRuntime.ExitError" in result.log_lines


@pytest.mark.parametrize("mode", ISOLATION_MODES)
def test_a_path_style_handler_in_a_folder_without_init_py_loads_in_every_mode(cloud: LocalCloud, code_dir, mode: str) -> None:
    # `handler: src/api.handler` (the Serverless Framework's usual layout): awslambdaric imports
    # "src.api", and "src" is a namespace package (no __init__.py), which Python and AWS accept.
    folder = code_dir(**{"src.api": "from src.helper import WORD\ndef handler(event, context):\n    return WORD\n",
                         "src.helper": "WORD = '네임스페이스'\n"})
    for n, handler in enumerate(("src/api.handler", "src.api.handler")):
        fn = cloud.deploy(folder, name=f"ns-{mode}-{n}", handler=handler, isolation=mode)
        invocation = fn.invoke()
        assert (invocation.function_error, invocation.result) == (None, "네임스페이스"), (handler, invocation.payload)


@pytest.mark.parametrize("mode", ISOLATION_MODES)
def test_a_handler_two_namespace_packages_deep_loads_in_every_mode(cloud: LocalCloud, code_dir, mode: str) -> None:
    # `handler: src/handlers/users.get` with no __init__.py anywhere: Python's namespace path of
    # "src.handlers" looks its parent up in sys.modules, which the in-process module space never fills.
    folder = code_dir(**{"src.handlers.users": "from src.lib.words import WORD\ndef get(event, context):\n    return WORD\n",
                         "src.lib.words": "WORD = '두 단계'\n"})
    fn = cloud.deploy(folder, name=f"ns2-{mode}", handler="src/handlers/users.get", isolation=mode)
    invocation = fn.invoke()
    assert (invocation.function_error, invocation.result) == (None, "두 단계"), invocation.payload
