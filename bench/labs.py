"""How long each lab's solution takes end to end, as a learner runs it (Restart Kernel and Run All).

Run:  .venv/bin/python bench/labs.py              (every lab, about 6 minutes)
      .venv/bin/python bench/labs.py lab02 lab07  (only these)

Each notebook runs in a fresh kernel in a folder of its own, as `tests/labs/` runs it. Beside each
figure is the bound the lab's issue set (the whole lab, all its notebooks) and the peer measured in
the same run: a notebook of one cell that starts the offline cloud, which is what every lab pays
before its first task (kernel start, `import labkit.cloud`, `LocalCloud()`). The load average is
printed around each lab: on a shared machine other work slows every figure. The unit tests do not
time the labs (a loaded CI machine made a 60 s bound fail at 62.7 s); this script does.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader, whichever Python runs it

from grader.config import ROOT  # noqa: E402
# Seconds the issues allow for a lab's whole solution; labs without one are shown without a bound.
BOUNDS = {"lab01": 60, "lab02": 180, "lab04": 120, "lab05": 120, "lab07": 60, "lab08": 120}
PEER = "from labkit.cloud import LocalCloud\ncloud = LocalCloud()\ncloud.client('s3').list_buckets()"


def run(nb: nbformat.NotebookNode) -> float:
    """Seconds to run `nb` in a fresh kernel, in an empty folder."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False).execute(cwd=folder)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="lab00 ... lab08 (default: all)")
    labs = parser.parse_args().labs or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    peer = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PEER)])
    base = min(run(peer) for _ in range(2))
    print(f"peer: a fresh kernel that starts the offline cloud: {base:.1f} s\n")
    print(f"{'lab':<7} {'seconds':>8} {'bound':>6} {'x peer':>7}  load before/after  notebooks")
    failed = 0
    for lab in labs:
        notebooks = sorted((ROOT / "solutions" / lab).glob("*.ipynb"))
        if not notebooks:
            print(f"{lab}: solutions/{lab}/에 노트북이 없습니다.", file=sys.stderr)
            return 2
        before = os.getloadavg()[0]
        each = [run(nbformat.read(path, as_version=4)) for path in notebooks]
        total, bound = sum(each), BOUNDS.get(lab)
        over = bound is not None and total > bound
        failed += over
        shown = "-" if bound is None else f"{bound}"
        parts = ", ".join(f"{p.stem} {s:.1f}" for p, s in zip(notebooks, each))
        print(f"{lab:<7} {total:>8.1f} {shown:>6} {total / base:>7.1f}  {before:>5.2f} / {os.getloadavg()[0]:<5.2f}"
              f"      {parts}{'  <- over the bound' if over else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
