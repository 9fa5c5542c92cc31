"""A template as the learner gives it: a dict, JSON or YAML text, or a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...korean import josa
from ..core.errors import DeployError

__all__ = ["load_template"]


def load_template(template: Any) -> tuple[dict[str, Any], Path | None]:
    """A template from a dict, JSON/YAML text (CloudFormation's !Ref/!Sub tags included) or a
    file; with the folder relative paths in it start from (a file's folder, else None)."""
    from samtranslator.yaml_helper import yaml_parse

    if isinstance(template, dict):
        return json.loads(json.dumps(template)), None
    text, base = None, None
    if isinstance(template, Path) or (isinstance(template, str) and _is_file(template)):
        path = Path(template)
        if not path.is_file():
            raise _no_such_file(path)
        text, base = path.read_text(encoding="utf-8"), path.parent
    elif isinstance(template, str):
        if "\n" not in template and template.strip().lower().endswith((".yaml", ".yml", ".json", ".template")):
            # One line naming a template file that is not there: saying "no Resources section"
            # about the file name itself would send the learner the wrong way.
            raise _no_such_file(template)
        text = template
    if text is None:
        raise DeployError("템플릿은 dict, JSON/YAML 문자열 또는 템플릿 파일 경로로 넘기십시오.")
    try:
        loaded = yaml_parse(text)
    except Exception as exc:
        raise DeployError(f"템플릿을 읽지 못했습니다: {exc}") from exc
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise DeployError("템플릿에 Resources 섹션이 없습니다. CloudFormation 템플릿인지 확인하십시오.")
    return json.loads(json.dumps(loaded, default=str)), base


def _is_file(text: str) -> bool:
    try:
        return "\n" not in text and len(text) < 4096 and Path(text).is_file()
    except OSError:  # not a usable path (too long, ...)
        return False


def _no_such_file(path: Any) -> DeployError:
    return DeployError(f"템플릿 파일 {josa(path, '이')} 없습니다(작업 폴더: {Path.cwd()}). 경로를 확인하십시오.")
