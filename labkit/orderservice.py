"""lab08's order service on the offline cloud: what the lab needs on top of `labkit.framework`.

`labkit.framework` runs the real Serverless Framework (osls) offline and explains its errors in
Korean; this module adds, for lab08's notebook and its checks:

- `package`: `framework.package`, reused while the service's files and the stage stay the same (one
  packaging takes 2-10 s here and the lab's checks read the same template several times), with one
  more explanation: an sqs/stream `arn` given as `!Ref` makes osls 3.77.1 crash with
  `TypeError: EventSourceArn.split is not a function`;
- `missing_permissions`: the offline cloud does not evaluate IAM, so the execution roles are read and
  evaluated here;
- `event_resources`, `api_url`, `compare`: reading a packaged template and a deployed stack.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from . import framework
from .framework import FrameworkError, Package

__all__ = ["FrameworkError", "package", "resolve", "deploy", "remove", "resources", "missing_permissions",
           "excess_permissions", "event_resources", "api_url", "compare", "NEEDS"]

# What the lab's given handlers call, by handler: AWS refuses any call the execution role does not allow.
NEEDS = {
    "api.handler": ["dynamodb:GetItem", "dynamodb:PutItem"],
    "changes.handler": ["sqs:SendMessage"],
    "fulfil.handler": ["dynamodb:UpdateItem"],
    "report.handler": ["dynamodb:Scan"],
}

_packaged: dict[tuple[Path, str], tuple[str, Package]] = {}
_resolved: dict[tuple[Path, str], tuple[str, dict[str, Any]]] = {}


def _digest(folder: Path, stage: str) -> str:
    h = hashlib.sha256(stage.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".serverless" not in path.parts and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def package(folder: str | Path, stage: str = "dev") -> Package:
    """`osls package --stage <stage>` in `folder` (labkit.framework), reused while nothing changed."""
    folder = Path(folder).resolve()
    digest = _digest(folder, stage)
    cached = _packaged.get((folder, stage))
    if cached and cached[0] == digest and cached[1].template_path.is_file():
        return cached[1]
    _packaged.pop((folder, stage), None)
    try:
        packaged = framework.package(folder, stage)
    except FrameworkError as error:
        raise _explained(error, folder) from None
    _packaged[(folder, stage)] = (digest, packaged)
    return packaged


def resolve(folder: str | Path, stage: str = "dev") -> dict[str, Any]:
    """The configuration with every variable resolved for `stage` (`osls print`), reused while nothing changed."""
    folder = Path(folder).resolve()
    digest = _digest(folder, stage)
    cached = _resolved.get((folder, stage))
    if not (cached and cached[0] == digest):
        cached = _resolved[(folder, stage)] = (digest, dict(framework.print_config(folder, stage)))
    return json.loads(json.dumps(cached[1]))  # a copy: the caller may change it


def deploy(cloud: Any, packaged: Package) -> Any:
    """Deploy what `package` wrote onto the offline cloud, as the stack `<service>-<stage>`."""
    return framework.deploy(cloud, packaged)


def remove(cloud: Any, packaged: Package) -> list[str]:
    """Delete the stack `deploy` created (`osls remove`); returns the names of its functions still left."""
    framework.remove(cloud, packaged)
    functions = cloud.client("lambda").list_functions()["Functions"]
    return [f["FunctionName"] for f in functions if f["FunctionName"].startswith(packaged.stack_name + "-")]


def resources(packaged: Package, kind: str | None = None) -> dict[str, dict[str, Any]]:
    """The packaged template's resources (of one type when `kind` is given)."""
    return {k: v for k, v in packaged.template.get("Resources", {}).items() if kind is None or v.get("Type") == kind}


def _explained(error: FrameworkError, folder: Path) -> FrameworkError:
    """The framework's error, with the explanation labkit.framework does not give yet (an arn given as !Ref)."""
    split = re.search(r"TypeError: EventSourceArn\.split is not a function\s+at [^\n]*events/(\w+)\.js",
                      error.framework_message)
    if not split:
        return error
    config = folder / "serverless.yml"
    line = next((n for n, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
                 if re.match(r"\s*arn:\s*(!Ref|\{\s*Ref)", text)), None)
    where = f"{config.name} {line}번째 줄" if line else config.name
    return FrameworkError(
        f"{where}: {split.group(1)} 이벤트의 arn이 ARN 문자열도 !GetAtt도 아닙니다. 큐의 !Ref는 URL을 돌려줍니다. "
        "ARN은 !GetAtt <논리 ID>.Arn으로 얻고, DynamoDB 스트림은 !GetAtt <테이블>.StreamArn을 쓰십시오.",
        error.framework_message, file=config, line=line)


# ---- the deployed stack


def api_url(cloud: Any, stack: Any) -> str:
    """The URL of the stack's one HTTP API (osls names it HttpApi, SAM ServerlessHttpApi)."""
    apis = [logical for logical, kind in stack.types.items() if kind == "AWS::ApiGatewayV2::Api"]
    if len(apis) != 1:
        raise FrameworkError(f"스택 {stack.name}에 HTTP API(AWS::ApiGatewayV2::Api)가 {len(apis)}개 있습니다. "
                             "하나여야 합니다: httpApi 이벤트(SAM은 HttpApi 이벤트)를 확인하십시오.")
    return cloud.api_url(stack[apis[0]])


