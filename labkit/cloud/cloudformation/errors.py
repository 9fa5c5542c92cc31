"""A resource that fails to deploy, explained: which logical id, which type, which property, and the fix.

moto creates a stack's resources one by one inside CreateStack/UpdateStack; a resource whose
properties its model cannot use raises whatever the model hits first (a bare `KeyError:
'IntegrationHttpMethod'`, a TypeError, a moto error). `explain()` turns that into Korean: a Ref
to a logical id the template lacks, else what the type's CloudFormation schema (cfn-lint's copy,
read only on this failure path) says of the properties (a required one missing, a value of the
wrong type), else the error itself with the property it names. patches.py raises it as CloudFormation's ValidationError (boto3 gets a ClientError, and
`deploy_stack` a DeployError) from the resource being created, not from the ones that referenced it.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from ...korean import josa

__all__ = ["ResourceFailure", "explain", "references"]

_DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-template-resource-type-ref.html"


class ResourceFailure(Exception):
    """Marks an exception as already explained for its resource (nested creations pass it through)."""


def explain(logical_id: str, resource_json: dict[str, Any], exc: BaseException, known: set[str],
            types: dict[str, str] | None = None) -> str:
    """The Korean explanation of `exc`, raised while creating `logical_id` from `resource_json`
    (the template's own JSON, before moto resolved its Ref and Fn:: calls). `known` holds the
    template's logical ids and parameter names, `types` their resource types."""
    kind = str(resource_json.get("Type", "?"))
    what = f"리소스 {logical_id}({kind})"
    props = resource_json.get("Properties") or {}
    if isinstance(exc, KeyError) and exc.args:
        key = str(exc.args[0])
        pointing = references(props).get(key)
        if pointing is not None and key not in known:
            return (f"{what}의 속성 {pointing}에 쓴 Ref/Fn::GetAtt가 템플릿에 없는 {josa(key, '을')} 가리킵니다. "
                    f"Resources나 Parameters에 {josa(key, '을')} 만들거나 논리 ID의 철자를 고치십시오.")
    undefined = _UNDEFINED.search(str(exc))
    if undefined and undefined.group(1) not in known:  # moto's "Fn::GetAtt references undefined resource X"
        target = undefined.group(1)
        pointing = references(props).get(target, "?")
        return (f"{what}의 속성 {pointing}에 쓴 Ref/Fn::GetAtt가 템플릿에 없는 리소스 {josa(target, '을')} 가리킵니다. "
                f"Resources에 {josa(target, '을')} 만들거나 논리 ID의 철자를 고치십시오"
                f"{_close_ids(target, known)}.")
    attribute = _NO_ATTRIBUTE.search(str(exc))
    if attribute:  # moto's "resource X does not support attribute type Y in Fn::GetAtt"
        target, name = attribute.groups()
        pointing = references(props).get(target, "?")
        offered = _attributes((types or {}).get(target, ""))
        listed = f" 쓸 수 있는 속성: {', '.join(offered)}." if offered else ""
        return (f"{what}의 속성 {pointing}에 쓴 Fn::GetAtt {target}.{name}: 리소스 {target}에는 {name} 속성(attribute)이 "
                f"없습니다.{listed} 속성 이름의 철자를 고치십시오.")
    problems = schema_problems(kind, props)
    if problems:
        return (f"{josa(what, '을')} 만들지 못했습니다. " + " ".join(problems[:3])
                + f" 값과 형식은 AWS 문서의 {kind} 항목에 있습니다({_DOCS}).")
    if isinstance(exc, KeyError) and exc.args:
        key = str(exc.args[0])
        path = _path_of_missing(props, key)
        return (f"{josa(what, '을')} 만들지 못했습니다. 필요한 속성 {josa(path, '이')} 없습니다. "
                f"{josa(path, '을')} 넣으십시오(값과 형식: AWS 문서의 {kind}, {_DOCS}).")
    message = str(exc) or type(exc).__name__
    named = [name for name in props if name in message]
    culprit = f" 문제가 된 속성: {', '.join(named)}." if named else _type_hint(props, exc)
    return (f"{josa(what, '을')} 만들지 못했습니다({type(exc).__name__}: {message}).{culprit} "
            f"속성 값의 형식을 AWS 문서의 {kind} 항목과 비교해 고치십시오({_DOCS}).")


_UNDEFINED = re.compile(r"references undefined resource ([A-Za-z0-9]+)")


_NO_ATTRIBUTE = re.compile(r"resource ([A-Za-z0-9]+) does not support attribute type ([A-Za-z0-9.]+) in Fn::GetAtt")


def _attributes(kind: str) -> list[str]:
    """The Fn::GetAtt attributes of a resource type: its schema's read-only properties (cfn-lint's copy)."""
    if not kind:
        return []
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    except Exception:  # noqa: BLE001 - a type the schemas do not know
        return []
    return [p.rsplit("/", 1)[-1] for p in schema.get("readOnlyProperties", []) if p.count("/") == 2]


def _close_ids(target: str, known: set[str]) -> str:
    close = difflib.get_close_matches(target, sorted(known), n=1)
    return f"(비슷한 논리 ID: {close[0]})" if close else ""


def schema_problems(kind: str, props: dict[str, Any]) -> list[str]:
    """What the resource type's CloudFormation schema (cfn-lint's copy, offline) says is wrong with
    `props`, in Korean, each naming its property; values that are Ref/Fn:: calls are not judged."""
    try:
        import jsonschema
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(props), key=lambda e: list(e.absolute_path))
    except Exception:  # noqa: BLE001 - a type the schemas do not know, or a schema jsonschema cannot read
        return []
    problems = []
    for error in errors:
        if _is_intrinsic(error.instance) or any(_is_intrinsic(p) for p in _parents(props, list(error.absolute_path))):
            continue
        where = ".".join(["Properties", *(str(p) for p in error.absolute_path)])
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in str(error.message) else str(error.message)
            problems.append(f"필요한 속성 {where}.{josa(missing, '이')} 없습니다. {where}에 {josa(missing, '을')} 넣으십시오.")
        elif error.validator == "additionalProperties":
            problems.append(f"{where}에 이 리소스 유형에 없는 속성이 있습니다({error.message}). 철자를 확인하십시오.")
        else:
            value = json.dumps(error.instance, ensure_ascii=False)[:80]
            problems.append(f"속성 {where}의 형식이 맞지 않습니다(값 {value}: {error.message[:160]}). 알맞은 형식으로 고치십시오.")
    return problems


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _INTRINSICS


