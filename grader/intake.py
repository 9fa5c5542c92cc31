"""Intake: read a submitted notebook, repair what students commonly break, refuse what cannot run.

Runs in the trusted grader before nbgrader sees the file. It compares the submission with the
released notebook and:

- refuses an empty file, a file that is not a notebook, and a notebook of another lab, each
  with a Korean note (the submission then scores 0 without being run). Another lab is told by
  the notebook's own stamp (`metadata.course.lab`, which every release carries) and, for a
  notebook whose stamp was lost, by its content: the labs share grade ids (`intro`, `setup`,
  `task1`...), so only the text of the cells a student does not write tells them apart;
- puts back graded and locked cells the student deleted, where they were;
- keeps one copy of a duplicated cell (nbgrader would otherwise stop with a misleading error);
  a duplicated answer cell stays as a plain code cell, so the student's code still runs;
- notes edited locked cells (nbgrader restores their source from the gradebook);
- flags code that looks like it tampers with the checks, for the instructor to review.
"""
from __future__ import annotations

import ast
import copy
import functools
import json
import re
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labkit.korean import josa

from .config import RELEASE_DIR, ROOT, SOURCE_DIR, lab_ids
from .results import Note

MAX_NOTEBOOK_BYTES = 20 * 2**20
# Names the test cells rely on; rebinding them in an answer cell could fake a pass.
PROTECTED_NAMES = {"check", "attempt", "quiet", "summary", "CheckFailed", "labkit"}
SUSPICIOUS_CALLS = re.compile(
    r"\b(get_ipython|sys\.modules|__builtins__|builtins|sys\.settrace|sys\.setprofile|"
    r"ipykernel|IPython\.core|gc\.get_referrers|ctypes)\b")


@dataclass
class Intake:
    notebook: NotebookNode | None     # None when the file is refused
    notes: list[Note] = field(default_factory=list)
    flagged: bool = False

    @property
    def refused(self) -> bool:
        return self.notebook is None


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _grade_id(cell: NotebookNode) -> str | None:
    return _meta(cell).get("grade_id")


def stamped_lab(nb: NotebookNode | dict) -> str | None:
    """The lab a notebook says it is (`metadata.course.lab`, written by `grader.release`)."""
    course = (nb.get("metadata") or {}).get("course")
    lab = course.get("lab") if isinstance(course, dict) else None
    return lab if isinstance(lab, str) and lab else None


@dataclass(frozen=True)
class LabPrint:
    """What identifies a lab's notebook: the text of the cells students do not write."""

    lab: str
    title: str
    texts: frozenset[str]
    grade_ids: frozenset[str]
    notebook: str = ""  # which of the lab's notebooks (a lab may hold several)


def _texts(nb: NotebookNode, skip_solutions: bool) -> set[str]:
    # Short cells ("import x", an empty cell) occur in every lab and say nothing.
    return {c.source.strip() for c in nb.cells
            if len(c.source.strip()) >= 40 and not (skip_solutions and _meta(c).get("solution"))}


def lab_print(lab: str, nb: NotebookNode, notebook: str = "") -> LabPrint:
    title = ((nb.metadata.get("course") or {}).get("title") or "") if isinstance(nb.metadata.get("course"), dict) else ""
    return LabPrint(lab, title, frozenset(_texts(nb, skip_solutions=True)),
                    frozenset(g for g in map(_grade_id, nb.cells) if g), notebook)


@functools.lru_cache(maxsize=16)
def _prints_at(root: str, stamps: tuple) -> tuple[LabPrint, ...]:
    prints = []
    for lab in lab_ids(root):
        # What students received (labs/), else the source: its explanations and locked cells are the same.
        folder = Path(root) / RELEASE_DIR / lab
        paths = sorted(folder.glob("*.ipynb")) or sorted((Path(root) / SOURCE_DIR / lab).glob("*.ipynb"))
        for path in paths:
            prints.append(lab_print(lab, nbformat.read(path, as_version=4), path.stem))
    return tuple(prints)


