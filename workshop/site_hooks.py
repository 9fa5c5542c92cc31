"""MkDocs hooks for the course site (registered under `hooks:` in mkdocs.yml).

- Vendored front-end assets (mermaid, the iframe-worker shim, the Pretendard font)
  come straight from node_modules as build files, so the site makes no external
  request and docs/ holds no generated copies; this works for `build` and `serve`.
- docs/glossary.yml renders the body of the glossary page and feeds the tooltips.
- mermaid (3.5 MB) is loaded only by pages that have a diagram: `extra_javascript` would put it
  on every page. Safe because the site does not use instant navigation, which would skip the
  script when moving from a page without diagrams to one with them.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from workshop import lab_fonts
from workshop.glossary import (
    GlossaryError,
    GlossaryTooltips,
    load_glossary,
    render_glossary_markdown,
)

GLOSSARY_FILE = "glossary.yml"  # in docs_dir; excluded from the site by `exclude_docs`
GLOSSARY_PAGE = "glossary.md"
GLOSSARY_MARKER = "<!-- glossary -->"  # where the entries go; without it, at the end

MERMAID_SCRIPT = re.compile(r'<script src="[^"]*assets/vendor/mermaid/mermaid\.min\.js"></script>\s*')

# Site path -> path under node_modules (versions pinned in package.json / package-lock.json).
VENDOR_FILES = {
    "assets/vendor/mermaid/mermaid.min.js": "mermaid/dist/mermaid.min.js",
    "assets/vendor/mermaid/LICENSE.txt": "mermaid/LICENSE",
    "assets/vendor/iframe-worker/shim.js": "iframe-worker/shim/index.js",
    "assets/vendor/iframe-worker/LICENSE.txt": "iframe-worker/LICENSE",
    "assets/vendor/pretendard/PretendardVariable.woff2":
        "pretendard/dist/web/variable/woff2/PretendardVariable.woff2",
    "assets/vendor/pretendard/LICENSE.txt": "pretendard/dist/LICENSE.txt",
}
NANUM_DIR = "assets/vendor/nanum-gothic-coding"


def vendor_files(config: MkDocsConfig, node_modules: Path) -> list[File]:
    """Build files for the vendored assets; PluginError (Korean) if npm packages are missing."""
    needed = [*VENDOR_FILES.values(), *(f"{lab_fonts.NANUM}/{name}" for name in (*lab_fonts.NANUM_CSS, "LICENSE"))]
    missing = [f"node_modules/{src}" for src in needed if not (node_modules / src).is_file()]
    if missing:
        what = ("node_modules 폴더가 없습니다" if not node_modules.is_dir()
                else "node_modules에 필요한 파일이 없습니다: " + ", ".join(missing))
        raise PluginError(
            f"사이트를 만들 수 없습니다. {what}.\n"
            "저장소 맨 위 폴더에서 `./course start`를 실행하십시오. "
            "이 명령이 `npm ci`로 사이트에 필요한 npm 패키지(mermaid, iframe-worker, pretendard, @fontsource/nanum-gothic-coding)를 설치합니다."
        )
    files = [
        File.generated(config, dest, abs_src_path=str(node_modules / src))
        for dest, src in VENDOR_FILES.items()
    ]
    # The code font is the Korean monospace JupyterLab uses (workshop/lab_fonts.py): a syllable is two
    # Latin columns wide, so Korean comments line up with the code. Only the .woff2 subsets are served.
    nanum = node_modules / lab_fonts.NANUM
    for css in lab_fonts.NANUM_CSS:
        text = lab_fonts.WOFF_FALLBACK.sub("", (nanum / css).read_text(encoding="utf-8"))
        files.append(File.generated(config, f"{NANUM_DIR}/{css}", content=text))
    for woff2 in sorted((nanum / "files").glob("*.woff2")):
        files.append(File.generated(config, f"{NANUM_DIR}/files/{woff2.name}", abs_src_path=str(woff2)))
    files.append(File.generated(config, f"{NANUM_DIR}/LICENSE.txt", abs_src_path=str(nanum / "LICENSE")))
    return files


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load the glossary once per build and register the tooltip extension."""
    path = Path(config.docs_dir) / GLOSSARY_FILE
    try:
        terms = load_glossary(path)
    except GlossaryError as exc:
        raise PluginError(f"용어집 오류: {exc}") from None
    config.markdown_extensions.append(GlossaryTooltips(terms))
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the vendored assets from node_modules next to the docs."""
    node_modules = Path(config.config_file_path).parent / "node_modules"
    for file in vendor_files(config, node_modules):
        files.append(file)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Fill the glossary page from docs/glossary.yml."""
    if page.file.src_uri != GLOSSARY_PAGE:
        return markdown
    tooltips = next(ext for ext in config.markdown_extensions if isinstance(ext, GlossaryTooltips))
    body = render_glossary_markdown(tooltips.terms)
    if GLOSSARY_MARKER in markdown:
        return markdown.replace(GLOSSARY_MARKER, body, 1)
    return f"{markdown.rstrip()}\n\n{body}"


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Drop the mermaid script from pages without a diagram."""
    if 'class="mermaid"' in output:
        return output
    return MERMAID_SCRIPT.sub("", output)
