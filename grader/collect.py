"""Collect submissions: from nbgrader's exchange, or from an LMS zip of notebooks named by student.

nbgrader's `zip_collect` matches its regex against the absolute path of each extracted file
(a pattern that does not start with `.*/` silently matches nothing) and trusts the archive.
`import_zip` matches against the path inside the archive, reads Korean file names written by
Windows tools (CP949 without the UTF-8 flag), refuses paths that climb out (`../`), oversized
members and non-notebooks, and keeps the latest notebook when a student appears twice, in one
zip or across imports (an older zip never replaces a newer submission). It knows Moodle's
folder names (`이름_참가자번호_assignsubmission_file_`), so two students who share a name are
never merged, and keeps the names LMS file names carry (`2024001_김민준_lab00.ipynb`).

Each import is recorded in `grader/work/imports/<lab>.json` (which file went to which student):
when a later import gives the same file to another student (a corrected `--pattern`), the folder
the earlier import made is moved to `grader/work/replaced/`, so it is not graded as an extra student.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path, PurePosixPath

from labkit.korean import josa

from .config import RELEASE_DIR, ROOT, WORK_DIR, nbgrader_api
from .hints import command
from .intake import expected_files
from .exchange import prepare_exchange, record_collected
from .late import format_timestamp, load_policy, read_timestamp

MAX_MEMBER_BYTES = 20 * 2**20
STUDENT_ID = re.compile(r"^[\w.\-]{1,64}$")  # \w includes Hangul
# Moodle's assignment download: "<full name>_<participant id>_assignsubmission_file_[/<file>]".
MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>[^_/]+)_assign(?:submission|feedback)_[a-z]+_")
PERSON_NAME = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)*$")  # letters (Hangul too) and spaces, no digits


class CollectError(Exception):
    """Collecting failed as a whole; the message is Korean."""


@dataclass
class CollectReport:
    imported: dict[str, str] = field(default_factory=dict)        # student -> member path
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (member path, Korean reason)
    unchanged: list[str] = field(default_factory=list)            # already imported, same file
    names: dict[str, str] = field(default_factory=dict)           # student -> name from the file name
    notes: list[str] = field(default_factory=list)                # Korean: ties, replaced folders, Moodle ids


def collect_exchange(lab: str, root: Path = ROOT) -> list[str]:
    """Run nbgrader's exchange collect for `lab`; return the students now submitted."""
    from .config import COURSE_ID, course_config

    exchange = Path(course_config(root).Exchange.root)
    if not (exchange / COURSE_ID / "inbound").is_dir():
        raise CollectError(f"교환 폴더({exchange})에 아직 이 과정이 없어 모을 제출물이 없습니다. 학생이 과제를 받아 가려면 먼저 "
                           f"{command(f'release {lab} --exchange', root)} 로 교환 폴더에 내보내야 합니다. "
                           f"LMS에서 받은 zip이라면 {command(f'collect {lab} --zip 파일.zip', root)} 를 쓰십시오.")
    api = nbgrader_api(root)
    prepare_exchange(Path(api.config.Exchange.root))
    set_aside_impostors(exchange / COURSE_ID / "inbound", lab)
    before = _exchange_stamps(root, lab)
    result = api.collect(lab, update=True)
    if not result["success"]:
        # nbgrader's last line is the reason; the traceback lines above it help nobody.
        lines = (result.get("error") or result.get("log") or "").strip().splitlines()
        reason = next((l for l in reversed(lines) if l.strip() and not l.startswith((" ", "Traceback"))), "")
        raise CollectError(f"교환 폴더에서 {lab} 제출물을 모으지 못했습니다: {reason.strip()[:200]}")
    _secure_collected(root, lab, before)
    submitted = Path(root) / WORK_DIR / "submitted"
    return sorted(p.parent.name for p in submitted.glob(f"*/{lab}") if p.is_dir())


IMPOSTOR_PREFIX = ".impostor+"  # a leading dot: nbgrader's `*+<lab>+*` glob no longer sees it