def course_labs(root: Path | str = ROOT) -> tuple[LabPrint, ...]:
    """The print of every lab in `root`'s solutions/ (cached until a notebook changes)."""
    root = Path(root)
    paths = sorted(root.glob(f"{RELEASE_DIR}/*/*.ipynb")) + sorted(root.glob(f"{SOURCE_DIR}/*/*.ipynb"))
    stamps = tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.is_file())
    return _prints_at(str(root), stamps)


def identify(nb: NotebookNode, labs: tuple[LabPrint, ...]) -> LabPrint | None:
    """The lab whose explanations and locked cells `nb` holds, when one clearly does."""
    texts = _texts(nb, skip_solutions=False)
    best, best_share, runner_up = None, 0.0, 0.0
    for p in labs:
        share = len(texts & p.texts) / len(p.texts) if p.texts else 0.0
        if share > best_share:
            best, best_share, runner_up = p, share, best_share
        elif share > runner_up:
            runner_up = share
    # A third of a lab's fixed cells, and twice as many as any other lab: not a coincidence.
    if best is not None and best_share >= 1 / 3 and best_share >= 2 * runner_up:
        return best
    return None


def expected_files(lab: str, notebooks: list[str]) -> str:
    """`lab00.ipynb`, or `lab02-1.ipynb와 lab02-2.ipynb`: the files a submission of `lab` holds."""
    files = [f"{n}.ipynb" for n in (notebooks or [lab])]
    if len(files) == 1:
        return files[0]
    return ", ".join(files[:-2] + [josa(files[-2], "와") + " " + files[-1]])


def _wrong_lab(lab: str, other: str, title: str, notebooks: list[str]) -> Intake:
    named = f"{other}({title})" if title else other
    return Intake(None, [Note("wrong_lab", f"이 노트북은 {josa(lab, '이')} 아니라 {named}의 노트북입니다. "
                                           f"{lab} 과제에는 {expected_files(lab, notebooks)} 노트북을 제출하십시오.")])


def _wrong_notebook(lab: str, notebook: str, found: LabPrint, notebooks: list[str]) -> Intake:
    named = f"{found.notebook}.ipynb({found.title})" if found.title else f"{found.notebook}.ipynb"
    return Intake(None, [Note("wrong_notebook", f"{notebook}.ipynb 자리에 낸 파일이 {lab}의 다른 노트북인 {named}입니다. "
                                                f"{lab}에는 노트북이 {len(notebooks)}개 있습니다: {expected_files(lab, notebooks)}. "
                                                "노트북마다 자기 이름으로 하나씩 제출하십시오.")])


