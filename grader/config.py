"""nbgrader configuration for this course, built in one place.

`solutions/` is nbgrader's source folder and `labs/` its release folder; every working folder
(submissions, autograded copies, feedback, gradebook) lives under `grader/work/`, which git
ignores. The exchange students submit to is outside the course (`grader.exchange`). `nbgrader_config.py` at the project root loads this so nbgrader's own CLI and the
formgrader see the same layout.
"""
from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = "solutions"
RELEASE_DIR = "labs"
WORK_DIR = "grader/work"
COURSE_ID = "serverless-workshop"

# What a student sees in place of a solution. Korean, and it still fails loudly when run.
CODE_STUB = "# 여기에 코드를 작성하십시오.\nraise NotImplementedError(\"아직 풀지 않았습니다\")"
TEXT_STUB = "여기에 답을 쓰십시오."


@dataclass(frozen=True)
class Limits:
    """What one submission may use while it is graded.

    The defaults suit a lab like lab00 on a laptop; `python -m grader autograde` takes each as an
    option. Tests use much shorter time limits.
    """

    cell_timeout: int = 60          # seconds for one cell, then the kernel is interrupted
    notebook_timeout: int = 600     # seconds for the whole notebook, then the rest is not run
    memory_mb: int = 2048           # address space of each process in the sandbox (RLIMIT_AS)
    max_processes: int = 256        # processes and threads in the sandbox (RLIMIT_NPROC)
    max_file_mb: int = 64           # largest file the submission may write (RLIMIT_FSIZE)
    tmp_mb: int = 256               # size of the sandbox's private /tmp (bubblewrap only)
    max_output_kb: int = 512        # output kept per cell; the rest is dropped with a note

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def course_config(root: Path | str = ROOT, *, timeout: int = 60) -> Config:
    """Return the nbgrader `Config` for a course tree rooted at `root`.

    `root` is a parameter so tests can grade in a temporary copy without touching the
    project's own gradebook.
    """
    root = Path(root).resolve()
    work = root / WORK_DIR
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.CourseDirectory.submitted_directory = f"{WORK_DIR}/submitted"
    c.CourseDirectory.autograded_directory = f"{WORK_DIR}/autograded"
    c.CourseDirectory.feedback_directory = f"{WORK_DIR}/feedback"
    c.CourseDirectory.solution_directory = f"{WORK_DIR}/solution"
    c.CourseDirectory.source_with_tests_directory = f"{WORK_DIR}/source_with_tests"
    c.CourseDirectory.db_url = gradebook_url(root)
    # Handler folders a lab writes with %%writefile (lab01_functions/) are output, not material:
    # generate_assignment must not copy them from solutions/ into labs/.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*", "lab*_functions"]
    from .exchange import exchange_root  # it imports this module's folder names

    c.Exchange.root = str(exchange_root())
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    # nbgrader's default is 30 s and the kernel its own guess: set both explicitly.
    c.ExecutePreprocessor.timeout = timeout
    c.ExecutePreprocessor.kernel_name = "python3"
    c.Execute.timeout = timeout
    c.Execute.kernel_name = "python3"
    # ipykernel 7 warns on every start that loopback TCP is unencrypted: noise in every report.
    c.ExecutePreprocessor.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
    c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
    # A deleted test cell must not leave "needs manual grading" forever: restore it.
    c.OverwriteCells.add_missing_cells = True
    # nbgrader's feedback page (formgrader's "Generate Feedback", `nbgrader generate_feedback`)
    # shows the hidden tests: its exporter writes the course's safe page instead.
    c.GenerateFeedback.exporter_class = "grader.feedback.SafeFeedbackExporter"
    return c


def gradebook_url(root: Path | str = ROOT) -> str:
    """The gradebook's SQLAlchemy URL: `[gradebook] url` in the course's grader/grading.toml, else
    the SQLite file `grader/work/gradebook.db` (one instructor).

    A PostgreSQL URL (`postgresql+psycopg://…`) lets several graders write at once; its password
    comes from libpq's own `~/.pgpass` or `PGPASSWORD`, not from the file in git. It is a setting
    of the course folder, not an environment variable, because the throw-away course copies the
    grader makes (the release check, tests) must keep their own SQLite gradebooks.
    `grader.gradebook.check_url` says in Korean what is wrong with a URL that cannot work.
    """
    from .late import read_settings  # it imports this module's folder names

    url = str((read_settings(Path(root)).get("gradebook") or {}).get("url", "")).strip()
    return url or f"sqlite:///{Path(root).resolve() / WORK_DIR / 'gradebook.db'}"


def lab_ids(root: Path | str = ROOT) -> list[str]:
    """The labs that have an instructor source, in course order."""
    src = Path(root) / SOURCE_DIR
    return sorted(p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def alembic_on_path() -> None:
    """nbgrader runs the `alembic` executable from PATH when it creates a gradebook; called as
    `.venv/bin/python` without an activated venv it would not be found, so this interpreter's
    bin folder goes on PATH first."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_api(root: Path | str = ROOT, config: Config | None = None):
    """An `NbGraderAPI` for the course tree at `root`, with its working folders in place."""
    import logging

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    alembic_on_path()
    from .exchange import protect_course

    config = config or course_config(root)
    (Path(root) / WORK_DIR).mkdir(parents=True, exist_ok=True)
    protect_course(Path(root))
    # nbgrader logs every step at INFO; callers report what matters.
    logging.getLogger("traitlets").setLevel(logging.WARNING)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.WARNING)
    return api
