"""The Serverless Framework (osls 3.77.1, the open-source v3 line) run offline, with Korean errors.

    config = framework.print_config("users-svc", stage="dev")      # what `osls print` resolved
    packaged = framework.package("users-svc", stage="dev")         # `osls package`: .serverless/
    stack = framework.deploy(cloud, "users-svc", stage="dev")      # package + the offline cloud
    framework.remove(cloud, "users-svc", stage="dev")              # delete that stack again

The real framework runs (node_modules/.bin/osls, pinned in package.json) with no AWS credentials
ever reaching it: the AWS_* variables of this process are dropped and replaced by the offline
cloud's fake ones, the shared AWS config files are /dev/null, every AWS request goes to a proxy on
a closed local port (so `${ssm:...}` or `${aws:accountId}` fail at once instead of after ~25 s of
retries) and npm's update check is off. `deploy`/`remove` act on the offline cloud, never on AWS.

When the framework refuses a service, or its configuration validation warns (an unknown event type,
an event whose settings slid out of it by a wrong indentation), a `FrameworkError` explains it in
Korean: the file, the line where it can, what is wrong and the fix, then the framework's own message.
A template the offline cloud cannot deploy keeps the offline CloudFormation's Korean explanation
(the resource and property) and adds the serverless.yml line that wrote the name.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .cloud.core.credentials import DEFAULT_REGION, fake_aws_environment
from .korean import josa

if TYPE_CHECKING:
    from .cloud import LocalCloud
    from .cloud.cloudformation import Stack

__all__ = ["FrameworkError", "Package", "Config", "OSLS_VERSION", "osls_path", "print_config", "package", "deploy",
           "remove", "EVENT_TYPES"]

OSLS_VERSION = "3.77.1"  # package.json pins it; docs/reference/runtime.md explains the choice
_NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"  # the course root's, as labkit.plots finds its font
TIMEOUT = 120.0  # seconds for one framework command (packaging takes 1-8 s here, under load)
CONFIG_FILES = ("serverless.yml", "serverless.yaml", "serverless.json")
# The event types osls 3.77.1 defines for AWS (configSchemaHandler.defineFunctionEvent calls).
EVENT_TYPES = ("activemq", "alb", "alexaSkill", "alexaSmartHome", "cloudFront", "cloudwatchEvent", "cloudwatchLog",
               "cognitoUserPool", "eventBridge", "http", "httpApi", "iot", "iotFleetProvisioning", "kafka", "msk",
               "rabbitmq", "s3", "schedule", "sns", "sqs", "stream", "websocket")
# Settings serverless.yml often misspells (function, provider and event properties of v3), for a hint.
_KNOWN_KEYS = (
    "handler", "events", "environment", "timeout", "memorySize", "runtime", "name", "description", "role",
    "reservedConcurrency", "provisionedConcurrency", "layers", "package", "vpc", "tags", "destinations",
    "maximumRetryAttempts", "maximumEventAge", "architecture", "ephemeralStorageSize", "logRetentionInDays",
    "stage", "region", "iam", "httpApi", "apiGateway", "logs", "tracing", "stackName", "deploymentBucket",
    "versionFunctions", "arn", "batchSize", "maximumBatchingWindow", "functionResponseType", "enabled",
    "filterPatterns", "maximumConcurrency", "type", "startingPosition", "bisectBatchOnFunctionError",
    "parallelizationFactor", "maximumRecordAgeInSeconds", "tumblingWindowInSeconds", "batchWindow", "path",
    "method", "cors", "private", "async", "authorizer", "request", "response", "integration", "rate", "input",
    "inputPath", "inputTransformer", "timezone", "custom", "plugins", "resources", "functions", "provider",
    "service", "frameworkVersion", "configValidationMode", "useDotenv", "params", "individually", "patterns",
)
_CLOSED_PORT_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, a connection fails at once


class FrameworkError(Exception):
    """The framework refused a service: the Korean explanation, then the framework's own message."""

    def __init__(self, explanation: str, framework_message: str = "", *, file: Path | None = None,
                 line: int | None = None) -> None:
        self.explanation = explanation
        self.framework_message = framework_message.strip()
        self.file = file
        self.line = line
        text = explanation
        if self.framework_message:
            text += "\n\n프레임워크의 원래 메시지:\n" + self.framework_message
        super().__init__(text)


