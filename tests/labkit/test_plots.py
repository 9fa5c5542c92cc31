"""labkit.plots.korean(): Hangul in a matplotlib figure renders with the course's font, and
without it matplotlib says the glyphs are missing (so the test can fail)."""
from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from labkit import plots  # noqa: E402


def _draw(path: Path) -> list[str]:
    """Save a figure with a Hangul title, axis labels and a negative tick; the warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([-1, 0, 1], [3, 1, 2], label="콜드 스타트")
        ax.set_title("호출마다 기다린 시간")
        ax.set_xlabel("호출 순서")
        ax.set_ylabel("시간 (ms)")
        ax.legend()
        fig.savefig(path)
        plt.close(fig)
    assert path.stat().st_size > 0
    return [str(w.message) for w in caught]


def _missing_glyphs(messages: list[str]) -> list[str]:
    return [m for m in messages if "Glyph" in m and "missing from font" in m]


def test_the_course_font_file_is_installed() -> None:
    assert plots.FONT_FILE.is_file(), f"{plots.FONT_FILE}: ./course가 node_modules에 pretendard를 설치합니다."


def test_hangul_renders_with_the_helper_and_is_missing_without_it(tmp_path: Path) -> None:
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        without = _missing_glyphs(_draw(tmp_path / "default.png"))
    assert without, "기본 글꼴(DejaVu Sans)에는 한글이 없어 경고가 나야 합니다."
    assert "DejaVu Sans" in without[0]
    with matplotlib.rc_context():
        family = plots.korean()
        assert family == "Pretendard" and matplotlib.rcParams["font.family"] == ["Pretendard"]
        assert matplotlib.rcParams["axes.unicode_minus"] is False
        assert _missing_glyphs(_draw(tmp_path / "korean.png")) == []


def test_missing_font_file_warns_in_korean_and_still_draws(tmp_path: Path) -> None:
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        with pytest.warns(plots.KoreanFontWarning, match="한글 글꼴 파일이 없어"):
            assert plots.korean(tmp_path / "없는-글꼴.otf") is None
        assert matplotlib.rcParams["axes.unicode_minus"] is False
        _draw(tmp_path / "fallback.png")  # boxes for Hangul, but a figure
