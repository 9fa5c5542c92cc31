"""Korean text in matplotlib figures: one call, `labkit.plots.korean()`, before plotting.

matplotlib's default font (DejaVu Sans) has no Hangul, so a Korean title or axis label is drawn
as empty boxes with a "Glyph ... missing from font" warning. The course already ships a Korean
font for the site, Pretendard (npm package `pretendard`, pinned in package-lock.json); this
registers that file with matplotlib and makes it the default. The file is found relative to
labkit (the course root's `node_modules/`), because the grading sandbox shows the kernel labkit
and not the course's `grader/` package. Where the file is missing (no `./course` set-up, or a
sandbox without node_modules), a Korean warning says so and figures are still drawn, with boxes
for Hangul.
"""
from __future__ import annotations

import warnings
from pathlib import Path

__all__ = ["FONT_FILE", "KoreanFontWarning", "korean"]

FONT_FILE = (Path(__file__).resolve().parent.parent
             / "node_modules" / "pretendard" / "dist" / "public" / "static" / "Pretendard-Regular.otf")


class KoreanFontWarning(UserWarning):
    """The course's Korean font could not be registered; Hangul will not render."""


def korean(font_file: str | Path | None = None) -> str | None:
    """Make matplotlib draw Hangul with the course's font; return the font's family name.

    Sets `font.family` to the font and `axes.unicode_minus=False` (negative ticks with an ASCII
    hyphen-minus: many Korean fonts lack U+2212, and so a fallback font would too). Calling it
    again is harmless. Returns None, with a `KoreanFontWarning`, when the font file is missing.
    """
    import matplotlib
    from matplotlib import font_manager

    path = Path(font_file) if font_file is not None else FONT_FILE
    matplotlib.rcParams["axes.unicode_minus"] = False
    if not path.is_file():
        warnings.warn(
            f"한글 글꼴 파일이 없어 그림의 한글이 네모로 보일 수 있습니다: {path}. "
            "과정 폴더에서 ./course test tests/labkit -q를 한 번 실행하면 node_modules에 글꼴이 설치됩니다. "
            "그림은 그대로 그립니다.",
            KoreanFontWarning,
            stacklevel=2,
        )
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = family
    return family