@dataclass
class Package:
    """What `osls package` wrote: the CloudFormation template and the ZIPs, in `folder` (.serverless)."""

    service_dir: Path
    service: str
    stage: str
    region: str
    stack_name: str
    folder: Path
    template: dict[str, Any]
    artifacts: list[Path]
    output: str  # the framework's own output (stdout and stderr)
    warnings: list[str] = field(default_factory=list)  # Korean, also in the output as the framework said them

    @property
    def template_path(self) -> Path:
        return self.folder / "cloudformation-template-update-stack.json"


class Config(dict):
    """The configuration as the framework resolved it (`osls print`); `text` is what it printed."""

    text: str = ""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython shows the YAML the framework printed
        printer.text(self.text)


# ---- the public functions


def osls_path() -> Path:
    """The framework's command from the course's node_modules (a Korean FrameworkError when missing)."""
    command = _NODE_MODULES / ".bin" / "osls"
    if shutil.which("node") is None or not command.exists():
        raise FrameworkError(
            "Serverless Framework(osls)가 설치되어 있지 않습니다. 과정 폴더에서 ./course test tests/labkit -q를 "
            f"한 번 실행하면 npm ci가 node_modules에 {josa('osls ' + OSLS_VERSION, '을')} 설치합니다(Node.js 20.19 이상이 필요합니다).")
    return command


