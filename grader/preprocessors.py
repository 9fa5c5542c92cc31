"""Small nbgrader preprocessors that make autograding fair.

nbgrader scores a test cell 0 when it wrote anything to stderr (`nbgrader.utils.determine_grade`),
so a library warning from boto3 or moto would cost a learner points for nothing. A failing check
raises (and so leaves an error output); stderr is never how a check fails in this course.
`PinChecks`/`UnpinChecks` keep an answer cell from replacing the check functions the tests call.
"""
from __future__ import annotations

import re
from typing import Any

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


# Where DropTestStderr lists the grade_ids of the cells it touched, in the notebook's resources.
STDERR_DROPPED = "grader_stderr_dropped"


class DropTestStderr(NbGraderPreprocessor):
    """Remove stderr stream outputs from autograded test cells before scores are taken."""

    def preprocess(self, nb: NotebookNode, resources: Any):
        resources[STDERR_DROPPED] = []
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            kept = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            if len(kept) != len(cell.outputs):
                cell.outputs = kept
                resources[STDERR_DROPPED].append(cell.metadata["nbgrader"]["grade_id"])
        return cell, resources


CHECKS_IMPORT = re.compile(r"^[ \t]*from[ \t]+labkit\.checks[ \t]+import[ \t]+\(?([\w ,\t]+)\)?[ \t]*$", re.M)
PIN_MARK = "  # 채점기: 점검 함수를 다시 불러옵니다"


class PinChecks(NbGraderPreprocessor):
    """Re-import labkit's check functions at the top of each test cell, just for the run.

    Test cells call `check`/`attempt` by their global names, so an answer cell that rebinds
    them (`check = lambda *a, **k: None`) would make every later test pass, hidden ones
    included. With the names imported again inside the test cell, the learner's versions are
    never the ones called. Only names the notebook's own locked cells import from
    labkit.checks are pinned (a lab with its own `check` is left alone); `UnpinChecks` takes
    the line out again after execution, so the graded notebook shows the cell as written.
    Patching the module itself (`labkit.checks.check = ...`) is flagged by intake instead.
    """

    def preprocess(self, nb: NotebookNode, resources: Any):
        names: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_locked(cell) and not utils.is_solution(cell):
                for group in CHECKS_IMPORT.findall(cell.source):
                    names.update(n.strip() for n in group.split(",") if n.strip().isidentifier())
        self._names = sorted(names)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if self._names and cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            used = [n for n in self._names if re.search(rf"\b{n}\b", cell.source)]
            if used:
                cell.source = f"from labkit.checks import {', '.join(used)}{PIN_MARK}\n" + cell.source
        return cell, resources


class UnpinChecks(NbGraderPreprocessor):
    """Remove the line `PinChecks` added, once the cell has run."""

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type == "code":
            first, _, rest = cell.source.partition("\n")
            if first.startswith("from labkit.checks import ") and first.endswith(PIN_MARK):
                cell.source = rest
        return cell, resources