def set_aside_impostors(inbound: Path, lab: str) -> list[str]:
    """Hide from nbgrader every inbound submission whose owner is not the student it names.

    `inbound/` is writable by every student (733), and nbgrader takes the student from the folder
    name, `<student>+<lab>+<time>+<random>`: one student can make `kim+lab00+<later time>+x` and
    collect would take it as kim's latest submission (nbgrader only logs a warning, which nobody
    sees). Such a folder (unless the instructor's own) is renamed in place (the inbound's owner may rename it even when it cannot
    read it) and reported; the student's own submissions are collected as usual.
    """
    try:
        import pwd
    except ImportError:  # Windows: no owners to compare (nbgrader skips its own check there too)
        return []
    notes = []
    for entry in sorted(inbound.glob(f"*+{lab}+*")):
        student, uid = entry.name.split("+", 1)[0], entry.lstat().st_uid
        if uid == os.geteuid():
            continue  # the instructor's own (a test run with nbgrader's --student): trusted
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = f"uid {uid}"
        if owner == student:
            continue
        entry.rename(entry.with_name(IMPOSTOR_PREFIX + entry.name))
        notes.append(f"[경고] 교환 폴더의 제출물 {josa(entry.name, '은')} {student}의 이름으로 냈지만 "
                     f"{josa(owner, '이')} 만든 것이라 모으지 않았습니다 (남의 이름으로 낸 제출물일 수 있습니다). "
                     f"교환 폴더의 inbound/{IMPOSTOR_PREFIX}{entry.name}에 그대로 두었습니다.")
    for note in notes:
        print(note, file=sys.stderr)
    return notes


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


def owner(path: str, notebook_names: set[str], pattern: re.Pattern | None) -> tuple[str | None, str | None, bool]:
    """(student id, name or None, whether Moodle's naming gave them) of a member path.

    `pattern`: its `student_id` group (and an optional `name` group). Default: Moodle's
    `<name>_<participant id>_assignsubmission_file_` in the file or a folder name; else
    `<id>.ipynb` or `<id>_<anything>.ipynb` anywhere in the archive, and a file named like the
    lab's notebook (`<id>/lab00.ipynb`) belongs to its folder's `<id>`. An id stops at the first
    `_`; a second field made of letters only is the student's name (`2024001_김민준_lab00`).
    """
    if pattern:
        match = pattern.search(path)
        if not match:
            return None, None, False
        return match.group("student_id"), (match.groupdict().get("name") or "").strip() or None, False
    p = PurePosixPath(path)
    for part in reversed(p.parts):
        match = MOODLE.match(part)
        if match:
            return match.group("id"), match.group("name").strip() or None, True
    if p.stem in notebook_names:
        if len(p.parts) < 2:
            return None, None, False
        base = p.parts[-2]
    else:
        base = p.stem
    fields = base.split("_")
    name = fields[1].strip() if len(fields) > 1 and PERSON_NAME.match(fields[1].strip()) else None
    if name and len(fields) == 2 and not re.search(r"[\uac00-\ud7a3]", name):
        name = None  # "choi_old.ipynb": a last Latin word is more often a note than a name
    return fields[0], name, False


def student_from(path: str, notebook_names: set[str], pattern: re.Pattern | None) -> str | None:
    """Who a member belongs to (see `owner`)."""
    return owner(path, notebook_names, pattern)[0]


def _stamp(info: zipfile.ZipInfo, tz: tzinfo) -> datetime:
    """A zip member's time: the local time of the machine that wrote it (zip keeps no zone), in the course's `tz`."""
    return datetime(*info.date_time, tzinfo=tz)


def _set_aside(root: Path, folder: Path, lab: str, student: str) -> Path:
    """Move `folder` under grader/work/replaced/ (nothing is deleted); return where it went."""
    dest = Path(root) / WORK_DIR / "replaced" / lab / f"{student}-{datetime.now():%Y%m%d-%H%M%S-%f}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder), str(dest))
    return dest


def _retire(root: Path, lab: str, student: str) -> Path:
    """Take a folder imported under a wrong id out of grading: its files, saved grade and gradebook entry."""
    from .gradebook import forget

    work = Path(root) / WORK_DIR
    moved = _set_aside(root, work / "submitted" / student / lab, lab, student)
    result = work / "results" / lab / f"{student}.json"
    if result.exists():
        os.replace(result, moved / "result.json")
    shutil.rmtree(work / "autograded" / student / lab, ignore_errors=True)
    forget(root, lab, student)
    for empty in (work / "submitted" / student, work / "autograded" / student):
        try:
            empty.rmdir()
        except OSError:
            pass
    return moved


def notebook_of(filename: str, notebooks: list[str]) -> str | None:
    """Which of the lab's notebooks a submitted file is: the only one, or the one its name holds.

    LMS file names carry the student in front (`2024001_김민준_lab02-1.ipynb`) and browsers add
    a copy number (`lab02-2 (1).ipynb`): the longest notebook name found in the file name wins.
    """
    if len(notebooks) == 1:
        return notebooks[0]
    stem = PurePosixPath(filename).stem.lower()
    found = [n for n in notebooks if n.lower() in stem]
    return max(found, key=len) if found else None