def read_submission(path: Path, release: NotebookNode, lab: str, root: Path | str | None = None,
                    notebook: str | None = None) -> Intake:
    """Check and repair the submitted notebook at `path` against the released `release`.

    `root` is the course whose labs a notebook of the wrong lab is recognised among (default:
    this project); `notebook` is which of the lab's notebooks `path` stands for (default: its
    file name), so that another notebook of the same lab is refused with the expected names.
    """
    notebook = notebook or path.stem
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Intake(None, [Note("unreadable", f"제출한 파일을 읽지 못했습니다: {exc.strerror}")])
    if not raw.strip():
        return Intake(None, [Note("empty_file", "제출한 파일이 비어 있습니다. 노트북을 저장한 뒤 다시 제출하십시오.")])
    if len(raw) > MAX_NOTEBOOK_BYTES:
        return Intake(None, [Note("too_large", f"제출한 노트북이 {len(raw) // 2**20} MB로 너무 큽니다. "
                                               "셀 출력을 지우고(편집 → 모든 출력 지우기) 다시 제출하십시오.")])
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Intake(None, [Note("not_notebook", "제출한 파일이 노트북(.ipynb)이 아닙니다: UTF-8 텍스트가 아닙니다.")])
    except json.JSONDecodeError as exc:
        return Intake(None, [Note("not_notebook", f"제출한 파일이 올바른 노트북이 아닙니다: JSON이 {exc.lineno}번째 줄에서 깨졌습니다. "
                                                  "JupyterLab에서 열어 저장한 뒤 다시 제출하십시오.")])
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return Intake(None, [Note("not_notebook", "제출한 파일이 노트북(.ipynb)이 아닙니다: 셀 목록이 없습니다.")])
    try:
        with warnings.catch_warnings():  # nbformat repairs duplicate or missing cell ids, and says so
            warnings.simplefilter("ignore")
            nb = nbformat.reads(json.dumps(data), as_version=4)
        for cell in nb.cells:  # nbgrader clears outputs anyway; invalid outputs must not refuse a file
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several kinds for a malformed file
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        return Intake(None, [Note("not_notebook", f"노트북 형식이 올바르지 않아 채점할 수 없습니다: {first}")])

    labs = course_labs(ROOT if root is None else root)
    here = [p for p in labs if p.lab == lab] or [lab_print(lab, release, notebook)]
    labs = tuple(here) + tuple(p for p in labs if p.lab != lab)
    notebooks = sorted(p.notebook for p in here if p.notebook) or [notebook]
    found = identify(nb, labs)
    stamp = stamped_lab(nb)
    if found is not None and found.lab != lab:
        return _wrong_lab(lab, found.lab, found.title, notebooks)
    if stamp and stamp != lab and found is None:
        titles = {p.lab: p.title for p in labs}
        return _wrong_lab(lab, stamp, titles.get(stamp, ""), notebooks)
    if found is not None and len(notebooks) > 1 and found.notebook and found.notebook != notebook:
        return _wrong_notebook(lab, notebook, found, notebooks)

    notes: list[Note] = []
    release_ids = [_grade_id(c) for c in release.cells if _grade_id(c)]
    expected = set(release_ids)
    graded = {_grade_id(c) for c in release.cells if _meta(c).get("grade") or _meta(c).get("solution")}
    present = {_grade_id(c) for c in nb.cells if _grade_id(c)}
    if graded and not (present & graded) and found is not None and found.lab == lab:
        return Intake(None, [Note("grade_ids_lost", f"이 노트북은 {lab}의 노트북이지만 채점에 쓰는 셀 정보(nbgrader 메타데이터)가 "
                                                    "모두 지워져 채점할 수 없습니다. 메타데이터를 지우는 도구를 거친 것 같습니다. "
                                                    f"배포된 {josa(notebook + '.ipynb', '을')} 다시 받아 답을 옮겨 적은 뒤 제출하십시오.")])
    if graded and not (present & graded):
        return Intake(None, [Note("wrong_lab", f"이 노트북에는 {lab}의 풀이 셀과 점검 셀이 하나도 없습니다. "
                                               f"다른 실습의 노트북을 낸 것 같습니다. {lab} 노트북을 제출하십시오.")])

    nb = _dedupe(nb, release, notes)
    nb = _restore_missing(nb, release, notes)
    by_id = {_grade_id(c): c for c in release.cells if _grade_id(c)}
    edited = []
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid not in expected:
            continue
        ref = by_id[gid]
        if _meta(ref).get("locked") and cell.source.strip() != ref.source.strip():
            edited.append(gid)
        if cell.cell_type != ref.cell_type or {k: _meta(cell).get(k) for k in ("grade", "solution", "locked", "points")} != \
                {k: _meta(ref).get(k) for k in ("grade", "solution", "locked", "points")}:
            # Points or the kind of a cell are the instructor's: take them from the release.
            cell.cell_type = ref.cell_type
            cell.metadata["nbgrader"] = copy.deepcopy(ref.metadata["nbgrader"])
            if cell.cell_type == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
            if "metadata_changed" not in {n.code for n in notes}:
                notes.append(Note("metadata_changed", "채점 셀의 설정(배점, 종류)이 바뀌어 있어 원래대로 되돌렸습니다."))
    if edited:
        notes.append(Note("edited_locked", f"잠긴 셀 {len(edited)}개({', '.join(edited)})를 고친 흔적이 있어 "
                                           "채점 때 원래 내용으로 되돌렸습니다."))
    flagged = _looks_like_tampering(nb, expected, by_id)
    if flagged:
        notes.append(Note("suspicious_code", "풀이 셀에 점검 함수나 커널 내부를 건드리는 코드가 있어 강사가 직접 확인합니다."))
    return Intake(nb, notes, flagged)


