"""`SafeExecute`: nbgrader's Execute step, with the kernel sandboxed and every failure contained.

Stock nbgrader stops grading a submission when the kernel dies, keeps every byte a cell prints
and has only a per-cell timeout. Here a dead or stuck kernel ends the run but keeps what was
graded so far, a notebook-wide deadline bounds the whole run, output past a size limit is
dropped, and every cell that could not run gets an error output, so it scores 0 instead of
the full marks an empty test cell would get.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, List, Unicode

from .config import Limits
from .sandbox.kernel import SandboxedKernelManager
from .sandbox.policy import Sandbox
from .sandbox.warm import server_for

# Error names this step writes into cells; feedback turns them into Korean notes.
KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
TIMED_OUT = "CellTimeoutError"
DIED_TEXT = "이 셀을 실행하다가 커널이 멈췄습니다 (프로세스 종료, 메모리 초과 또는 충돌)."
AFTER_DEATH = "앞의 셀에서 커널이 멈춰 실행하지 않았습니다."
AFTER_STUCK = "앞의 셀이 멈추지 않아 커널을 끝냈고, 이 셀은 실행하지 않았습니다."
# The key under which a run's events travel in the notebook's nbconvert resources: nbgrader
# builds this step afresh for every notebook and returns nothing of it (see worker.RecordingAutograde).
EVENTS = "grader_execute_events"


def _timeout_text(limits: Limits) -> str:
    return f"셀 실행이 {limits.cell_timeout}초를 넘어 중단했습니다."


def _deadline_text(limits: Limits) -> str:
    return f"노트북 전체 시간 제한({limits.notebook_timeout}초)을 넘겨 실행하지 않았습니다."


def own_messages(limits: Limits) -> dict[str, set[str]]:
    """Every error value this step writes, by error name: feedback shows only these as they are."""
    return {KERNEL_DIED: {DIED_TEXT}, NOT_RUN: {_deadline_text(limits), AFTER_DEATH, AFTER_STUCK},
            TIMED_OUT: {_timeout_text(limits)}}


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _size(out: NotebookNode) -> int:
    if out.get("output_type") == "stream":
        return len(out.get("text", "").encode("utf-8", "replace"))
    data = out.get("data") or {}
    return sum(len(str(v)) for v in data.values()) + len(str(out.get("traceback", "")))


class SafeExecute(Execute):
    """Execute a submission in a sandboxed kernel under cell and notebook time limits."""

    backend = Unicode("none", help="sandbox backend: bwrap, unshare or none").tag(config=True)
    sandbox_uid = Integer(None, allow_none=True, help="uid the kernel runs as (root only)").tag(config=True)
    hide_paths = List(Unicode(), help="folders the kernel must not see").tag(config=True)
    limits = Dict(help="grader.config.Limits as a dict").tag(config=True)
    warm_kernels = Bool(False, help="fork kernels from a warm server (bwrap, batch workers)").tag(config=True)
    # The kernel's own clean-up is of no use here: kill it at once and save a fraction of a second.
    shutdown_kernel = Unicode("immediate").tag(config=True)

    # What happened in this instance's run, for the grader's notes: set by `preprocess`, which also
    # returns it in `resources[EVENTS]`.
    events: list[dict[str, Any]]

    def _limits(self) -> Limits:
        return Limits(**self.limits) if self.limits else Limits()

    def create_kernel_manager(self):
        box = Sandbox(self.backend, self._limits(), uid=self.sandbox_uid,
                      hide=[Path(p) for p in self.hide_paths])
        kwargs: dict[str, Any] = {"config": self.config, "sandbox": box}
        if self.warm_kernels:
            kwargs["warm"] = server_for(box)
        if self.kernel_name:
            kwargs["kernel_name"] = self.kernel_name
        self.km = SandboxedKernelManager(**kwargs)
        return self.km

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        limit = self._limits().cell_timeout
        remaining = self._deadline - time.monotonic()
        return max(1, math.ceil(min(limit, remaining)))

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int):
        """Keep a cell's output up to `max_output_kb`; drop the rest and say so once."""
        budget = self._limits().max_output_kb * 1024
        used = self._output_bytes.get(cell_index, 0)
        if used >= budget:
            self._dropped.add(cell_index)
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        size = _size(out)
        if used + size > budget:
            if out.get("output_type") == "stream":
                keep = max(0, budget - used)
                out["text"] = out["text"].encode("utf-8", "replace")[:keep].decode("utf-8", "ignore")
            else:
                outs.remove(out)
            self._dropped.add(cell_index)
        self._output_bytes[cell_index] = used + size
        return out

    def _note(self, kind: str, cell: NotebookNode, index: int, **extra: Any) -> None:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        self.events.append({"kind": kind, "cell": grade_id, "index": index, **extra})

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        limits = self._limits()
        self.events = []
        self._output_bytes: dict[int, int] = {}
        self._dropped: set[int] = set()
        self._deadline = time.monotonic() + limits.notebook_timeout
        self.error_on_timeout = {
            "ename": TIMED_OUT,
            "evalue": _timeout_text(limits),
            "traceback": [f"{TIMED_OUT}: {_timeout_text(limits)}"],
        }
        # What nbconvert's ExecutePreprocessor.preprocess does, with each cell guarded.
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        stopped: str | None = None  # why the remaining cells are not run
        with self.setup_kernel():
            info = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if stopped is None and time.monotonic() >= self._deadline:
                    stopped = _deadline_text(limits)
                    self._note("notebook_timeout", cell, index)
                if stopped:
                    cell.outputs = [_error(NOT_RUN, stopped)]
                    continue
                try:
                    self.preprocess_cell(cell, resources, index)
                except DeadKernelError:
                    cell.outputs = list(cell.get("outputs", [])) + [_error(KERNEL_DIED, DIED_TEXT)]
                    self._note("kernel_died", cell, index)
                    stopped = AFTER_DEATH
                except CellTimeoutError:
                    # The interrupt did not stop the cell: the kernel is stuck, stop it.
                    cell.outputs = list(cell.get("outputs", [])) + [_error(TIMED_OUT, self.error_on_timeout["evalue"])]
                    self._note("kernel_stuck", cell, index)
                    stopped = AFTER_STUCK
                else:
                    if any(o.get("ename") == TIMED_OUT for o in cell.outputs if o.get("output_type") == "error"):
                        self._note("cell_timeout", cell, index)
                if index in self._dropped:
                    cell.outputs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=f"\n[채점기] 출력이 {limits.max_output_kb} KB를 넘어 나머지는 버렸습니다.\n"))
                    self._note("output_truncated", cell, index)
        self.set_widgets_metadata()
        self.resources[EVENTS] = self.events
        return self.nb, self.resources