def print_config(service_dir: str | Path, stage: str = "dev", *, region: str = DEFAULT_REGION,
                 options: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Config:
    """The resolved configuration (`osls print`): variables replaced, defaults filled in."""
    folder, config_file = _service(service_dir)
    done = _run(folder, ["print", "--format", "yaml"], stage, region, options, timeout)
    _check(done, config_file)
    text = done.stdout.strip()  # the framework prints its warnings on stderr; stdout is the YAML
    try:
        loaded = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise FrameworkError("osls print의 출력을 YAML로 읽지 못했습니다. 아래 원래 출력을 확인하십시오.", text) from exc
    config = Config(loaded if isinstance(loaded, dict) else {})
    config.text = text
    return config


def package(service_dir: str | Path, stage: str = "dev", *, region: str = DEFAULT_REGION,
            options: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Package:
    """`osls package`: the CloudFormation template and the ZIPs in `<service_dir>/.serverless`."""
    folder, config_file = _service(service_dir)
    done = _run(folder, ["package"], stage, region, options, timeout)
    warnings = _check(done, config_file)
    out = folder / ".serverless"
    state = json.loads((out / "serverless-state.json").read_text(encoding="utf-8"))
    service = state["service"]["service"]
    provider = state["service"].get("provider") or {}
    template = json.loads((out / "cloudformation-template-update-stack.json").read_text(encoding="utf-8"))
    for warning in _handler_problems(template, out, config_file):  # what AWS would only say at the first invoke
        _warnings.warn(warning, stacklevel=2)
        warnings.append(warning)
    return Package(service_dir=folder, service=service, stage=stage, region=region,
                   stack_name=str(provider.get("stackName") or f"{service}-{stage}"), folder=out, template=template,
                   artifacts=sorted(out.glob("*.zip")), output=_output(done), warnings=warnings)


def deploy(cloud: "LocalCloud", service: str | Path | Package, stage: str = "dev", *,
           options: dict[str, str] | None = None, timeout: float = TIMEOUT) -> "Stack":
    """Package `service` (a folder, or what `package()` returned) and deploy it onto the offline cloud."""
    from .cloud.core.errors import DeployError

    packaged = service if isinstance(service, Package) else package(
        service, stage, region=cloud.region, options=options, timeout=timeout)
    try:
        with _warnings.catch_warnings(record=True) as said:  # re-said below, pointing at the learner's call
            _warnings.simplefilter("always")
            stack = cloud.deploy_stack(packaged.template_path, name=packaged.stack_name, artifacts=packaged.folder)
    except DeployError as exc:
        raise _deploy_failure(packaged, exc) from exc
    for warning in said:
        _warnings.warn(warning.message, warning.category, stacklevel=2)
    return stack


def remove(cloud: "LocalCloud", service: str | Path | Package, stage: str = "dev") -> None:
    """Delete the stack `deploy` created (what `osls remove` does, on the offline cloud only)."""
    if isinstance(service, Package):
        name = service.stack_name
    else:
        name = _stack_name(_service(service)[0], stage, cloud.region)
    cfn = cloud.client("cloudformation")
    try:
        cfn.describe_stacks(StackName=name)
    except cfn.exceptions.ClientError:
        raise FrameworkError(f"오프라인 클라우드에 스택 {josa(name, '이')} 없습니다. deploy()로 배포한 스택인지, "
                             "stage가 같은지 확인하십시오.") from None
    cfn.delete_stack(StackName=name)


# ---- running the framework


def _service(service_dir: str | Path) -> tuple[Path, Path]:
    folder = Path(service_dir).resolve()
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise FrameworkError(f"서비스 폴더 {josa(Path(service_dir), '이')} 없습니다. serverless.yml이 있는 폴더를 넘기십시오.")
    for name in CONFIG_FILES:
        if (folder / name).is_file():
            return folder, folder / name
    raise FrameworkError(f"{folder}에 serverless.yml이 없습니다. 서비스의 설정 파일을 serverless.yml이라는 이름으로 "
                         "그 폴더에 두십시오.")


def _environment(region: str) -> dict[str, str]:
    """This process's environment without any AWS setting, plus the fake credentials and no network."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SLS_", "SERVERLESS_")) and k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "proxy")}
    home = Path(tempfile.gettempdir()) / f"labkit-osls-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    home.mkdir(exist_ok=True)
    env.update(fake_aws_environment(region))
    env.update(
        HOME=str(home),  # not the learner's: no ~/.aws, no ~/.serverlessrc; the schema cache lives here
        SLS_TELEMETRY_DISABLED="1", SLS_TRACKING_DISABLED="1", SLS_NOTIFICATIONS_MODE="off",
        SLS_INTERACTIVE_SETUP_DISABLE="1", SLS_AWS_REQUEST_MAX_RETRIES="0",
        HTTP_PROXY=_CLOSED_PORT_PROXY, HTTPS_PROXY=_CLOSED_PORT_PROXY, http_proxy=_CLOSED_PORT_PROXY,
        https_proxy=_CLOSED_PORT_PROXY, NO_PROXY="", npm_config_update_notifier="false",
        npm_config_offline="true", npm_config_audit="false", npm_config_fund="false", CI="1", FORCE_COLOR="0",
    )
    return env


def _run(folder: Path, command: list[str], stage: str, region: str, options: dict[str, str] | None,
         timeout: float) -> subprocess.CompletedProcess[str]:
    args = [str(osls_path()), *command, "--stage", stage, "--region", region]
    for key, value in (options or {}).items():
        args += [f"--{key}", str(value)]
    # Its own session, so a timeout ends the framework and what it started (npm ls) together.
    process = subprocess.Popen(args, cwd=folder, env=_environment(region), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException as exc:  # a timeout, or the cell interrupted (KeyboardInterrupt): never leave it running
        _kill_group(process)
        said, _ = process.communicate()
        if not isinstance(exc, subprocess.TimeoutExpired):
            raise
        raise FrameworkError(f"osls {command[0]} 명령이 {timeout:g}초 안에 끝나지 않아 멈췄습니다. 컴퓨터가 바쁘면 "
                             "timeout=을 늘려 다시 실행하고, 그래도 멈추면 serverless.yml의 플러그인과 변수를 확인하십시오.",
                             said or "") from None
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):  # gone already, or no process groups (Windows)
        process.kill()


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + ("\n" if done.stdout and done.stderr else "") + done.stderr).strip()


# ---- what the packaged functions will do when invoked


def _handler_problems(template: dict[str, Any], out: Path, config_file: Path) -> list[str]:
    """Korean warnings for functions that would fail at their first invoke (Runtime.ImportModuleError,
    Runtime.HandlerNotFound): a handler file the ZIP lacks, a handler function its module lacks, a
    Node.js (or other) handler with no Python module of that name (the offline cloud runs Python
    handlers only, whatever `runtime:` says). AWS accepts all three at deploy."""
    import ast
    import zipfile

    text = config_file.read_text(encoding="utf-8")
    said: list[str] = []
    custom = [r for r in (template.get("Resources") or {}).values() if isinstance(r, dict)
              and r.get("Type") == "AWS::ApiGateway::Method"
              and ((r.get("Properties") or {}).get("Integration") or {}).get("Type") == "AWS"]
    if custom:  # `integration: lambda`: mapping templates the offline API Gateway does not run
        line = _line_matching(text, r"\s*integration:\s*['\"]?lambda['\"]?\s*(#.*)?$")
        said.append(f"{_where(config_file.name, line)}http 이벤트의 integration: lambda(매핑 템플릿을 쓰는 Lambda 통합, "
                    f"메서드 {len(custom)}개)는 오프라인 클라우드가 실행하지 않아서 그 경로는 500으로 답합니다(AWS에서는 "
                    "동작합니다). 실습에서는 integration을 빼서(기본값 lambda-proxy) 핸들러가 {statusCode, body}를 "
                    "돌려주게 하십시오.")
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
            continue
        props = resource.get("Properties") or {}
        handler, runtime = props.get("Handler"), str(props.get("Runtime") or "")
        key = (props.get("Code") or {}).get("S3Key")
        if not isinstance(handler, str) or "." not in handler or not isinstance(key, str):
            continue
        line = _line_matching(text, rf"\s*handler:\s*['\"]?{re.escape(handler)}['\"]?\s*(#.*)?$")
        where = _where(config_file.name, line)
        module, function = handler.rsplit(".", 1)
        archive = out / Path(key).name
        if not archive.is_file() or archive.name == "custom-resources.zip":  # osls's own (Node.js) helper functions
            continue
        with zipfile.ZipFile(archive) as zipped:
            names = set(zipped.namelist())
            source_name = next((n for n in (f"{module}.py", f"{module}/__init__.py") if n in names), None)
            source = zipped.read(source_name).decode("utf-8", "replace") if source_name else None
        if source is None and runtime and not runtime.startswith("python"):
            said.append(f"{where}핸들러 {handler}의 런타임({runtime})은 Python이 아니고, 패키지({archive.name})에 "
                        f"{module}.py도 없습니다. 오프라인 클라우드는 런타임과 상관없이 Python 핸들러만 실행하므로, 배포는 "
                        "되지만 호출하면 Runtime.ImportModuleError로 실패합니다. 실습에서는 핸들러를 Python으로 쓰고 "
                        "runtime을 python3.13으로 두십시오.")
            continue
        if source is None:
            said.append(f"{where}핸들러 {handler}의 파일 {module}.py가 패키지({archive.name})에 없습니다. 배포는 되지만 "
                        f"호출하면 Runtime.ImportModuleError로 실패합니다. 서비스 폴더에 {module}.py가 있는지, "
                        "handler의 경로(폴더/파일.함수)와 package.patterns를 확인하십시오.")
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            said.append(f"{where}핸들러 파일 {source_name}의 {exc.lineno}번째 줄에 문법 오류가 있습니다({exc.msg}). "
                        "호출하면 Runtime.UserCodeSyntaxError로 실패합니다.")
            continue
        defined = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                if any(alias.name == "*" for alias in node.names):
                    defined.add(function)  # a star import may define it: nothing to say
                defined |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        if function not in defined and "__getattr__" not in defined:
            close = difflib.get_close_matches(function, sorted(defined), n=1)
            hint = f" {close[0]}의 철자 실수라면 고치십시오." if close else ""
            said.append(f"{where}핸들러 {handler}: {source_name}에 함수 {josa(function, '이')} 없습니다. 배포는 되지만 "
                        f"호출하면 Runtime.HandlerNotFound로 실패합니다.{hint}")
    return said


# ---- explaining what the framework said


_VALIDATION = re.compile(r"^\s+at '([^']*)': (.+)$", re.MULTILINE)
_UNRESOLVED = re.compile(r'Cannot resolve variable at "([^"]*)": (.+)')
_PLUGIN = re.compile(r'plugin "([^"]+)" not found')


def _check(done: subprocess.CompletedProcess[str], config_file: Path) -> list[str]:
    """Raise a FrameworkError for a failed run or a configuration validation problem; else the
    Korean warnings (values the framework passes through unchecked, such as an old runtime)."""
    said = _output(done)
    text = config_file.read_text(encoding="utf-8")
    errors, warnings = [], []
    for path, message in _VALIDATION.findall(done.stderr):
        explained, line = _validation_problem(path, message.strip(), config_file, text)
        if message.strip() in _DROPPED or message.startswith("unrecognized property"):
            errors.append((explained, line))
        else:
            warnings.append(explained)
    if errors:  # configValidationMode: error semantics; they also explain a failure they caused
        explanation = "\n".join(e for e, _ in errors)
        raise FrameworkError(explanation, _framework_block(said, "Warning:"), file=config_file, line=errors[0][1])
    if done.returncode != 0:
        raise _failure(said, config_file, text)
    for warning in warnings:
        _warnings.warn(warning + "\n(프레임워크는 경고만 하고 그대로 진행했습니다.)", stacklevel=3)
    return warnings


# Validation messages about configuration the framework then ignores without a word (an event of
# unknown type, a property it does not know): errors, as `configValidationMode: error` would make
# them. Other messages (an old runtime, the deprecated `- alexaSkill` string form) are warnings: the
# framework still uses the value as written.
_DROPPED = {"unsupported function event"}


def _is_runtime_enum(path: str, message: str) -> bool:
    return path.endswith("runtime") and "allowed values" in message


def _failure(said: str, config_file: Path, text: str) -> FrameworkError:
    block = _framework_block(said, "Error:")
    name = config_file.name
    if "Cannot parse" in block and not _UNRESOLVED.search(block):  # serverless.yml itself (a ${file()} says it too)
        return _yaml_error(config_file, text, block)
    if _PLUGIN.search(block):
        plugin = _PLUGIN.search(block).group(1)
        line = _line_of_text(text, plugin)
        return FrameworkError(
            f"{_where(name, line)}plugins에 적은 플러그인이 설치되어 있지 않습니다: {plugin}. 과정은 "
            "package.json에 정한 npm 패키지만 설치하고 오프라인에서 npm install을 하지 않습니다. 이 플러그인이 하는 일이 "
            "실습에 필요 없으면 plugins 목록에서 빼고, 필요하면 그 일을 serverless.yml의 resources나 functions에 "
            "직접 쓰십시오.", block, file=config_file, line=line)
    unresolved = _UNRESOLVED.findall(block)
    if unresolved:
        parts, first = [], None
        for path, message in unresolved:
            explained, line = _variable_problem(path, message.strip(), config_file, text)
            parts.append(explained)
            first = first or line
        return FrameworkError("\n".join(parts), block, file=config_file, line=first)
    for pattern, word, explain in _KNOWN_FAILURES:
        if re.search(pattern, block):
            line = _line_of_text(text, word)
            return FrameworkError(_where(name, line) + explain, block, file=config_file, line=line)
    if "does not satisfy" in block and "frameworkVersion" in block:
        line = _line_of_key(text, ["frameworkVersion"])
        return FrameworkError(
            f"{_where(name, line)}frameworkVersion이 과정의 osls {OSLS_VERSION}(v3 계열)과 맞지 않습니다. "
            "frameworkVersion: '3'으로 고치십시오.", block, file=config_file, line=line)
    return FrameworkError(f"Serverless Framework가 {name}을 처리하지 못했습니다. 아래 원래 메시지의 내용대로 고치십시오.",
                          block or said, file=config_file)


# Framework refusals whose English does not say the fix: (pattern, the word to find the line by, Korean).
_KNOWN_FAILURES = (
    (r'"timezone" is only supported with "scheduler" mode', "timezone",
     "schedule 이벤트의 timezone은 EventBridge Scheduler로 만들 때만 쓸 수 있습니다(기본은 시간대가 없는 "
     "EventBridge 규칙, UTC입니다). 같은 schedule 아래에 `method: scheduler`를 넣거나, timezone을 빼고 cron을 UTC로 "
     "고쳐 쓰십시오(한국 시각 09:00은 UTC 00:00입니다)."),
    (r"Bucket name must conform to pattern", "bucket",
     "s3 이벤트(또는 provider.s3)의 bucket 이름이 S3 버킷 이름의 규칙에 맞지 않습니다. 소문자, 숫자, 하이픈(-)과 마침표(.)만 "
     "쓰고 3~63자로 쓰십시오(<your-bucket-name> 같은 자리표시는 실제 이름으로 바꾸십시오)."),
    (r"No file matches include / exclude patterns", "package",
     "패키지에 넣을 파일이 하나도 없습니다. 핸들러 파일(handler: 파일.함수의 파일)이 서비스 폴더에 있는지, "
     "package.patterns가 그 파일을 빼지 않는지 확인하십시오."),
)


def _framework_block(said: str, marker: str) -> str:
    """The framework's own message from `marker` on (its banner lines dropped)."""
    start = said.find(marker)
    block = said[start:] if start >= 0 else said
    if marker == "Warning:":  # up to the framework's link to its validation guide
        end = block.find("\n", block.find("Learn more about configuration validation"))
        block = block[:end] if end > 0 else block
    drop = ("Environment:", "Credentials:", "Docs:", "Support:", "Bugs:")
    return "\n".join(line for line in block.splitlines() if not line.startswith(drop)).strip()


def _where(name: str, line: int | None) -> str:
    return f"{name} {line}번째 줄: " if line else f"{name}: "


def _yaml_error(config_file: Path, text: str, block: str) -> FrameworkError:
    """PyYAML's mark gives the line; the flow-mapping brace (`{path: /users/{id}}`) gets its own fix."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        source = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        if "{" in source and ("flow" in str(exc.problem or "") or "flow" in str(exc.context or "")):
            fix = ("중괄호 {}는 YAML에서 매핑(flow mapping)을 엽니다. 중괄호가 든 값(/users/{id})은 따옴표로 감싸거나 "
                   "(\"/users/{id}\") 블록 형식으로 한 줄에 하나씩 쓰십시오.")
        else:
            fix = "그 줄과 바로 윗줄의 들여쓰기(스페이스만, 탭은 안 됩니다), 콜론 뒤의 빈칸, 따옴표의 짝을 확인하십시오."
        problem = exc.problem or exc.context or "문법 오류"
        return FrameworkError(f"{_where(config_file.name, line)}YAML로 읽을 수 없습니다({problem}). {fix}\n  {line}| {source.strip()}",
                              block, file=config_file, line=line)
    return FrameworkError(f"{config_file.name}을 읽을 수 없습니다. 아래 원래 메시지가 가리키는 줄을 고치십시오.", block,
                          file=config_file)


def _validation_problem(path: str, message: str, config_file: Path, text: str) -> tuple[str, int | None]:
    """One configuration validation message of the framework, in Korean with its line."""
    keys = _split(path)
    node = _node_at(text, keys)
    line = node.start_mark.line + 1 if node is not None else None
    name = config_file.name
    if message == "unsupported function event" and isinstance(node, yaml.MappingNode):
        names = [k.value for k, _ in node.value]
        known = [n for n in names if n in EVENT_TYPES]
        empty = [k for k, v in node.value if k.value in EVENT_TYPES and _is_null(v)]
        if empty and len(names) > 1:
            event = empty[0].value
            slid = [n for n in names if n != event]
            return (f"{_where(name, empty[0].start_mark.line + 1)}이벤트 {event}의 설정({', '.join(slid)})이 "
                    f"`- {event}:` 줄과 같은 들여쓰기에 있어서, {event} 이벤트의 값은 비어 있고 그 설정 줄은 이벤트 "
                    f"목록 항목의 속성이 되었습니다. {', '.join(slid)} 줄을 {event}보다 두 칸 더 들여 쓰십시오.",
                    empty[0].start_mark.line + 1)
        unknown = [n for n in names if n not in EVENT_TYPES]
        if unknown and not known:
            close = difflib.get_close_matches(unknown[0], EVENT_TYPES, n=1)
            hint = f" {close[0]}의 철자 실수라면 고치십시오." if close else ""
            return (f"{_where(name, line)}{path}에 알 수 없는 이벤트 유형이 있습니다: {unknown[0]}.{hint} "
                    f"쓸 수 있는 유형: {', '.join(EVENT_TYPES)}.", line)
    if message.startswith("unrecognized property"):
        prop = message.split("'")[1] if "'" in message else message
        prop_node = _node_at(text, [*keys, prop], key=True)
        line = prop_node.start_mark.line + 1 if prop_node is not None else line
        close = [k for k in _KNOWN_KEYS if k.lower() == prop.lower()] or difflib.get_close_matches(prop, _KNOWN_KEYS, n=1)
        hint = f" {close[0]}의 철자 실수라면 고치십시오(대소문자도 구별합니다)." if close else " 철자를 확인하십시오."
        if path.endswith(".request") and prop in ("paths", "querystrings", "headers"):  # the examples' pre-v3 form
            hint = (f" request.{prop}는 예전 형식입니다. 경로·쿼리·헤더 매개변수는 request.parameters.{prop} 아래에 씁니다. "
                    f"{prop} 줄을 request 아래의 parameters: 밑으로 옮기십시오.")
        return (f"{_where(name, line)}{path or '맨 위'}에 프레임워크가 모르는 속성이 있습니다: {prop}. 프레임워크는 이 "
                f"속성을 말없이 무시합니다.{hint} 다른 설정 아래에 있어야 할 속성이면 들여쓰기를 고치십시오.", line)
    if _is_runtime_enum(path, message):
        value = node.value if isinstance(node, yaml.ScalarNode) else "?"
        family = re.match(r"[a-z]+", str(value))
        allowed = re.findall(r"[a-z]+[0-9][\w.]*", message.split("allowed values", 1)[-1])
        same = [r for r in allowed if family and r.startswith(family.group(0))]
        instead = same[-1] if same and not str(value).startswith("python") else "python3.13"
        runs = "기록만 하고 노트북의 Python으로 실행하지만" if str(value).startswith("python") else "기록만 하지만"
        return (f"{_where(name, line)}{path}: {josa(value, '은')} {josa('osls ' + OSLS_VERSION, '이')} 모르는 런타임입니다(AWS Lambda의 지원이 "
                f"끝난 런타임일 수 있습니다). 오프라인 클라우드는 값을 {runs}, AWS에 "
                f"배포하기 전에 {instead}처럼 지원되는 런타임으로 바꾸십시오.", line)
    if message == "must be object" and isinstance(node, yaml.ScalarNode) and node.value == "alexaSkill":
        # osls 3.77.1 accepts the bare form but compiles nothing from it (it reads event.alexaSkill of a string)
        return (f"{_where(name, line)}{path}: `- alexaSkill`처럼 이벤트 이름만 쓴 예전 형식입니다. "
                f"{josa('osls ' + OSLS_VERSION, '은')} 이 형식을 받아들이지만 아무것도 만들지 않아서, Alexa가 함수를 "
                "부를 권한(AWS::Lambda::Permission)이 템플릿에 없습니다. `- alexaSkill:` 아래에 "
                "`appId: amzn1.ask.skill.…`(스킬 ID)을 들여 써서 적으십시오.", line)
    if message == "must be object" and isinstance(node, yaml.ScalarNode) and node.value in EVENT_TYPES:
        return (f"{_where(name, line)}{path}: 이벤트 {node.value}의 이름만 쓰고 설정이 없습니다. 설정 검사는 "
                f"`- {node.value}:` 아래의 설정(객체)을 기대합니다. 그 이벤트의 설정을 들여 써서 적으십시오.", line)
    return (f"{_where(name, line)}{path}의 설정이 프레임워크의 설정 검사를 통과하지 못했습니다({message}). "
            "Serverless Framework 문서의 그 항목과 비교해 고치십시오.", line)


def _variable_problem(path: str, message: str, config_file: Path, text: str) -> tuple[str, int | None]:
    """A variable the framework could not resolve, in Korean: which one, why, and the fix."""
    node = _node_at(text, _split(path))
    line = node.start_mark.line + 1 if node is not None else None
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    variable = (re.findall(r"\$\{[^{}]*\}", value) or [""])[0] if value else ""
    shown = variable or value or path
    where = f"{_where(config_file.name, line)}{path}에 쓴 변수 {shown}의 값을 얻지 못했습니다. "
    if "Inaccessible host" in message or "Missing credentials" in message or "connect" in message.lower():
        return (where + "이 변수는 AWS에 물어서 값을 얻는데(${ssm:...}, ${aws:accountId}, ${cf:...}, ${s3:...}), "
                "과정은 AWS에 연결하지 않습니다. 기본값(${ssm:/a, 'x'})도 오류는 잡지 못합니다. 실습에서는 "
                "custom 아래 스테이지별 값이나 ${env:...}, ${file(...)}로 바꾸십시오.", line)
    parse = re.match(r'Cannot parse "([^"]*)": (.+)', message)
    if parse:  # ${file(...)} names a file that is not valid YAML/JSON (or a device: ${file(/dev/zero)})
        where_in = re.search(r"\((\d+):(\d+)\)", parse.group(2))
        at = f" {where_in.group(1)}번째 줄" if where_in else ""
        reason = parse.group(2).split(" in \"", 1)[0].strip()
        shown_file = parse.group(1) or (re.findall(r"file\(([^)]*)\)", variable) or ["그 파일"])[0]
        return (where + f"변수가 읽는 파일 {shown_file}의{at} 내용을 YAML/JSON으로 읽을 수 없습니다({reason}). "
                f"{josa(shown_file, '을')} 고치십시오(들여쓰기, 괄호와 따옴표의 짝, JSON의 끝 쉼표). 파일에 문법 "
                "오류가 있으면 serverless.yml이 맞아도 패키징이 멈춥니다.", line)
    source = re.search(r'at "([^"]+)" source', message)
    if source and source.group(1) == "opt":
        option = re.search(r"opt:([\w-]+)", variable or value)
        flag = f"--{option.group(1)}" if option else "그 옵션"
        return (where + f"명령에 {flag} 옵션이 없고 기본값도 없습니다. ${{opt:이름, '기본값'}}처럼 기본값을 쓰거나 "
                f"options={{'{flag.lstrip('-')}': ...}}로 넘기십시오.", line)
    if source and source.group(1) == "file":
        return (where + f"서비스 폴더({config_file.parent})에 그 파일이 없거나, 파일 안에 그 키가 없습니다. ${{file(...)}}의 "
                "경로는 서비스 폴더 기준입니다. 파일을 만들거나 경로와 키의 철자를 고치십시오.", line)
    if source and source.group(1) in ("self", "env", "sls"):
        kind = source.group(1)
        why = {"self": "serverless.yml에 그 키가 없습니다", "env": "그 환경 변수가 없습니다",
               "sls": "프레임워크가 그 값을 모릅니다"}[kind]
        return (where + f"{why}. 참조하는 경로의 철자를 확인하거나 ${{{kind}:이름, '기본값'}}처럼 기본값을 쓰십시오.", line)
    return (where + f"({message}) 변수의 이름과 출처를 확인하십시오.", line)


def _reference_targets(value: Any) -> list[str]:
    """Every Ref target and Fn::GetAtt "Name.Attribute" of a template, in order."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.append(item)
            elif key == "Fn::GetAtt":
                found.append(".".join(map(str, item)) if isinstance(item, list) else str(item))
            else:
                found += _reference_targets(item)
    elif isinstance(value, list):
        for item in value:
            found += _reference_targets(item)
    return list(dict.fromkeys(found))


def _deploy_failure(packaged: Package, exc: Exception) -> FrameworkError:
    """The offline CloudFormation's Korean explanation, plus where serverless.yml wrote the names it gives."""
    message = str(exc)
    config = next((packaged.service_dir / n for n in CONFIG_FILES if (packaged.service_dir / n).is_file()), None)
    text = config.read_text(encoding="utf-8") if config else ""
    resources = packaged.template.get("Resources", {})
    mentioned = set(re.findall(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9.]+(?![A-Za-z0-9])", message))
    targets = _reference_targets(packaged.template)
    # Most telling first: a Fn::GetAtt "Name.Attribute" as written, a name the template lacks (a
    # misspelt Ref/GetAtt in serverless.yml), then a resource serverless.yml declared itself.
    ordered = ([t for t in targets if "." in t and t in mentioned]
               + [t for t in targets if t.split(".")[0] not in resources and t.split(".")[0] in mentioned]
               + [r for r in resources if r in mentioned])
    lines = []
    for name in ordered:
        line = _line_of_text(text, name)
        if line and config is not None:
            lines.append(f"{config.name} {line}번째 줄: {text.splitlines()[line - 1].strip()}")
    hint = ("\n오프라인 클라우드가 말한 이름을 쓴 줄: " + lines[0]) if lines else ""
    prefix = f"스택 {josa(packaged.stack_name, '을')} 배포하지 못했습니다"
    message = message[len(prefix):].lstrip(".: ") if message.startswith(prefix) else message
    return FrameworkError(
        f"osls package가 만든 템플릿(.serverless/cloudformation-template-update-stack.json)을 오프라인 클라우드에 "
        f"{josa('스택 ' + packaged.stack_name, '으로')} 배포하지 못했습니다. {message}{hint}", packaged.output, file=config)


# ---- finding the line of a configuration path


def _split(path: str) -> list[str]:
    return [p for p in path.split(".") if p != ""]


def _node_at(text: str, keys: list[str], *, key: bool = False) -> yaml.Node | None:
    """The YAML node at a dotted path of the framework (`functions.hello.events.0`); None when the
    value came from elsewhere (a variable, ${file(...)}) or the text does not parse."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for i, step in enumerate(keys):
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step), None)
            if match is None:
                return None
            node = match[0] if key and i == len(keys) - 1 else match[1]
        elif isinstance(node, yaml.SequenceNode) and step.isdigit() and int(step) < len(node.value):
            node = node.value[int(step)]
        else:
            return None
    return node


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _line_of_key(text: str, keys: list[str]) -> int | None:
    node = _node_at(text, keys, key=True)
    return node.start_mark.line + 1 if node is not None else None


def _line_matching(text: str, pattern: str) -> int | None:
    """The first line (1-based) that `pattern` matches from its start."""
    return next((n for n, line in enumerate(text.splitlines(), 1) if re.match(pattern, line)), None)


def _line_of_text(text: str, word: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(word)}(?![A-Za-z0-9_-])", line) and not line.lstrip().startswith("#"):
            return number
    return None


def _stack_name(folder: Path, stage: str, region: str) -> str:
    """`provider.stackName` or `<service>-<stage>`, as the framework resolves them."""
    config = print_config(folder, stage, region=region)
    provider = config.get("provider") or {}
    return str(provider.get("stackName") or f"{config.get('service')}-{stage}")
