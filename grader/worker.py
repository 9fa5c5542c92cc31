"""Grade one submission in a throw-away course tree with a gradebook of its own.

nbgrader's gradebook is one SQLite file and its autograde runs one notebook at a time (nbgrader
issue #174). Each call here copies a template of the gradebook into a private temporary course,
runs nbgrader's autograde there with the sandboxed `SafeExecute`, and returns an `Outcome`:
plain data the trusted parent merges into the real gradebook. So several workers can grade at
once, and nothing a submission does can reach the real gradebook.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from labkit.korean import josa

from .config import RELEASE_DIR, ROOT, SOURCE_DIR, WORK_DIR, Limits, course_config, nbgrader_api
from .check_messages import failure_text, special_text
from .exchange import exchange_root
from .execute import EVENTS, SafeExecute
from .inspection import inspects_frames
from .intake import read_submission
from .manual import answer_label, is_answer
from .preprocessors import STDERR_DROPPED, DropTestStderr, PinChecks, UnpinChecks
from .results import ERROR, GRADED, REJECTED, CellResult, Note, Outcome
from .sandbox.policy import make_private

if TYPE_CHECKING:
    from nbgrader.apps import NbGraderAPI

MAX_SUBMISSION_BYTES = 50 * 2**20
CHECK_NAME = re.compile(r"""\bcheck\(\s*(?:f?["'])([^"'\n]+)["']""")


@dataclass
class Task:
    lab: str
    student: str
    root: str                 # the course root: solutions/, labs/, grader/work/
    template_db: str          # a snapshot of the gradebook with the lab in it
    staging: str              # where to leave the autograded folder for the parent
    fingerprint: str = ""
    limits: dict = field(default_factory=dict)
    backend: str = "none"
    uid: int | None = None
    warm: bool = False        # fork the kernel from this worker's warm server (grader.sandbox.warm)


def grading_config(root: Path, limits: Limits, backend: str, uid: int | None, hide: list[Path],
                   warm: bool = False) -> Config:
    """The course's nbgrader config with this pipeline's execution and fairness steps."""
    c = course_config(root, timeout=limits.cell_timeout)
    # The private copy's own gradebook, never the course's database (COURSE_GRADEBOOK_URL is inherited).
    c.CourseDirectory.db_url = f"sqlite:///{Path(root) / WORK_DIR / 'gradebook.db'}"
    c.Autograde.autograde_preprocessors = [
        PinChecks, SafeExecute, UnpinChecks, IgnorePattern, ClearMetadataPreprocessor, DropTestStderr, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
    ]
    c.SafeExecute.backend = backend
    c.SafeExecute.sandbox_uid = uid
    c.SafeExecute.hide_paths = [str(p) for p in hide]
    c.SafeExecute.limits = limits.as_dict()
    c.SafeExecute.startup_timeout = 120
    c.SafeExecute.warm_kernels = warm
    # nbgrader restores deleted cells itself only as a fallback: intake already did it.
    c.OverwriteCells.add_missing_cells = True
    return c


class RecordingAutograde(Autograde):
    """nbgrader's Autograde, keeping what `SafeExecute` and `DropTestStderr` report on each notebook.

    nbgrader builds its preprocessors afresh for every notebook and returns only a log; their
    reports travel in the notebook's resources, which end in `write_single_notebook`. One app per
    submission, so two gradings in one process never see each other's events.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events: list[dict[str, Any]] = []
        self.stderr_dropped: list[str] = []

    def write_single_notebook(self, output: str, resources: dict) -> None:
        self.events += resources.get(EVENTS, [])
        self.stderr_dropped += resources.get(STDERR_DROPPED, [])
        super().write_single_notebook(output, resources)


def autograde(api: NbGraderAPI, lab: str, student: str) -> tuple[dict, RecordingAutograde]:
    """`NbGraderAPI.autograde(lab, student, force=True, create=True)`, also returning the app that ran."""
    with temp_attrs(api.coursedir, assignment_id=lab, student_id=student):
        app = RecordingAutograde(coursedir=api.coursedir, parent=api)
        app.force = app.create_student = True
        return capture_log(app), app


def _copy_files(src: Path, dst: Path, budget: int = MAX_SUBMISSION_BYTES) -> list[str]:
    """Copy regular files only, up to `budget` bytes; return what was left out."""
    skipped = []
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            skipped.append(str(rel))
        elif path.is_dir():
            (dst / rel).mkdir(parents=True, exist_ok=True)
        else:
            size = path.stat().st_size
            if size > budget:
                skipped.append(str(rel))
                continue
            budget -= size
            shutil.copyfile(path, dst / rel)
    return skipped


_WORK_PREFIX = "grader-work-"


def _no_sync_for_private_gradebooks() -> None:
    """Skip fsync in the throw-away gradebook copies: only the parent's merge must be durable.

    nbgrader commits after each grade; on a disk-backed /tmp those fsyncs cost a tenth of a
    second per submission. The course gradebook (any file outside a grading folder) keeps
    SQLite's defaults.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if getattr(_no_sync_for_private_gradebooks, "done", False):
        return

    @event.listens_for(Engine, "connect")
    def _pragma(dbapi_conn, _record):
        if not type(dbapi_conn).__module__.startswith("sqlite3"):
            return
        path = (dbapi_conn.execute("PRAGMA database_list").fetchone() or ("", "", ""))[2] or ""
        if f"/{_WORK_PREFIX}" in path and path.endswith("/gradebook.db"):
            dbapi_conn.execute("PRAGMA synchronous=OFF")

    _no_sync_for_private_gradebooks.done = True  # type: ignore[attr-defined]


class _SchemaOnce:
    """`jsonschema.validate` for nbgrader's metadata checks, without re-checking the schema each call.

    nbgrader validates every cell's metadata with `jsonschema.validate(instance, schema)`,
    which first validates the schema itself: a tenth of a second of CPU per submission, all
    of it spent proving the same schema valid again. Same errors, same best match.
    """

    def __init__(self):
        import jsonschema

        self._jsonschema = jsonschema
        self._validators: dict[str, object] = {}

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[key] = cls(schema)
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)


def _speed_up_nbgrader() -> None:
    """Process-wide, once: no fsync in throw-away gradebooks, the metadata schema checked once."""
    from nbgrader.nbgraderformat import common

    _no_sync_for_private_gradebooks()
    if not isinstance(common.jsonschema, _SchemaOnce):
        common.jsonschema = _SchemaOnce()


def grade(task: Task) -> Outcome:
    """Grade `task`; never raises: a failure of ours comes back as an `error` outcome."""
    _speed_up_nbgrader()
    started = time.monotonic()
    outcome = Outcome(task.lab, task.student, ERROR, fingerprint=task.fingerprint, backend=task.backend)
    tmp = Path(tempfile.mkdtemp(prefix=_WORK_PREFIX))
    try:
        make_private(tmp)
        _grade_in(tmp, task, outcome)
    except Exception as exc:  # one student's failure must never stop the batch
        outcome.status = ERROR
        outcome.error = "".join(traceback.format_exception(exc))[-4000:]
        outcome.notes.append(Note("grader_error", "채점기에 문제가 생겨 이 제출물을 채점하지 못했습니다. 강사가 다시 채점합니다."))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


def _grade_in(tmp: Path, task: Task, outcome: Outcome) -> None:
    from nbgrader.api import Gradebook

    root = Path(task.root)
    course = tmp / "course"
    work = course / WORK_DIR
    submitted = work / "submitted" / task.student / task.lab
    work.mkdir(parents=True)
    for folder in (course, course / "grader", work):
        make_private(folder)
    # nbgrader copies the lab's non-notebook files from the source folder into the run.
    src = course / SOURCE_DIR / task.lab
    src.mkdir(parents=True)
    for path in (root / SOURCE_DIR / task.lab).iterdir():
        if path.is_file() and path.suffix != ".ipynb":
            shutil.copyfile(path, src / path.name)
        elif path.is_dir() and not path.name.startswith("."):
            shutil.copytree(path, src / path.name, ignore=shutil.ignore_patterns("*.ipynb"))
    db = work / "gradebook.db"
    shutil.copyfile(task.template_db, db)
    os.chmod(db, 0o600)
    skipped = _copy_files(root / WORK_DIR / "submitted" / task.student / task.lab, submitted)
    if skipped:
        outcome.notes.append(Note("files_skipped", f"제출물의 파일 {len(skipped)}개는 너무 크거나 일반 파일이 아니어서 뺐습니다: "
                                                    + ", ".join(skipped[:5])))

    with Gradebook(f"sqlite:///{db}", course_config(course).CourseDirectory.course_id) as gb:
        notebooks = [nb.name for nb in gb.find_assignment(task.lab).notebooks]
    _fix_notebook_names(submitted, notebooks, outcome)

    runnable = 0
    flagged = False
    absent: dict[str, str] = {}  # notebook -> why it was not run: "missing" or "refused"
    for name in notebooks:
        path = submitted / f"{name}.ipynb"
        if not path.exists():
            absent[name] = "missing"
            continue
        release = nbformat.read(root / RELEASE_DIR / task.lab / f"{name}.ipynb", as_version=4)
        intake = read_submission(path, release, task.lab, root=root)
        outcome.notes.extend(intake.notes)
        flagged |= intake.flagged
        if intake.notebook is not None and _reads_frames(intake.notebook, release, outcome):
            flagged = True
        if intake.refused:
            absent[name] = "refused"
            path.unlink()  # nbgrader scores a missing notebook 0
        else:
            nbformat.write(intake.notebook, path)
            runnable += 1
    graded_names = [f"{n}.ipynb" for n in notebooks if n not in absent]
    for name in (n for n in notebooks if absent.get(n) == "missing"):
        rest = f" 나머지 노트북({', '.join(graded_names)})은 채점했습니다." if graded_names else ""
        outcome.notes.append(Note("missing_notebook", f"{josa(name + '.ipynb', '을')} 제출하지 않아 그 노트북의 문항은 0점입니다." + rest))
    outcome.flagged = flagged

    limits = Limits(**task.limits) if task.limits else Limits()
    hide = [root / SOURCE_DIR, root / WORK_DIR, ROOT / SOURCE_DIR, ROOT / WORK_DIR, tmp, exchange_root()]
    events: list[dict[str, Any]] = []
    stderr_dropped: list[str] = []
    if runnable:
        api = nbgrader_api(course, grading_config(course, limits, task.backend, task.uid, hide, task.warm))
        result, app = autograde(api, task.lab, task.student)
        events, stderr_dropped = app.events, app.stderr_dropped
        if not result["success"]:
            # The cause is in nbgrader's log; its "error" is only the final "see above".
            raise RuntimeError("nbgrader autograde failed:\n" + (result.get("log") or "")[-2500:]
                               + (result.get("error") or "")[-500:])
    else:
        _zero(db, task)
    _read_back(db, course, task, notebooks, outcome, limits, events, stderr_dropped, absent)
    outcome.status = GRADED if runnable else REJECTED
    autograded = work / "autograded" / task.student / task.lab
    staging = Path(task.staging)
    shutil.rmtree(staging, ignore_errors=True)
    if autograded.is_dir():
        shutil.copytree(autograded, staging)


def _reads_frames(nb, release, outcome: Outcome) -> bool:
    """Flag answer code that reads its caller's frames or source (see `grader.inspection`)."""
    locked = {c.metadata.get("nbgrader", {}).get("grade_id") for c in release.cells
              if c.metadata.get("nbgrader", {}).get("locked")}
    mine = [c.source for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") not in locked]
    found = inspects_frames(mine)
    if found:
        outcome.notes.append(Note("inspects_frames", "풀이 코드가 호출한 쪽의 프레임이나 소스 코드를 읽는 것 같아 강사가 직접 확인합니다 ("
                                  + ", ".join(found[:5]) + ")."))
    return bool(found)


def _fix_notebook_names(submitted: Path, expected: list[str], outcome: Outcome) -> None:
    """An LMS or a browser renames files ("lab00 (1).ipynb"): accept a notebook under another name.

    A stray file whose name holds exactly one missing notebook's name ("lab02-2 (1).ipynb") is that
    notebook; otherwise a single stray stands for a single missing notebook.
    """
    def renamed(stray: Path, name: str) -> None:
        stray.rename(submitted / f"{name}.ipynb")
        outcome.notes.append(Note("renamed", f"{josa(stray.name, '을')} {josa(name + '.ipynb', '로')} 보고 채점했습니다."))

    present = sorted(p for p in submitted.glob("*.ipynb"))
    missing = [n for n in expected if n not in {p.stem for p in present}]
    strays = [p for p in present if p.stem not in expected]
    for stray in list(strays):
        longest = max((n for n in missing if n.lower() in stray.stem.lower()), key=len, default=None)
        if longest:
            renamed(stray, longest)
            missing.remove(longest)
            strays.remove(stray)
    if len(missing) == 1 and len(strays) == 1:
        renamed(strays[0], missing[0])


def _zero(db: Path, task: Task) -> None:
    """Record a refused submission with every grade 0, as nbgrader does for a missing notebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        gb.update_or_create_student(task.student)
        sub = gb.update_or_create_submission(task.lab, task.student)
        for nb in sub.notebooks:
            for g in nb.grades:
                g.auto_score, g.needs_manual_grade = 0, False
        gb.db.commit()


def _label(source: str, grade_id: str) -> str:
    match = CHECK_NAME.search(source)
    if match:
        return match.group(1)
    for line in source.splitlines():
        text = line.strip().lstrip("#").strip()
        if text and not text.startswith("###"):
            return text.split(":")[0][:60]
    return grade_id


def _message(cell: dict | None, source: str, hidden: bool, score: float | None, points: float,
             limits: Limits) -> tuple[str, str]:
    """Status and a learner-safe Korean message for one graded cell (see `grader.check_messages`)."""
    if score is None:
        return "manual", "강사가 직접 채점합니다."
    errors = [o for o in (cell or {}).get("outputs", []) if o.get("output_type") == "error"]
    if score >= points and not errors:
        return "passed", ""
    for o in errors:
        special = special_text(o.get("ename", ""), o.get("evalue", ""), limits)
        if special:
            return special
    for o in errors:
        if o.get("ename") == "KeyboardInterrupt":
            continue
        return "failed", failure_text(o.get("ename", ""), o.get("evalue", ""), source, hidden)
    if errors:
        return "failed", "실행이 중단되었습니다."
    if 0 < score < points:
        return "partial", f"부분 점수 {score:g}/{points:g}점입니다."
    return "failed", "점검을 통과하지 못했습니다."


# What a blocked action looks like from inside the sandbox, and how to say it to the learner.
BLOCKED = [
    ("memory_limit", lambda e, v: e == "MemoryError" or "Cannot allocate memory" in v,
     "메모리 제한({mem} MB)을 넘어 메모리를 더 받지 못했습니다."),
    ("network_blocked", lambda e, v: e in {"gaierror", "URLError", "ConnectionRefusedError", "EndpointConnectionError",
                                           "NewConnectionError", "ConnectTimeoutError", "ConnectionError"}
     or any(t in v for t in ("Network is unreachable", "name resolution", "Name or service not known", "Connection refused")),
     "채점 환경에서는 네트워크를 쓸 수 없습니다. 인터넷이나 다른 서버에 접속하는 코드는 실패합니다."),
    ("write_blocked", lambda e, v: "Read-only file system" in v or (e == "PermissionError" and "'/" in v),
     "작업 폴더 밖에는 파일을 쓸 수 없습니다."),
    ("outside_path", lambda e, v: e == "FileNotFoundError" and "'/" in v,
     "채점 환경에는 작업 폴더와 실습에 필요한 파일만 있습니다. 다른 경로의 파일은 읽을 수 없습니다."),
    ("process_limit", lambda e, v: e == "BlockingIOError" or "Resource temporarily unavailable" in v,
     "프로세스 수 제한에 걸렸습니다 (프로세스를 너무 많이 만들었습니다)."),
    ("file_limit", lambda e, v: "File too large" in v, "파일 크기 제한({file} MB)을 넘었습니다."),
]


def _explain_errors(executed, outcome: Outcome, limits: Limits) -> None:
    """Turn errors that the sandbox caused into notes the learner can act on."""
    seen = {n.code for n in outcome.notes}
    for cell in executed.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") != "error":
                continue
            ename, evalue = out.get("ename", ""), out.get("evalue", "")
            for code, matches, text in BLOCKED:
                if code not in seen and matches(ename, evalue):
                    seen.add(code)
                    outcome.notes.append(Note(code, text.format(mem=limits.memory_mb, file=limits.max_file_mb)))
                    break


def _read_back(db: Path, course: Path, task: Task, notebooks: list[str], outcome: Outcome, limits: Limits,
               events: list[dict[str, Any]], stderr_dropped: list[str], absent: dict[str, str] | None = None) -> None:
    absent = absent or {}
    from nbgrader.api import Gradebook

    root_release = Path(task.root) / RELEASE_DIR / task.lab
    with Gradebook(f"sqlite:///{db}") as gb:
        sub = gb.find_submission(task.lab, task.student)
        outcome.timestamp = sub.timestamp.isoformat() if sub.timestamp else None
        for snb in sub.notebooks:
            path = course / WORK_DIR / "autograded" / task.student / task.lab / f"{snb.name}.ipynb"
            cells = {}
            if path.exists():
                executed = nbformat.read(path, as_version=4)
                cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in executed.cells}
                _explain_errors(executed, outcome, limits)
            record = {"grades": {}, "late_penalty": snb.late_submission_penalty}
            release = nbformat.read(root_release / f"{snb.name}.ipynb", as_version=4)
            answers = {c.metadata["nbgrader"]["grade_id"] for c in release.cells if is_answer(c)}
            for g in snb.grades:
                source = gb.find_source_cell(g.name, snb.name, task.lab).source
                hidden = "BEGIN HIDDEN TESTS" in source
                # Only the automatic score: manual scores are the course's (grader.manual), and a
                # manual score in the gradebook copy must not turn an autograded cell into "waiting".
                score = g.auto_score
                if g.name in answers:
                    status, message = ("manual", "강사가 읽고 채점합니다.") if score is None else ("blank", "답을 쓰지 않았습니다.")
                    label, kind = answer_label(release, g.name), "answer"
                else:
                    status, message = _message(cells.get(g.name), source, hidden, score, g.max_score, limits)
                    label, kind = _label(source, g.name), "test"
                if absent.get(snb.name) == "missing":
                    score, status, message = 0.0, "missing", f"{josa(snb.name + '.ipynb', '을')} 제출하지 않았습니다."
                elif absent.get(snb.name) == "refused":
                    score, status, message = 0.0, "rejected", "이 노트북은 채점할 수 없어 0점입니다 (위의 설명을 보십시오)."
                outcome.cells.append(CellResult(g.name, label, g.max_score, score, hidden, status, message, kind, snb.name))
                record["grades"][g.name] = {"auto_score": g.auto_score, "needs_manual_grade": g.auto_score is None}
            outcome.gradebook[snb.name] = record
    outcome.score = sum(c.score or 0 for c in outcome.cells)
    outcome.max_score = sum(c.points for c in outcome.cells)
    kinds = {e["kind"] for e in events}
    texts = {
        "cell_timeout": f"시간 제한({limits.cell_timeout}초)을 넘긴 셀이 있어 중단하고 다음 셀로 넘어갔습니다. 무한 반복이 없는지 확인하십시오.",
        "kernel_stuck": "셀이 중단 요청에도 멈추지 않아 커널을 끝냈습니다. 그 뒤의 셀은 실행하지 않았습니다.",
        "kernel_died": "실행 중에 커널이 멈췄습니다 (os._exit, 메모리 초과, 충돌 등). 그 뒤의 셀은 실행하지 않았습니다.",
        "notebook_timeout": f"노트북 전체 시간 제한({limits.notebook_timeout}초)을 넘겨 나머지 셀은 실행하지 않았습니다.",
        "output_truncated": f"한 셀의 출력이 {limits.max_output_kb} KB를 넘어 나머지 출력은 버렸습니다.",
    }
    for kind in ("cell_timeout", "kernel_stuck", "kernel_died", "notebook_timeout", "output_truncated"):
        if kind in kinds:
            cells = sorted({e["cell"] or f"#{e['index']}" for e in events if e["kind"] == kind})
            outcome.notes.append(Note(kind, texts[kind] + (f" (셀: {', '.join(cells[:5])})" if cells else "")))
    if stderr_dropped:
        outcome.notes.append(Note("stderr_ignored", "점검 셀에 나온 경고(stderr)는 점수에 영향을 주지 않도록 무시했습니다."))
