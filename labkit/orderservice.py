"""lab08's order service: package a serverless.yml with the real Serverless Framework (osls, offline),
deploy the result or a SAM template onto the offline cloud, reach it through its real paths, and
compare the two.

The framework runs as `node --disable-wasm-trap-handler node_modules/osls/bin/serverless.js`:
without the flag Node's built-in fetch (undici, loaded by osls) reserves ~10 GB of address space
for its WebAssembly memory and cannot start under the grading sandbox's 2 GB limit (RLIMIT_AS).
osls' own messages are kept; where they are unclear (a warning that still packages, a JavaScript
TypeError), a Korean explanation names the file, the line and the fix.

`labkit.framework` (the course's osls wrapper) is being written in the same session; until it
lands, this module carries the few lines of running osls that lab08 needs.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["FrameworkError", "Packaged", "package", "resolve", "remove", "missing_permissions",
           "event_resources", "api_url", "compare", "NEEDS"]

OSLS = Path(__file__).resolve().parent.parent / "node_modules" / "osls" / "bin" / "serverless.js"

# What the lab's given handlers call, by handler: AWS refuses any call the execution role does not allow.
NEEDS = {
    "api.handler": ["dynamodb:GetItem", "dynamodb:PutItem"],
    "changes.handler": ["sqs:SendMessage"],
    "fulfil.handler": ["dynamodb:UpdateItem"],
    "report.handler": ["dynamodb:Scan"],
}


class FrameworkError(Exception):
    """osls refused a service, or the service cannot run as written (the message is Korean)."""


@dataclass
class Packaged:
    """What `osls package` wrote: the CloudFormation template and the folder of its ZIPs."""

    folder: Path
    stage: str
    template: dict[str, Any]
    artifacts: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def template_file(self) -> Path:
        return self.artifacts / "cloudformation-template-update-stack.json"

    def resources(self, kind: str | None = None) -> dict[str, dict[str, Any]]:
        """The template's resources (of one type when `kind` is given)."""
        return {k: v for k, v in self.template.get("Resources", {}).items() if kind is None or v.get("Type") == kind}


