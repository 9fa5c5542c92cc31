"""`CloudFormation.deploy`: template in, a `Stack` out, in phases: load, prepare (what the tools
do first), report what the offline cloud cannot create, create or update, wait for the result."""

from __future__ import annotations

import difflib
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ...korean import josa
from ..core.errors import DeployError
from . import patches
from .packaging import package_sam, translate_sam, upload_serverless_artifacts, uses_sam
from .template import load_template

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["CloudFormation", "Stack", "unsupported", "unknown_names"]

_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass
class Stack:
    """A deployed stack: its outputs and the physical ids of its resources."""

    name: str
    stack_id: str
    status: str
    outputs: dict[str, str]
    resources: dict[str, str]  # logical id -> physical id
    types: dict[str, str]  # logical id -> resource type
    template: dict[str, Any]  # what CloudFormation received (after the SAM transform)
    skipped: list[str] = field(default_factory=list)  # logical ids the local cloud did not create

    def __getitem__(self, logical_id: str) -> str:
        return self.resources[logical_id]


class CloudFormation:
    """Template deployment for one offline cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        """Install CloudFormation's moto patches (patches.py)."""
        patches.install(set_)

    def deploy(
        self,
        template: Any,
        name: str,
        parameters: dict[str, Any] | None = None,
        *,
        artifacts: Any = None,
        base_dir: str | Path | None = None,
    ) -> Stack:
        """Create (or update) a stack from a template; raises DeployError (Korean) when it fails."""
        document, base = load_template(template)
        document = self._prepare(document, Path(base_dir) if base_dir is not None else base, name, parameters, artifacts)
        refused = unknown_names(document)
        if refused:  # CloudFormation refuses these before it creates anything; moto would ignore them
            raise DeployError(f"스택 {josa(name, '을')} 배포하지 못했습니다. " + " ".join(refused))
        skipped = unsupported(document)
        if skipped:
            warnings.warn(
                "오프라인 클라우드가 만들 수 없는 리소스는 건너뜁니다(AWS에서는 만들어집니다): " + ", ".join(skipped),
                stacklevel=3,  # the learner's call of LocalCloud.deploy_stack
            )
        submitted = _without_custom_resources(document)
        cfn = self.ctx.client("cloudformation")
        exists = _stack_exists(cfn, name)
        with warnings.catch_warnings():  # moto's English warning repeats the Korean one above
            warnings.filterwarnings("ignore", message="Tried to parse")
            _submit(cfn, name, submitted, parameters, update=exists)
            described = _completed(cfn, name)
            summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        return Stack(
            name=name,
            stack_id=described["StackId"],
            status=described["StackStatus"],
            outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
            resources={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries if r["LogicalResourceId"]},
            # moto lists a do-nothing type (a skipped custom resource) with an empty id: the template says its type
            types={**{r["LogicalResourceId"]: r["ResourceType"] for r in summaries if r["LogicalResourceId"]},
                   **{s.split(" ", 1)[0]: document["Resources"][s.split(" ", 1)[0]].get("Type", "") for s in skipped}},
            template=document,
            skipped=[s.split(" ", 1)[0] for s in skipped],
        )

    def _prepare(
        self, document: dict[str, Any], base: Path | None, name: str, parameters: dict[str, Any] | None, artifacts: Any
    ) -> dict[str, Any]:
        """What `sam deploy` or `serverless deploy` does before CloudFormation sees the template."""
        if uses_sam(document):
            package_sam(document, base, name, self._upload)
            document = translate_sam(document, parameters)
        upload_serverless_artifacts(document, artifacts, self._upload)
        return document

    # ---- the staging bucket of code artifacts

    @property
    def artifact_bucket(self) -> str:
        return f"labkit-artifacts-{self.ctx.account_id}-{self.ctx.region}"

    def _upload(self, key: str, data: bytes) -> tuple[str, str]:
        s3 = self.ctx.client("s3")
        bucket = self.artifact_bucket
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.ctx.region})
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        return bucket, key


def unsupported(template: dict[str, Any]) -> list[str]:
    """`LogicalId (Type)` of every resource moto's parser (with labkit's types) cannot create."""
    from moto.cloudformation.parsing import NULL_MODELS, get_model_map

    known = set(get_model_map())
    skipped = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type", "")
        if _is_custom(resource) or (kind not in known and kind not in NULL_MODELS):
            skipped.append(f"{logical_id} ({kind})")
    return skipped


