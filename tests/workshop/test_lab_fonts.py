"""The JupyterLab font extension installs into a venv prefix with every file its CSS names, beside the
extension that shows nbgrader's assignment list in Korean (its labels are checked in a browser:
tests/hub/test_room_end_to_end.py::assert_assignment_list_in_korean)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workshop.lab_fonts import KOREAN_NAME, NAME, install

CSS_URL = re.compile(r"""url\(["']?([^"')]+)["']?\)""")


def test_installed_extension_serves_every_font_its_css_names(tmp_path: Path) -> None:
    target = install(prefix=tmp_path)
    assert target == tmp_path / "share" / "jupyter" / "labextensions" / NAME
    build = json.loads((target / "package.json").read_text())["jupyterlab"]["_build"]
    assert (target / build["load"]).is_file()
    named = []
    for css in (target / "static").rglob("*.css"):
        for url in CSS_URL.findall(css.read_text()):
            named.append(url)
            assert (css.parent / url).is_file(), f"{css.name}가 가리키는 {url} 파일이 없습니다."
    assert any("Pretendard" in url for url in named)
    assert sum(url.endswith(".woff2") and "nanum-gothic-coding" in url for url in named) > 100
    assert not [url for url in named if url.startswith(("http:", "https:", "//"))]


def test_reinstall_replaces_the_previous_copy(tmp_path: Path) -> None:
    stale = install(prefix=tmp_path) / "static" / "stale.css"
    stale.write_text("body {}")
    install(prefix=tmp_path)
    assert not stale.exists()
    assert sorted(p.name for p in stale.parent.parent.parent.iterdir()) == sorted([KOREAN_NAME, NAME])


def test_missing_npm_packages_are_named_in_korean(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="node_modules에 없는 파일: .*nanum-gothic-coding.*./course start"):
        install(prefix=tmp_path, node_modules=tmp_path / "node_modules")
    assert not (tmp_path / "share").exists()


def test_the_korean_labels_extension_is_a_plugin_jupyterlab_can_load(tmp_path: Path) -> None:
    install(prefix=tmp_path)
    target = tmp_path / "share" / "jupyter" / "labextensions" / KOREAN_NAME
    build = json.loads((target / "package.json").read_text())["jupyterlab"]["_build"]
    script = (target / build["load"]).read_text(encoding="utf-8")
    assert build["extension"] == "./extension" and '"./extension"' in script
    for english, korean in (("Fetch", "받기"), ("Submit", "제출"), ("Fetch Feedback", "피드백 받기")):
        assert f'"{english}": "{korean}"' in script
