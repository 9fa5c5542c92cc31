"""Submissions that try to leave the sandbox: no network, no writes outside, no secrets, no self-grading."""
from __future__ import annotations

from pathlib import Path

import nbformat

from grader.config import ROOT

from .helpers import hidden_test_lines
from .hostile import MARK


def notes(batch, student):
    return {n.code for n in batch["outcomes"][student].notes}


def printed(batch, student) -> str:
    """What the submission printed while it was graded (stdout only, not tracebacks)."""
    path = batch["course"] / "grader/work/autograded" / student / "lab00" / "lab00.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.get("output_type") == "stream")


def test_network_is_unreachable_even_on_this_machine(hostile_batch):
    assert hostile_batch["connected"] is None, "the sandbox reached a server on the grader's loopback"
    assert "network_blocked" in notes(hostile_batch, "network")
    assert hostile_batch["outcomes"]["network"].score == 7


def test_nothing_is_written_outside_the_working_folder(hostile_batch):
    course = hostile_batch["course"]
    for path in [course / "grader/work" / f"pwned-{MARK}.txt", ROOT / f"pwned-{MARK}.txt",
                 Path(f"/tmp/pwned-{MARK}.txt"), Path.home() / f"pwned-{MARK}.txt", Path("/etc/passwd-pwned")]:
        assert not path.exists(), path
    wrote = [l for l in printed(hostile_batch, "write_outside").splitlines() if l.startswith("WROTE")]
    assert wrote == [f"WROTE /tmp/pwned-{MARK}.txt"]  # the sandbox's own /tmp, gone with it
    assert "write_blocked" in notes(hostile_batch, "write_outside")


def test_gradebook_solutions_and_other_students_cannot_be_read(hostile_batch):
    text = printed(hostile_batch, "read_secrets")
    assert "READ" not in text and text.count("blocked") == 5
    for line in hidden_test_lines():
        assert line not in text
    assert "outside_path" in notes(hostile_batch, "read_secrets")


def test_faking_the_checks_earns_nothing_and_is_flagged_for_the_instructor(hostile_batch):
    from nbgrader.api import Gradebook

    o = hostile_batch["outcomes"]["fake_checks"]
    assert o.flagged and "suspicious_code" in notes(hostile_batch, "fake_checks")
    assert o.score == 0  # each test cell imports check() again (grader.preprocessors.PinChecks)
    with Gradebook(f"sqlite:///{hostile_batch['course'] / 'grader/work/gradebook.db'}") as gb:
        assert gb.find_submission_notebook("lab00", "lab00", "fake_checks").flagged
        assert not gb.find_submission_notebook("lab00", "lab00", "full").flagged


def test_the_sandbox_cannot_touch_the_gradebook_it_is_graded_into(hostile_batch):
    from grader.gradebook import scores

    book = scores(hostile_batch["course"], "lab00")
    assert sum(book["read_secrets"].values()) == 7
    assert sum(book["write_outside"].values()) == 7
    assert set(book) == hostile_batch["students"]
