"""What the tools do before CloudFormation: `sam package` and the SAM transform, and the upload of
the ZIPs the Serverless Framework packaged.

- SAM: local `CodeUri` (functions), `ContentUri` (layers) folders are zipped into the staging
  bucket and `DefinitionUri` files inlined, as `sam package` does; then
  `Transform: AWS::Serverless-2016-10-31` is applied offline with aws-sam-translator;
- Serverless Framework (`.serverless/cloudformation-template-update-stack.json`): the ZIPs the
  template names by S3Key are uploaded from `artifacts` (a folder, or {S3Key: path or bytes}).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

from ..core.errors import DeployError

__all__ = ["SAM_TRANSFORM", "Upload", "uses_sam", "package_sam", "translate_sam", "upload_serverless_artifacts"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_DEFINITION_URIS = ("AWS::Serverless::StateMachine", "AWS::Serverless::Api", "AWS::Serverless::HttpApi")

Upload = Callable[[str, bytes], "tuple[str, str]"]  # (key, data) -> (bucket, key) in the staging bucket


def uses_sam(document: dict[str, Any]) -> bool:
    """Whether the template asks for the SAM transform (DeployError for any other Transform)."""
    transforms = document.get("Transform") or []
    transforms = [transforms] if isinstance(transforms, str) else list(transforms)
    other = [t for t in transforms if t != SAM_TRANSFORM]
    if other:
        raise DeployError(f"오프라인 클라우드는 {SAM_TRANSFORM} 변환만 적용합니다. 지원하지 않는 Transform: {other}")
    return bool(transforms)


# ---- sam package


def package_sam(template: dict[str, Any], base: Path | None, stack: str, upload: Upload) -> None:
    """Replace local CodeUri/ContentUri/DefinitionUri paths, as `sam package` would."""
    folder = base or Path.cwd()
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind, props = resource.get("Type"), resource.setdefault("Properties", {})
        if kind == "AWS::Serverless::Function":
            _package_function(logical_id, props, globals_fn, folder, f"{stack}/{logical_id}", upload)
        elif kind == "AWS::Serverless::LayerVersion":
            _package_layer(props, folder, f"{stack}/{logical_id}", upload)
        elif kind in _DEFINITION_URIS:
            _inline_definition(kind, props, folder)


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def _package_function(logical_id: str, props: dict[str, Any], globals_fn: dict[str, Any], base: Path, prefix: str, upload: Upload) -> None:
    if "InlineCode" in props or props.get("PackageType") == "Image":
        return
    # No CodeUri at all: `sam package` zips the template's own folder (PACKAGE_NULL_PROPERTY in
    # SAM CLI's artifact exporter), so a function with only a Handler deploys on AWS.
    uri = props.get("CodeUri", globals_fn.get("CodeUri", "."))
    if not _is_local(uri):
        return
    folder = base / uri
    if not folder.exists():
        raise DeployError(f"{logical_id}의 CodeUri {uri!r}({folder})가 없습니다. 템플릿 기준 상대 경로인지 확인하십시오.")
    from ..awslambda.packaging import package

    data, _ = package(folder, props.get("Handler", globals_fn.get("Handler")) or "app.handler")
    props["CodeUri"] = _staged(upload, prefix, data)


def _package_layer(props: dict[str, Any], base: Path, prefix: str, upload: Upload) -> None:
    uri = props.get("ContentUri")
    if not _is_local(uri):
        return
    from ..awslambda.packaging import folder_files, zip_files

    props["ContentUri"] = _staged(upload, prefix, zip_files(folder_files(base / uri)))


def _inline_definition(kind: str, props: dict[str, Any], base: Path) -> None:
    """A state machine's `Definition` or an API's `DefinitionBody`, read from its DefinitionUri file."""
    uri = props.get("DefinitionUri")
    if not _is_local(uri):
        return
    from samtranslator.yaml_helper import yaml_parse

    document = yaml_parse((base / uri).read_text(encoding="utf-8"))
    props.pop("DefinitionUri")
    props["Definition" if kind.endswith("StateMachine") else "DefinitionBody"] = document


def _staged(upload: Upload, prefix: str, data: bytes) -> dict[str, str]:
    """Upload a ZIP under a content-addressed key; the `{Bucket, Key}` a packaged template names."""
    bucket, key = upload(f"{prefix}-{hashlib.sha256(data).hexdigest()[:16]}.zip", data)
    return {"Bucket": bucket, "Key": key}


# ---- the SAM transform


class _NoManagedPolicies:
    """aws-sam-translator's policy loader: its bundled map is enough, and nothing is fetched."""

    def load(self) -> dict[str, str]:
        return {}


def translate_sam(document: dict[str, Any], parameters: dict[str, Any] | None) -> dict[str, Any]:
    """The plain CloudFormation template SAM's transform makes of a (packaged) SAM template."""
    from samtranslator.translator.transform import transform

    try:
        return transform(document, dict(parameters or {}), _NoManagedPolicies())
    except Exception as exc:
        raise DeployError(f"SAM 템플릿을 변환하지 못했습니다: {exc}") from exc


# ---- Serverless Framework


def upload_serverless_artifacts(template: dict[str, Any], artifacts: Any, upload: Upload) -> None:
    """Point Lambda Code at uploaded copies of the ZIPs a packaged template names by S3Key."""
    if artifacts is None:
        return
    files = _artifact_files(artifacts)
    for logical_id, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        code_key = {"AWS::Lambda::Function": "Code", "AWS::Lambda::LayerVersion": "Content"}.get(resource.get("Type", ""))
        code = props.get(code_key) if code_key else None
        if not isinstance(code, dict) or "S3Key" not in code:
            continue
        key = code["S3Key"] if isinstance(code["S3Key"], str) else None
        name = Path(key).name if key else None
        if name not in files:
            raise DeployError(f"{logical_id}의 코드 {key!r}를 artifacts에서 찾지 못했습니다. 패키징된 ZIP이 있는 폴더를 넘기십시오.")
        bucket, _ = upload(key, files[name])
        code["S3Bucket"] = bucket
        code.pop("S3ObjectVersion", None)


def _artifact_files(artifacts: Any) -> dict[str, bytes]:
    """ZIP file name -> its bytes, from a folder or from {S3Key: path or bytes}."""
    if isinstance(artifacts, dict):
        return {Path(key).name: value if isinstance(value, bytes) else Path(value).read_bytes() for key, value in artifacts.items()}
    return {path.name: path.read_bytes() for path in Path(artifacts).glob("*.zip")}