def _dedupe(nb: NotebookNode, release: NotebookNode, notes: list[Note]) -> NotebookNode:
    locked = {_grade_id(c) for c in release.cells if _meta(c).get("locked") and not _meta(c).get("solution")}
    seen: set[str] = set()
    cells, dropped, demoted = [], 0, 0
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid and gid in seen:
            if gid in locked:
                dropped += 1
                continue
            # A copy of an answer cell: keep the code, drop the grading metadata.
            cell.metadata.pop("nbgrader", None)
            demoted += 1
        elif gid:
            seen.add(gid)
        cells.append(cell)
    if dropped or demoted:
        notes.append(Note("duplicated_cells", f"복제된 채점 셀이 있었습니다: 잠긴 셀의 사본 {dropped}개는 지우고, "
                                              f"풀이 셀의 사본 {demoted}개는 일반 셀로 바꿔 그대로 실행했습니다."))
    nb.cells = cells
    return nb


def _restore_missing(nb: NotebookNode, release: NotebookNode, notes: list[Note]) -> NotebookNode:
    """Put each deleted release cell back after the nearest earlier release cell still there."""
    present = {_grade_id(c) for c in nb.cells if _grade_id(c)}
    missing = [c for c in release.cells if _grade_id(c) and _grade_id(c) not in present]
    if not missing:
        return nb
    order = [_grade_id(c) for c in release.cells if _grade_id(c)]
    for ref in missing:
        gid = _grade_id(ref)
        pos = 0
        for earlier in reversed(order[: order.index(gid)]):
            idx = next((i for i, c in enumerate(nb.cells) if _grade_id(c) == earlier), None)
            if idx is not None:
                pos = idx + 1
                break
        cell = copy.deepcopy(ref)
        if "id" in cell:
            cell["id"] = uuid.uuid4().hex[:8]  # the student's notebook may still use the old id
        nb.cells.insert(pos, cell)
    names = ", ".join(_grade_id(c) for c in missing)
    notes.append(Note("restored_cells", f"지워진 셀 {len(missing)}개({names})를 배포본에서 되살려 채점했습니다. "
                                        "지운 풀이 셀은 빈 상태로 돌아가므로 그 과제는 점수를 받지 못할 수 있습니다."))
    return nb


def _bound_names(node: ast.AST) -> list[str]:
    """The names `node` binds (a def, an assignment target, an import alias) that could shadow a check."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [sub.id if isinstance(sub, ast.Name) else sub.attr
                for t in targets for sub in ast.walk(t) if isinstance(sub, (ast.Name, ast.Attribute))]
    if isinstance(node, ast.Import):
        return [a.asname for a in node.names if a.asname]  # `import labkit.checks` is harmless
    if isinstance(node, ast.ImportFrom):
        if (node.module or "").startswith("labkit"):
            return [a.asname for a in node.names if a.asname]  # re-importing a check is harmless
        return [a.asname or a.name for a in node.names]
    return []


def _looks_like_tampering(nb: NotebookNode, expected: set, by_id: dict) -> bool:
    for cell in nb.cells:
        gid = _grade_id(cell)
        if cell.cell_type != "code" or (gid in by_id and _meta(by_id[gid]).get("locked")):
            continue
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        if SUSPICIOUS_CALLS.search(source):
            return True
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        if any(PROTECTED_NAMES & set(_bound_names(node)) for node in ast.walk(tree)):
            return True
    return False
