"""questions.csv lists a lab's notebooks in a fixed order, whatever order the database returns."""
import csv
from pathlib import Path

from nbgrader.api import Grade, SubmittedAssignment, SubmittedNotebook

from grader.export import export
from grader.gradebook import opened


def test_questions_csv_lists_a_labs_notebooks_by_name_not_in_database_order(tmp_path: Path):
    # nbgrader's relationship has no ORDER BY: SQLite returns insertion order, PostgreSQL any
    # order. Insert the second notebook first, as a database may hand them back.
    lab = tmp_path / "solutions" / "lab09"
    lab.mkdir(parents=True)
    for name in ("a-first", "b-second"):
        (lab / f"{name}.ipynb").write_text("{}")
    with opened(tmp_path) as gb:
        gb.add_assignment("lab09")
        for nb in ("b-second", "a-first"):
            gb.add_notebook(nb, "lab09")
            gb.add_grade_cell("q1", nb, "lab09", max_score=1, cell_type="code")
        gb.add_student("kim", first_name="민준", last_name="김")
        # By hand, second notebook first (gb.add_submission would insert them in name order).
        sub = SubmittedAssignment(assignment=gb.find_assignment("lab09"), student=gb.find_student("kim"))
        for nb in ("b-second", "a-first"):
            submitted = SubmittedNotebook(assignment=sub, notebook=gb.find_notebook(nb, "lab09"))
            gb.db.add(Grade(cell=gb.find_grade_cell("q1", nb, "lab09"), notebook=submitted))
            gb.db.flush()
        gb.db.commit()
    _, questions = export(tmp_path / "out", tmp_path)
    with open(questions, encoding="utf-8-sig") as f:
        notebooks = [row[2] for row in list(csv.reader(f))[1:]]
    assert notebooks == ["a-first", "b-second"]
