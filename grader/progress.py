"""A one-line progress bar with an ETA, in Korean, for batch grading.

On a terminal it redraws one line; in a log (CI, a pipe) it prints a line per finished item.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool = True, width: int = 24):
        self.total, self.done, self.width, self.enabled = total, 0, width, enabled and total > 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()

    def line(self, last: str = "") -> str:
        elapsed = time.monotonic() - self.started
        frac = self.done / self.total if self.total else 1.0
        filled = int(self.width * frac)
        bar = "█" * filled + "·" * (self.width - filled)
        text = f"[{bar}] {self.done}/{self.total} {frac:4.0%}  경과 {_clock(elapsed)}"
        if 0 < self.done < self.total:
            text += f"  남은 시간 약 {_clock(elapsed / self.done * (self.total - self.done))}"
        return text + (f"  {last}" if last else "")

    def advance(self, last: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line(last))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(self.line(last) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()
