"""Collect submissions: from nbgrader's exchange, or from an LMS zip of notebooks named by student.

nbgrader's `zip_collect` matches its regex against the absolute path of each extracted file
(a pattern that does not start with `.*/` silently matches nothing) and trusts the archive.
`import_zip` matches against the path inside the archive, reads Korean file names written by
Windows tools (CP949 without the UTF-8 flag), refuses paths that climb out (`../`), oversized
members and non-notebooks, and keeps the latest notebook when a student appears twice.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from .config import RELEASE_DIR, ROOT, WORK_DIR, nbgrader_api
from .exchange import prepare_exchange, record_collected

MAX_MEMBER_BYTES = 20 * 2**20
STUDENT_ID = re.compile(r"^[\w.\-]{1,64}$")  # \w includes Hangul


class CollectError(Exception):
    """Collecting failed as a whole; the message is Korean."""


@dataclass
class CollectReport:
    imported: dict[str, str] = field(default_factory=dict)        # student -> member path
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (member path, Korean reason)


def collect_exchange(lab: str, root: Path = ROOT) -> list[str]:
    """Run nbgrader's exchange collect for `lab`; return the students now submitted."""
    api = nbgrader_api(root)
    prepare_exchange(Path(api.config.Exchange.root))
    before = _exchange_stamps(root, lab)
    result = api.collect(lab, update=True)
    if not result["success"]:
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()[-3:]
        raise CollectError(f"교환 폴더에서 {lab} 제출물을 모으지 못했습니다.\n" + "\n".join(detail))
    _secure_collected(root, lab, before)
    submitted = Path(root) / WORK_DIR / "submitted"
    return sorted(p.parent.name for p in submitted.glob(f"*/{lab}") if p.is_dir())


def _exchange_stamps(root: Path, lab: str) -> dict[str, str]:
    """Each collected submission's nbgrader timestamp: it changes only when collect copies a newer one."""
    stamps = {}
    for path in (Path(root) / WORK_DIR / "submitted").glob(f"*/{lab}/timestamp.txt"):
        try:
            stamps[path.parent.parent.name] = path.read_text(encoding="utf-8")
        except OSError:
            continue
    return stamps


def _secure_collected(root: Path, lab: str, before: dict[str, str]) -> None:
    """Owner-only modes and a digest for what this collect copied (not for what it left alone:
    a file changed since the last collect must stay detectable)."""
    for student, stamp in _exchange_stamps(root, lab).items():
        if before.get(student) != stamp or not (Path(root) / WORK_DIR / "collected" / lab / f"{student}.json").exists():
            record_collected(Path(root), lab, student)


def member_name(info: zipfile.ZipInfo) -> str:
    """The real file name: zip tools on Korean Windows write CP949 names without the UTF-8 flag."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    raw = name.encode("cp437", errors="replace")
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def student_from(path: str, notebook_names: set[str], pattern: re.Pattern | None) -> str | None:
    """Who a member belongs to: `pattern`'s `student_id` group, else the course's default rules.

    Default: `<id>.ipynb` or `<id>_<anything>.ipynb` anywhere in the archive; a file named like
    the lab's notebook (`<id>/lab00.ipynb`) belongs to its folder's `<id>`. An id stops at the
    first `_` (LMS exports add `_<number>_...`).
    """
    if pattern:
        match = pattern.search(path)
        return match.group("student_id") if match else None
    p = PurePosixPath(path)
    if p.stem in notebook_names:
        return p.parts[-2].split("_")[0] if len(p.parts) >= 2 else None
    return p.stem.split("_")[0]


def import_zip(archive: Path, lab: str, root: Path = ROOT, pattern: str | None = None) -> CollectReport:
    """Place each student's notebook from `archive` as their submission of `lab`."""
    archive = Path(archive)
    if not zipfile.is_zipfile(archive):
        raise CollectError(f"{archive} 은(는) zip 파일이 아닙니다.")
    release = Path(root) / RELEASE_DIR / lab
    notebooks = sorted(p.stem for p in release.glob("*.ipynb"))
    if not notebooks:
        raise CollectError(f"{release} 에 배포본 노트북이 없습니다. 먼저 python -m grader release {lab} 를 실행하십시오.")
    if len(notebooks) != 1:
        raise CollectError(f"{lab}에는 노트북이 {len(notebooks)}개 있어 zip에서 어느 파일이 어느 노트북인지 알 수 없습니다. "
                           "학생별 폴더로 nbgrader의 교환 폴더를 쓰십시오.")
    regex = None
    if pattern:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise CollectError(f"--pattern 정규식이 올바르지 않습니다: {exc}") from None
        if "student_id" not in regex.groupindex:
            raise CollectError("--pattern 에는 (?P<student_id>...) 그룹이 있어야 합니다.")
    report = CollectReport()
    chosen: dict[str, tuple[zipfile.ZipInfo, str]] = {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = member_name(info)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts:
                report.skipped.append((name, "압축 파일 밖을 가리키는 경로라서 건너뛰었습니다"))
                continue
            if parts and (parts[0] == "__MACOSX" or parts[-1].startswith(".")):
                continue
            if not name.lower().endswith(".ipynb"):
                report.skipped.append((name, "노트북(.ipynb)이 아니라서 건너뛰었습니다"))
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                report.skipped.append((name, f"{info.file_size // 2**20} MB로 너무 커서 건너뛰었습니다"))
                continue
            student = student_from("/".join(parts), set(notebooks), regex)
            if not student or not STUDENT_ID.match(student):
                report.skipped.append((name, "파일 이름에서 학생 ID를 찾지 못했습니다 (--pattern 으로 규칙을 지정하십시오)"))
                continue
            if student in chosen:
                older, newer = sorted([chosen[student], (info, name)], key=lambda x: x[0].date_time)
                report.skipped.append((older[1], f"{student}의 더 최근 제출물({newer[1]})이 있어 건너뛰었습니다"))
                chosen[student] = newer
            else:
                chosen[student] = (info, name)
        for student, (info, name) in sorted(chosen.items()):
            dest = Path(root) / WORK_DIR / "submitted" / student / lab
            dest.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src:
                data = src.read(MAX_MEMBER_BYTES + 1)
            (dest / f"{notebooks[0]}.ipynb").write_bytes(data)
            stamp = datetime(*info.date_time).strftime("%Y-%m-%d %H:%M:%S")
            (dest / "timestamp.txt").write_text(stamp)
            record_collected(Path(root), lab, student)
            report.imported[student] = name
    return report