def missing_permissions(cloud: Any, stack: Any, needs: dict[str, list[str]] = NEEDS) -> dict[str, list[str]]:
    """For each deployed function, the actions its role does not allow, as "action on resource-name".

    The offline cloud does not evaluate IAM (AWS does: the call fails with AccessDeniedException),
    so this reads the role's policies as CloudFormation created them and evaluates them with moto's
    IAM policy evaluation: each action of `needs` (by handler) on the table and queue the function's
    environment names (TABLE, QUEUE_URL), and sqs:SendMessage on a stream mapping's on-failure
    queue (Lambda sends the failed batch's record with the function's role).
    """
    from moto.iam.access_control import IAMPolicy

    iam, lam = cloud.client("iam"), cloud.client("lambda")
    missing: dict[str, list[str]] = {}
    for logical, kind in stack.types.items():
        if kind != "AWS::Lambda::Function":
            continue
        config = lam.get_function_configuration(FunctionName=stack[logical])
        documents = _role_documents(iam, config["Role"].rsplit("/", 1)[-1])
        targets = _targets(cloud, config)
        wanted = [(action, targets.get(action.split(":")[0], "*")) for action in needs.get(config["Handler"], [])]
        for mapping in lam.list_event_source_mappings(FunctionName=config["FunctionName"])["EventSourceMappings"]:
            destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if destination and ":sqs:" in destination:
                wanted.append(("sqs:SendMessage", destination))
        lacking = [f"{action} on {arn.rsplit(':', 1)[-1].split('/')[-1]}" for action, arn in wanted
                   if not any(_permits(IAMPolicy, document, action, arn) for document in documents)]
        if lacking:
            missing[config["FunctionName"]] = lacking
    return missing


# What osls itself adds to the shared execution role for the events it compiles (sqs, stream and its
# onFailure queue: sqs:ListQueues and sqs:SendMessage there), not the learner's.
_FRAMEWORK_GRANTS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ListQueues", "dynamodb:GetRecords",
                     "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"}


def excess_permissions(cloud: Any, stack: Any, needs: dict[str, list[str]] = NEEDS) -> list[str]:
    """DynamoDB and SQS actions the stack's execution roles allow beyond what its handlers call.

    The counterpart of `missing_permissions` for least privilege: a wildcard (`*`, `dynamodb:*`,
    `sqs:Send*`) or an action no handler of `needs` calls (`dynamodb:DeleteItem`) is listed; the
    actions osls adds for the sqs and stream events it compiles, and CloudWatch Logs, are not.
    """
    iam, lam = cloud.client("iam"), cloud.client("lambda")
    allowed = {a.lower() for actions in needs.values() for a in actions} | {a.lower() for a in _FRAMEWORK_GRANTS}
    roles = {lam.get_function_configuration(FunctionName=stack[logical])["Role"].rsplit("/", 1)[-1]
             for logical, kind in stack.types.items() if kind == "AWS::Lambda::Function"}
    excess: set[str] = set()
    for role in roles:
        for document in _role_documents(iam, role):
            statements = document.get("Statement") or []
            for statement in [statements] if isinstance(statements, dict) else statements:
                if statement.get("Effect") != "Allow":
                    continue
                actions = statement.get("Action") or []
                for action in [actions] if isinstance(actions, str) else actions:
                    service = action.split(":", 1)[0].lower()
                    if action == "*" or ("*" in action and service in ("dynamodb", "sqs")) or (
                            service in ("dynamodb", "sqs") and action.lower() not in allowed):
                        excess.add(action)
    return sorted(excess)


def _role_documents(iam: Any, role: str) -> list[dict[str, Any]]:
    """Every policy document a role has: inline ones and attached managed ones (`managedPolicies`,
    `ManagedPolicyArns`, SAM's policy names), as dicts."""
    documents = [iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]
                 for p in iam.list_role_policies(RoleName=role)["PolicyNames"]]
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"])
    return [json.loads(d) if isinstance(d, str) else d for d in documents]


def _targets(cloud: Any, config: dict[str, Any]) -> dict[str, str]:
    """The ARNs of the table and queue a function's environment names, by service."""
    env = (config.get("Environment") or {}).get("Variables") or {}
    found: dict[str, str] = {}
    try:
        if env.get("TABLE"):
            found["dynamodb"] = cloud.client("dynamodb").describe_table(TableName=env["TABLE"])["Table"]["TableArn"]
        if env.get("QUEUE_URL"):
            found["sqs"] = cloud.client("sqs").get_queue_attributes(
                QueueUrl=env["QUEUE_URL"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    except Exception:  # a name that is no table or queue: the call fails on AWS too, not a permission question
        pass
    return found


def _permits(policy_class: Any, document: Any, action: str, resource: str) -> bool:
    from moto.iam.access_control import PermissionResult

    text = document if isinstance(document, str) else json.dumps(document)
    return policy_class(text).is_action_permitted(action, resource) == PermissionResult.PERMITTED


# ---- reading and comparing templates


_EVENT_RESOURCES = {
    "httpApi": ("AWS::ApiGatewayV2::",),
    "sqs": ("AWS::Lambda::EventSourceMapping",),
    "stream": ("AWS::Lambda::EventSourceMapping",),
    "schedule": ("AWS::Scheduler::Schedule", "AWS::Events::Rule"),
}


def event_resources(packaged: Package) -> dict[str, list[str]]:
    """For each event type of the service, the resource types osls generated for it (from the template).

    An event's resources are found by what they point at: routes and integrations of the HTTP API,
    the event source mapping of a queue or a stream, the schedule's target, and the permissions
    that let a service invoke the function.
    """
    found: dict[str, set[str]] = {}
    for logical, resource in resources(packaged).items():
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


def compare(serverless_yml: str | Path, sam_template: str | Path, packaged: Package, sam_stack: Any) -> str:
    """A side-by-side table: lines written, resources generated by type, for osls and SAM."""
    def lines(path: str | Path) -> int:
        return sum(1 for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip() and not l.strip().startswith("#"))

    osls_types = _count(r.get("Type", "") for r in resources(packaged).values())
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