def whose_of(student: str, notebook: str, several: bool) -> str:
    return f"{student}의 {notebook}.ipynb" if several else f"{student}의"


NOTEBOOK_TIMES = ".notebook-times.json"  # a lab of several notebooks: when each was submitted


def _notebook_time(dest: Path, notebook: str, tz: tzinfo, several: bool) -> datetime | None:
    """When the notebook already in `dest` was submitted (the folder's timestamp.txt for a lab of one)."""
    if not several:
        return read_timestamp(dest, tz)
    try:
        times = json.loads((dest / NOTEBOOK_TIMES).read_text(encoding="utf-8"))
        return datetime.fromisoformat(times[notebook]).astimezone(tz)
    except (OSError, ValueError, KeyError, TypeError):
        return read_timestamp(dest, tz)


def _write_times(dest: Path, notebook: str, stamp: datetime, tz: tzinfo, several: bool) -> None:
    """Record `notebook`'s time; timestamp.txt (what nbgrader reads) is the latest notebook's."""
    if not several:
        (dest / "timestamp.txt").write_text(format_timestamp(stamp))
        return
    try:
        times = json.loads((dest / NOTEBOOK_TIMES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        times = {}
    times[notebook] = stamp.isoformat()
    (dest / NOTEBOOK_TIMES).write_text(json.dumps(times, ensure_ascii=False), encoding="utf-8")
    latest = max(datetime.fromisoformat(t) for t in times.values())
    (dest / "timestamp.txt").write_text(format_timestamp(latest))


def _ledger_path(root: Path, lab: str) -> Path:
    return Path(root) / WORK_DIR / "imports" / f"{lab}.json"


def import_zip(archive: Path, lab: str, root: Path = ROOT, pattern: str | None = None) -> CollectReport:
    """Place each student's notebook from `archive` as their submission of `lab`."""
    archive = Path(archive)
    if not archive.is_file():
        raise CollectError(f"zip 파일을 찾을 수 없습니다: {archive}" + ("" if archive.is_absolute() else
                           f" (현재 폴더 {Path.cwd()} 기준)"))
    if not zipfile.is_zipfile(archive):
        raise CollectError(f"{josa(archive, '은')} zip 파일이 아닙니다. LMS에서 내려받은 압축 파일(.zip)을 지정하십시오.")
    release = Path(root) / RELEASE_DIR / lab
    notebooks = sorted(p.stem for p in release.glob("*.ipynb"))
    if not notebooks:
        raise CollectError(f"{release} 에 배포본 노트북이 없습니다. 먼저 {command(f'release {lab}', root)} 를 실행하십시오.")
    regex = None
    if pattern:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise CollectError(f"--pattern 정규식이 올바르지 않습니다: {exc}") from None
        if "student_id" not in regex.groupindex:
            raise CollectError("--pattern 에는 (?P<student_id>...) 그룹이 있어야 합니다.")
    tz = load_policy(root).tz
    report = CollectReport()
    chosen: dict[tuple[str, str], tuple[zipfile.ZipInfo, str]] = {}  # (student, notebook) -> newest member
    several = len(notebooks) > 1
    moodle = False
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
            student, person, from_moodle = owner("/".join(parts), set(notebooks), regex)
            if not student or not STUDENT_ID.match(student):
                report.skipped.append((name, "파일 이름에서 학생 ID를 찾지 못했습니다 (--pattern 으로 규칙을 지정하십시오)"))
                continue
            notebook = notebook_of(parts[-1], notebooks)
            if notebook is None:
                report.skipped.append((name, f"{lab}의 어느 노트북인지 알 수 없어 건너뛰었습니다 (파일 이름에 "
                                             f"{expected_files(lab, notebooks)} 가운데 하나의 이름이 있어야 합니다)"))
                continue
            moodle |= from_moodle
            if person and student not in report.names:
                report.names[student] = person
            key = (student, notebook)
            whose = f"{student}의 {notebook}.ipynb" if several else student
            if key in chosen:
                before = chosen[key]
                if _stamp(info, tz) == _stamp(before[0], tz):
                    # Same time: nothing says which is newer; the later one in the archive is used, and said so.
                    report.skipped.append((before[1], f"{whose}의 다른 파일({name})과 제출 시각({_stamp(info, tz):%Y-%m-%d %H:%M:%S})이 같아 "
                                                      "어느 쪽이 최근인지 알 수 없습니다. 압축 파일에서 뒤에 있는 그 파일을 썼습니다 "
                                                      "(아니라면 zip에서 하나를 지우고 다시 가져오십시오)"))
                    chosen[key] = (info, name)
                    continue
                older, newer = sorted([before, (info, name)], key=lambda x: x[0].date_time)
                report.skipped.append((older[1], f"{whose}의 더 최근 제출물({newer[1]})이 있어 건너뛰었습니다 "
                                                 "(이름이 같은 다른 학생이라면 --pattern 으로 학생 ID 규칙을 지정하십시오)"))
                chosen[key] = newer
            else:
                chosen[key] = (info, name)
        if moodle and not regex:
            report.notes.append("Moodle 폴더 이름에서 참가자 번호를 학생 ID로 썼습니다. 학번을 쓰려면 --pattern 으로 규칙을 지정하십시오.")
        ledger_path = _ledger_path(root, lab)
        try:
            ledger = json.loads(ledger_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            ledger = {}
        students = {student for student, _ in chosen}
        for (student, notebook), (info, name) in sorted(chosen.items()):
            dest = Path(root) / WORK_DIR / "submitted" / student / lab
            target = dest / f"{notebook}.ipynb"
            entry_key = f"{student}/{notebook}" if several else student
            with zf.open(info) as src:
                data = src.read(MAX_MEMBER_BYTES + 1)
            digest = hashlib.sha256(data).hexdigest()
            stamp = _stamp(info, tz)
            previous = _notebook_time(dest, notebook, tz, several) if target.exists() else None
            if previous is not None:
                previous = previous.astimezone(tz)  # shown beside the zip's local times
            if previous is not None and target.read_bytes() == data:
                report.unchanged.append(student)
            elif previous is not None and previous > stamp:
                report.skipped.append((name, f"이미 가져온 {whose_of(student, notebook, several)} 제출물({previous:%Y-%m-%d %H:%M:%S})이 "
                                             f"이 파일({stamp:%Y-%m-%d %H:%M:%S})보다 최근이라 건너뛰었습니다"))
                continue
            else:
                if previous is not None and previous == stamp:
                    if several:  # only this notebook is replaced: keep a copy of it, leave the other in place
                        kept = Path(root) / WORK_DIR / "replaced" / lab / f"{student}-{notebook}-{datetime.now():%Y%m%d-%H%M%S-%f}"
                        kept.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(target, kept / target.name)
                    else:
                        kept = _set_aside(root, dest, lab, student)
                    report.notes.append(f"{student}: 이미 가져온 제출물과 제출 시각({stamp:%Y-%m-%d %H:%M:%S})이 같아 어느 쪽이 최근인지 알 수 없습니다. "
                                        f"이번 zip의 {josa(name, '으로')} 바꾸고 이전 것은 {kept}에 두었습니다.")
                dest.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                _write_times(dest, notebook, stamp, tz, several)
                record_collected(Path(root), lab, student)
                report.imported[student] = (report.imported[student] + ", " + name) if student in report.imported else name
            # The same file imported earlier under another id (a corrected --pattern): that folder is wrong.
            for other_key, entry in list(ledger.items()):
                other = other_key.split("/")[0]
                if other == student or other in students or entry != {"member": name, "sha256": digest}:
                    continue
                old = Path(root) / WORK_DIR / "submitted" / other / lab / f"{notebook}.ipynb"
                if old.exists() and hashlib.sha256(old.read_bytes()).hexdigest() == digest:
                    moved = _retire(root, lab, other)
                    report.notes.append(f"{other}: 전에 잘못된 학생 ID로 가져온 폴더입니다 (같은 파일 {josa(name, '이')} 이제 "
                                        f"{student}의 제출물입니다). 채점에서 빼고 {moved}로 옮겼습니다.")
                del ledger[other_key]
            ledger[entry_key] = {"member": name, "sha256": digest}
        ledger_path.parent.mkdir(parents=True, exist_ok=True)
        ledger_path.write_text(json.dumps(ledger, ensure_ascii=False, indent=1), encoding="utf-8")
    if report.names:
        from .gradebook import GradebookError, name_students
        from .roster import split_name

        try:  # never replaces a roster's names
            name_students(root, {s: (*split_name(n), "") for s, n in report.names.items() if s in students}, overwrite=False)
        except GradebookError as exc:
            report.notes.append(f"파일 이름의 학생 이름을 성적부에 넣지 못했습니다: {str(exc).splitlines()[0]}")
    return report