_INTRINSICS = {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub", "Fn::If", "Fn::Select", "Fn::Split", "Fn::FindInMap",
               "Fn::ImportValue", "Fn::Base64", "Fn::GetAZs", "Fn::Cidr", "Fn::ToJsonString", "Fn::Length"}


def _parents(props: Any, path: list[Any]) -> list[Any]:
    """The values on the way from `props` down to `path` (an intrinsic on the way hides what is under it)."""
    found, here = [], props
    for step in path:
        try:
            here = here[step]
        except (KeyError, IndexError, TypeError):
            break
        found.append(here)
    return found


def references(props: Any, top: str | None = None) -> dict[str, str]:
    """Logical id -> the (top-level) property whose value refers to it with Ref or Fn::GetAtt."""
    found: dict[str, str] = {}
    if isinstance(props, dict):
        for key, value in props.items():
            here = top if top is not None else key
            if key == "Ref" and isinstance(value, str):
                found.setdefault(value, here)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) and value else str(value).split(".")[0]
                found.setdefault(str(target), here)
            else:
                for name, prop in references(value, here).items():
                    found.setdefault(name, prop)
    elif isinstance(props, list):
        for item in props:
            for name, prop in references(item, top).items():
                found.setdefault(name, prop)
    return found


def _path_of_missing(props: dict[str, Any], key: str) -> str:
    """Where the missing key belongs: `Properties.Key`, or inside the one object property that has
    sibling settings (`Properties.Integration.IntegrationHttpMethod`)."""
    nested = [name for name, value in props.items() if isinstance(value, dict) and value and key not in value
              and not set(value) & {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub", "Fn::If"}]
    hinted = [name for name in nested if name.lower() in key.lower() or key.lower().startswith(name.lower()[:5])]
    if len(hinted) == 1:
        return f"Properties.{hinted[0]}.{key}"
    return f"Properties.{key}"


def _type_hint(props: dict[str, Any], exc: BaseException) -> str:
    """For a TypeError/AttributeError the message rarely names the property: name those whose value
    is text where the type takes an object or a list."""
    if not isinstance(exc, (TypeError, AttributeError)):
        return ""
    texts = [name for name, value in props.items() if isinstance(value, str) and name[:1].isupper() and _looks_structured(name)]
    return f" 객체나 목록이어야 할 속성에 문자열이 들어간 것 같습니다: {', '.join(texts)}." if texts else ""


def _looks_structured(name: str) -> bool:
    return name.endswith(("Configuration", "Config", "Policy", "Schema", "Definitions", "Integration", "Responses", "Tags",
                          "Attributes", "Settings", "Specification", "Variables", "Environment", "Code"))
