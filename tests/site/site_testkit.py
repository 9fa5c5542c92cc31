"""Helpers for the site tests (a uniquely named module: tests/ folders have no __init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
ARTIFACTS = REPO / "test-artifacts"


@dataclass(frozen=True)
class SiteBuild:
    """Result of `mkdocs build --strict`."""

    site_dir: Path
    returncode: int
    output: str
    seconds: float


def run_mkdocs_build(config_file: Path, site_dir: Path) -> SiteBuild:
    """Build like a user would (a subprocess), without Material's end-of-life notice."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(config_file), "--site-dir", str(site_dir)],
        cwd=config_file.parent, env=env, capture_output=True, text=True, timeout=300,
    )
    return SiteBuild(site_dir, proc.returncode, proc.stdout + proc.stderr,
                     time.perf_counter() - start)