def unknown_names(template: dict[str, Any]) -> list[str]:
    """What CloudFormation refuses by name, in Korean: a resource type AWS does not have ("Unrecognized
    resource types"), and a property its type does not have ("extraneous key ... is not permitted").
    moto creates the resource without the property, so a misspelt `VisibiltyTimeout` would give a queue
    with the default timeout and no word. The types' schemas are cfn-lint's copy, offline."""
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    except ImportError:  # pragma: no cover - cfn-lint is pinned in pyproject.toml
        return []
    from moto.cloudformation.parsing import NULL_MODELS, get_model_map

    known_to_moto = set(get_model_map()) | set(NULL_MODELS)
    said = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict) or _is_custom(resource) or not isinstance(resource.get("Type"), str):
            continue
        kind = resource["Type"]
        try:
            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
        except Exception:  # noqa: BLE001 - a type cfn-lint's schemas do not list
            if kind not in known_to_moto:
                close = difflib.get_close_matches(kind, sorted(PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1")), n=1, cutoff=0.85)
                hint = f" 비슷한 유형: {close[0]}." if close else ""
                said.append(f"리소스 {logical_id}의 Type {josa(kind, '은')} AWS CloudFormation에 없는 리소스 유형입니다"
                            f"(AWS는 템플릿 전체를 거부합니다).{hint} 유형 이름의 철자를 고치십시오.")
            continue
        properties = resource.get("Properties")
        allowed = schema.get("properties") or {}
        if not isinstance(properties, dict) or not allowed:
            continue
        for name in properties:
            if name not in allowed:
                close = difflib.get_close_matches(name, sorted(allowed), n=1)
                hint = f" {close[0]}의 철자 실수라면 고치십시오." if close else " 철자와 들여쓰기를 확인하십시오."
                said.append(f"리소스 {logical_id}({kind})의 Properties에 이 유형에 없는 속성 {josa(name, '이')} 있습니다. "
                            f"AWS CloudFormation은 이 리소스를 만들지 않고 스택을 되돌립니다(오프라인 클라우드의 moto는 말없이 "
                            f"무시합니다).{hint}")
    return said


def _is_custom(resource: dict[str, Any]) -> bool:
    kind = str(resource.get("Type", ""))
    return kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource"


def _without_custom_resources(document: dict[str, Any]) -> dict[str, Any]:
    """The template CloudFormation gets: custom resources (a Lambda function CloudFormation calls, e.g.
    the Serverless Framework's Custom::ApiGatewayAccountRole for `logs.restApi`) become moto's
    do-nothing type. moto would run their function in Docker and leave the stack CREATE_IN_PROGRESS
    for ever; `unsupported` reports them as skipped instead."""
    resources = document.get("Resources") or {}
    if not any(_is_custom(r) for r in resources.values() if isinstance(r, dict)):
        return document
    copy = dict(document, Resources=dict(resources))
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and _is_custom(resource):
            copy["Resources"][logical_id] = {k: v for k, v in resource.items() if k in ("DependsOn", "Condition")}
            copy["Resources"][logical_id]["Type"] = "AWS::CloudFormation::WaitConditionHandle"
    return copy


def _stack_exists(cfn: Any, name: str) -> bool:
    try:
        cfn.describe_stacks(StackName=name)
    except cfn.exceptions.ClientError:
        return False
    return True


def _submit(cfn: Any, name: str, document: dict[str, Any], parameters: dict[str, Any] | None, *, update: bool) -> None:
    """CreateStack, or UpdateStack for a stack that exists (moto runs it to the end at once)."""
    args: dict[str, Any] = {"StackName": name, "TemplateBody": json.dumps(document), "Capabilities": _CAPABILITIES}
    if parameters:
        args["Parameters"] = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()]
    try:
        if update:
            cfn.update_stack(**args)
        else:
            cfn.create_stack(**args)
    except Exception as exc:
        explained = _explained(exc)
        if explained is not None:  # a resource failed: errors.py named it, its property and the fix
            raise DeployError(f"스택 {josa(name, '을')} 배포하지 못했습니다. {explained}") from exc
        missing = _MISSING_PARAMETER.search(str(exc))
        if missing:  # `sam deploy --guided` would ask for it; CloudFormation refuses the stack
            declared = (document.get("Parameters") or {}).get(missing.group(1)) or {}
            kind = f"(Type: {declared['Type']})" if isinstance(declared, dict) and declared.get("Type") else ""
            raise DeployError(
                f"스택 {josa(name, '을')} 배포하지 못했습니다. 템플릿의 매개변수 {missing.group(1)}{kind}에 Default가 없고 값도 "
                f"넘기지 않았습니다. deploy_stack(..., parameters={{'{missing.group(1)}': 값}})으로 넘기거나 템플릿의 "
                f"Parameters.{missing.group(1)}에 Default를 두십시오.") from exc
        raise DeployError(f"스택 {josa(name, '을')} 배포하지 못했습니다: {exc}") from exc


_MISSING_PARAMETER = re.compile(r"Missing parameter (\w+)")


def _explained(exc: Exception) -> str | None:
    """The Korean explanation a failed resource raised (patches.py), from boto3's ClientError."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    message = str((response.get("Error") or {}).get("Message") or "")
    return message if message.startswith("리소스 ") else None


def _completed(cfn: Any, name: str) -> dict[str, Any]:
    """The stack's description; a DeployError with the first failure reasons unless it completed."""
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    status = described["StackStatus"]
    if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
        reasons = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
            for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
            if e.get("ResourceStatusReason")
        ]
        raise DeployError(f"스택 {name}의 상태가 {status}입니다. " + "; ".join(reasons[:5]))
    return described