def _run(folder: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        raise FrameworkError("Node.js(node)를 찾지 못했습니다. osls는 Node.js로 실행하므로 Node.js 20.19 이상을 설치하십시오.")
    if not OSLS.is_file():
        raise FrameworkError(f"osls가 없습니다({OSLS}). 과정 폴더에서 ./course test tests/labkit -q를 한 번 실행하면 "
                             "node_modules에 설치됩니다.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLS_", "SERVERLESS_"))}
    home = Path(tempfile.gettempdir()) / "labkit-osls-home"
    home.mkdir(exist_ok=True)
    # Fake credentials (packaging never calls AWS), no telemetry or update check: nothing leaves the machine.
    env.update(HOME=str(home), AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               SLS_TELEMETRY_DISABLED="1", SLS_NOTIFICATIONS_MODE="off", FORCE_COLOR="0", NO_COLOR="1")
    try:
        return subprocess.run([node, "--disable-wasm-trap-handler", str(OSLS), *args], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FrameworkError(f"osls {args[0]}이 {timeout:g}초 안에 끝나지 않았습니다. "
                             "${ssm:...}, ${aws:accountId}처럼 AWS에 묻는 변수가 있는지 확인하십시오.") from None


def _digest(folder: Path, stage: str) -> str:
    h = hashlib.sha256(stage.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".serverless" not in path.parts and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def package(folder: str | Path, stage: str = "dev") -> Packaged:
    """`osls package --stage <stage>` in `folder`; FrameworkError (Korean) on an error or a config warning.

    The result is reused while the folder's files and the stage stay the same.
    """
    folder = Path(folder).resolve()
    config = _config_file(folder)
    artifacts = folder / ".serverless"
    digest = _digest(folder, stage)
    stamp = artifacts / "labkit-digest"
    if not (stamp.is_file() and stamp.read_text() == digest):
        shutil.rmtree(artifacts, ignore_errors=True)
        done = _run(folder, "package", "--stage", stage)
        output = _plain(done.stdout + "\n" + done.stderr)
        problem = explain(output, config)
        if done.returncode != 0 or problem:
            shutil.rmtree(artifacts, ignore_errors=True)
            raise FrameworkError(problem or f"osls package가 실패했습니다({config.name}).\n{_framework_message(output)}")
        stamp.write_text(digest)
    template = json.loads((artifacts / "cloudformation-template-update-stack.json").read_text(encoding="utf-8"))
    return Packaged(folder, stage, template, artifacts)


def resolve(folder: str | Path, stage: str = "dev") -> dict[str, Any]:
    """The configuration with every variable resolved for `stage` (`osls print --format json`)."""
    folder = Path(folder).resolve()
    config = _config_file(folder)
    done = _run(folder, "print", "--format", "json", "--stage", stage)
    output = _plain(done.stdout + "\n" + done.stderr)
    if done.returncode != 0:
        raise FrameworkError(explain(output, config) or f"osls print가 실패했습니다({config.name}).\n{_framework_message(output)}")
    start = done.stdout.find("{")
    return json.loads(done.stdout[start:])


def _config_file(folder: Path) -> Path:
    path = folder / "serverless.yml"
    if not path.is_file():
        raise FrameworkError(f"{folder}에 serverless.yml이 없습니다. 풀이 셀(%%writefile)을 먼저 실행하십시오.")
    return path


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _framework_message(output: str) -> str:
    """osls' own message: the lines after `Error:` (or everything when there is none)."""
    _, found, rest = output.partition("Error:\n")
    return (rest if found else output).strip()[:1500]


def explain(output: str, config: Path) -> str:
    """A Korean explanation of osls' output for `config` (empty when nothing is wrong)."""
    name = config.name
    where = lambda dotted: _at(config, dotted)  # noqa: E731
    found = re.search(r"(?:bad indentation|can not read|end of the stream|duplicated mapping key|unexpected)[^\n]*\((\d+):(\d+)\)", output)
    if "Cannot parse" in output:
        line = found.group(1) if found else "?"
        return (f"{name} {line}번째 줄을 YAML로 읽지 못했습니다. 들여쓰기는 스페이스로 맞추고, {{로 시작하는 값은 따옴표로 "
                f"감싸십시오.\nosls: {_framework_message(output)}")
    invalid = re.findall(r"at '([^']+)': (.+)", output.split("Learn more about configuration validation")[0]) \
        if "Invalid configuration" in output else []
    if invalid:
        lines = [f"{name}의 설정이 osls의 스키마에 맞지 않습니다. osls는 경고만 하고 패키징하지만, 그 부분은 없는 것처럼 "
                 "무시되므로 고쳐야 합니다."]
        for dotted, message in invalid:
            hint = ""
            if message.strip() == "unsupported function event":
                hint = (" 이벤트의 속성(path, method, arn...)이 이벤트 이름과 같은 깊이에 있으면 목록 원소의 속성이 됩니다. "
                        "속성을 이벤트 이름보다 두 칸 더 들여 쓰십시오.")
            elif "unrecognized property" in message:
                hint = " 속성 이름의 철자와 들여쓰기를 확인하십시오."
            lines.append(f"- {where(dotted)}({dotted}): {message.strip()}.{hint}")
        return "\n".join(lines)
    unresolved = re.findall(r'Cannot resolve variable at "([^"]+)": (.+)', output)
    if unresolved:
        lines = [f"{name}의 변수를 풀지 못했습니다."]
        for dotted, message in unresolved:
            hint = ""
            if 'Value not found at "self" source' in message:
                hint = (" ${self:...}가 가리키는 키가 serverless.yml에 없습니다. 키 이름의 철자를 확인하고, "
                        "없을 때 쓸 기본값이 필요하면 ${self:custom.x, '기본값'}처럼 씁니다.")
            elif "AWS" in message or "credentials" in message.lower():
                hint = " 이 변수는 AWS에 물어야 풀립니다. 오프라인에서는 custom의 값이나 ${opt:...}, ${env:...}를 쓰십시오."
            lines.append(f"- {where(dotted)}({dotted}): {message.strip()}.{hint}")
        return "\n".join(lines)
    split = re.search(r"TypeError: EventSourceArn\.split is not a function\s+at [^\n]*events/(\w+)\.js", output)
    if split:
        event = split.group(1)
        return (f"{name}의 {event} 이벤트 arn이 ARN 문자열도 !GetAtt도 아닙니다(osls: TypeError: EventSourceArn.split is not "
                f"a function). {_arn_line(config, event)}큐의 !Ref는 URL을 돌려줍니다. ARN은 !GetAtt <논리 ID>.Arn으로 "
                "얻고, DynamoDB 스트림은 !GetAtt <테이블>.StreamArn을 쓰십시오.")
    return ""


def _at(config: Path, dotted: str) -> str:
    """`serverless.yml 12번째 줄` for a dotted path such as functions.api.events.0 (the file alone if not found)."""
    try:
        node = yaml.compose(config.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError:
        return config.name
    line = None
    for part in dotted.split("."):
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return f"{config.name} {line}번째 줄" if line else config.name


def _arn_line(config: Path, event: str) -> str:
    for number, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(r"\s*arn:\s*(!Ref|\{\s*Ref)", text):
            return f"{config.name} {number}번째 줄 `{text.strip()}`: "
    return ""


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt...), read only for line numbers."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


# ---- the deployed stack


def api_url(cloud: Any, stack: Any) -> str:
    """The URL of the stack's one HTTP API (osls names it HttpApi, SAM ServerlessHttpApi)."""
    apis = [logical for logical, kind in stack.types.items() if kind == "AWS::ApiGatewayV2::Api"]
    if len(apis) != 1:
        raise FrameworkError(f"스택 {stack.name}에 HTTP API(AWS::ApiGatewayV2::Api)가 {len(apis)}개 있습니다. "
                             "하나여야 합니다: httpApi 이벤트(SAM은 HttpApi 이벤트)를 확인하십시오.")
    return cloud.api_url(stack[apis[0]])


def remove(cloud: Any, name: str) -> list[str]:
    """Delete a stack, as `osls remove` asks CloudFormation to; returns the functions still left."""
    cloud.client("cloudformation").delete_stack(StackName=name)
    functions = cloud.client("lambda").list_functions()["Functions"]
    return [f["FunctionName"] for f in functions if f["FunctionName"].startswith(name)]


def missing_permissions(cloud: Any, stack: Any, needs: dict[str, list[str]] = NEEDS) -> dict[str, list[str]]:
    """For each deployed function, the actions its handler calls that its execution role does not allow.

    The offline cloud does not evaluate IAM (AWS does: the call fails with AccessDeniedException),
    so this reads the role's policies as CloudFormation created them and evaluates each needed
    action with moto's IAM policy evaluation, on any resource of the stack.
    """
    from moto.iam.access_control import IAMPolicy

    iam, lam = cloud.client("iam"), cloud.client("lambda")
    missing: dict[str, list[str]] = {}
    for logical, kind in stack.types.items():
        if kind != "AWS::Lambda::Function":
            continue
        config = lam.get_function_configuration(FunctionName=stack[logical])
        role = config["Role"].rsplit("/", 1)[-1]
        documents = [iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]
                     for p in iam.list_role_policies(RoleName=role)["PolicyNames"]]
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"])
        resources = _stack_arns(cloud, stack)
        lacking = []
        for action in needs.get(config["Handler"], []):
            service = action.split(":")[0]
            targets = [arn for arn in resources if arn.split(":")[2] == service] or ["*"]
            allowed = any(_permits(IAMPolicy, document, action, arn) for document in documents for arn in targets)
            if not allowed:
                lacking.append(action)
        if lacking:
            missing[config["FunctionName"]] = lacking
    return missing


def _permits(policy_class: Any, document: Any, action: str, resource: str) -> bool:
    from moto.iam.access_control import PermissionResult

    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:  # moto keeps a policy CloudFormation gave it as a dict in Python's repr
            import ast

            document = ast.literal_eval(document)
    text = json.dumps(document)
    return policy_class(text).is_action_permitted(action, resource) == PermissionResult.PERMITTED


def _stack_arns(cloud: Any, stack: Any) -> list[str]:
    """The ARNs of the stack's tables and queues (what the handlers' calls act on)."""
    arns = []
    for logical, kind in stack.types.items():
        if kind == "AWS::DynamoDB::Table":
            arns.append(cloud.client("dynamodb").describe_table(TableName=stack[logical])["Table"]["TableArn"])
        elif kind == "AWS::SQS::Queue":
            arns.append(cloud.client("sqs").get_queue_attributes(
                QueueUrl=stack[logical], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    return arns


# ---- reading and comparing templates


_EVENT_RESOURCES = {
    "httpApi": ("AWS::ApiGatewayV2::",),
    "sqs": ("AWS::Lambda::EventSourceMapping",),
    "stream": ("AWS::Lambda::EventSourceMapping",),
    "schedule": ("AWS::Scheduler::Schedule", "AWS::Events::Rule"),
}


def event_resources(packaged: Packaged) -> dict[str, list[str]]:
    """For each event type of the service, the resource types osls generated for it (from the template).

    An event's resources are found by what they point at: routes and integrations of the HTTP API,
    the event source mapping of a queue or a stream, the schedule's target, and the permissions
    that let a service invoke the function.
    """
    found: dict[str, set[str]] = {}
    for logical, resource in packaged.resources().items():
        kind = resource.get("Type", "")
        props = json.dumps(resource.get("Properties", {}))
        if kind.startswith("AWS::ApiGatewayV2::"):
            found.setdefault("httpApi", set()).add(kind)
        elif kind == "AWS::Lambda::EventSourceMapping":
            found.setdefault("stream" if "StreamArn" in props or "Dynamodb" in logical else "sqs", set()).add(kind)
        elif kind in ("AWS::Scheduler::Schedule", "AWS::Events::Rule"):
            found.setdefault("schedule", set()).add(kind)
        elif kind == "AWS::Lambda::Permission" and "apigateway" in props:
            found.setdefault("httpApi", set()).add(kind)
        elif kind == "AWS::Lambda::Permission" and "events.amazonaws.com" in props:
            found.setdefault("schedule", set()).add(kind)
    return {event: sorted(kinds) for event, kinds in sorted(found.items())}


def compare(serverless_yml: str | Path, sam_template: str | Path, packaged: Packaged, sam_stack: Any) -> str:
    """A side-by-side table: lines written, resources generated by type, for osls and SAM."""
    def lines(path: str | Path) -> int:
        return sum(1 for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip() and not l.strip().startswith("#"))

    osls_types = _count(r.get("Type", "") for r in packaged.resources().values())
    sam_types = _count(sam_stack.types.values())
    rows = [("작성한 줄(빈 줄, 주석 제외)", lines(serverless_yml), lines(sam_template)),
            ("생성된 리소스", sum(osls_types.values()), sum(sam_types.values()))]
    rows += [(kind, osls_types.get(kind, 0), sam_types.get(kind, 0)) for kind in sorted(set(osls_types) | set(sam_types))]
    width = max(len(str(r[0])) for r in rows)
    out = [f"{'':<{width}}  {'osls':>5}  {'SAM':>5}"]
    out += [f"{name:<{width}}  {a:>5}  {b:>5}" for name, a, b in rows]
    return "\n".join(out)


def _count(kinds: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def describe(error: Exception) -> str:
    """One line for a check's message: the Korean explanation of a framework or deploy error."""
    return f"{type(error).__name__}: {error}" if not isinstance(error, FrameworkError) else str(error)
