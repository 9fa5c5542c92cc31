"""Shared fixtures for the site tests: the site is built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_testkit import REPO, SiteBuild, run_mkdocs_build


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    return run_mkdocs_build(REPO / "mkdocs.yml", tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def built_site(site_build: SiteBuild) -> Path:
    """The built site folder; tests that need it fail clearly when the build failed."""
    if site_build.returncode != 0:
        pytest.fail(f"사이트 빌드가 실패해서 이 검사를 할 수 없습니다:\n{site_build.output}")
    return site_build.site_dir
