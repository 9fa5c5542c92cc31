"""Small nbgrader preprocessors that make autograding fair.

nbgrader scores a test cell 0 when it wrote anything to stderr (`nbgrader.utils.determine_grade`),
so a library warning from boto3 or moto would cost a learner points for nothing. A failing check
raises (and so leaves an error output); stderr is never how a check fails in this course.
"""
from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


class DropTestStderr(NbGraderPreprocessor):
    """Remove stderr stream outputs from autograded test cells before scores are taken."""

    dropped: list[str] = []  # grade_ids of the cells it touched in the last run

    def preprocess(self, nb: NotebookNode, resources: Any):
        type(self).dropped = []
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            kept = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            if len(kept) != len(cell.outputs):
                cell.outputs = kept
                type(self).dropped.append(cell.metadata["nbgrader"]["grade_id"])
        return cell, resources
