"""강사용 채점 명령: `python -m grader <명령>` (보통 `./course grade <명령>` 으로 부릅니다)."""
from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from pathlib import Path

# jsonschema (through nbformat) imports rfc3987-syntax when it is installed, only to check
# "iri" string formats, which neither nbformat nor nbgrader asks for; building its grammar
# costs a second of every command's start. Without it jsonschema skips that one format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from labkit.korean import josa  # noqa: E402

from .config import ROOT, WORK_DIR, Limits, lab_ids  # noqa: E402


class KoreanHelp(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="사용법: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse with Korean headings and error lines."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", KoreanHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "인자"
        self._optionals.title = "옵션"
        self.add_argument("-h", "--help", action="help", help="이 도움말을 보여 줍니다.")

    TRANSLATIONS = {
        "the following arguments are required": "다음 인자가 필요합니다",
        "unrecognized arguments": "알 수 없는 인자입니다",
        "invalid choice": "고를 수 없는 값입니다",
        "invalid int value": "정수가 아닙니다",
        "expected one argument": "값이 하나 필요합니다",
    }

    def error(self, message: str):
        for english, korean in self.TRANSLATIONS.items():
            message = message.replace(english, korean)
        self.print_usage(sys.stderr)
        self.exit(2, f"[오류] 명령을 잘못 썼습니다: {message}\n       도움말: ./course grade {self.prog.split()[-1]} -h\n")


def build_parser() -> Parser:
    parser = Parser(prog="grader", description=(
        "과정의 채점 도구입니다. 보통 다음 순서로 씁니다.\n"
        "  release → (학생 제출) → collect → autograde → feedback → export\n"
        "  손으로 채점할 답이 있으면 autograde 뒤에 pending → score 를 씁니다.\n"
        "  마감과 늦은 제출 감점: grader/grading.toml"))
    parser.add_argument("--root", type=Path, default=ROOT, metavar="폴더",
                        help="과정 폴더 (기본: 이 저장소). 시험용 사본을 채점할 때 씁니다.")
    sub = parser.add_subparsers(dest="command", required=True, title="명령", metavar="<명령>", parser_class=Parser)

    p = sub.add_parser("release", help="solutions/에서 labs/를 다시 만들고 검사합니다 (정답 누출, 배점, 풀이 만점).")
    p.add_argument("labs", nargs="*", help="실습 이름 (생략하면 전부)")
    p.add_argument("--exchange", action="store_true", help="nbgrader 교환 폴더에도 내보내 학생이 받아 갈 수 있게 합니다.")

    p = sub.add_parser("collect", help="제출물을 모읍니다: nbgrader 교환 폴더에서, 또는 LMS zip에서.")
    p.add_argument("lab", help="실습 이름 (예: lab00)")
    p.add_argument("--zip", type=Path, metavar="파일", help="LMS에서 내려받은 zip (학생별 노트북)")
    p.add_argument("--pattern", metavar="정규식",
                   help="zip 안의 경로에서 학생 ID를 찾는 정규식. (?P<student_id>...) 그룹이 있어야 합니다.")

    p = sub.add_parser("autograde", help="제출물을 격리된 환경에서 병렬로 채점합니다. 다시 실행하면 바뀐 것만 채점합니다.")
    p.add_argument("lab", help="실습 이름 (예: lab00)")
    p.add_argument("students", nargs="*", help="학생 ID (생략하면 제출한 학생 전부)")
    p.add_argument("-j", "--jobs", type=int, help="동시에 채점할 개수 (기본: CPU 코어 수의 1.5배, 소수점 버림)")
    p.add_argument("--force", action="store_true", help="이미 채점한 제출물도 다시 채점합니다.")
    d = Limits()
    p.add_argument("--cell-timeout", type=int, default=d.cell_timeout, metavar="초", help=f"셀 하나의 시간 제한 (기본 {d.cell_timeout})")
    p.add_argument("--notebook-timeout", type=int, default=d.notebook_timeout, metavar="초",
                   help=f"노트북 전체의 시간 제한 (기본 {d.notebook_timeout})")
    p.add_argument("--memory-mb", type=int, default=d.memory_mb, metavar="MB", help=f"메모리 제한 (기본 {d.memory_mb})")
    p.add_argument("--sandbox", choices=["bwrap", "unshare", "none"], help="격리 방식 (기본: 쓸 수 있는 것 중 가장 강한 것)")
    p.add_argument("--require-sandbox", action="store_true", help="bubblewrap 격리를 쓸 수 없으면 채점하지 않습니다.")
    p.add_argument("--quiet", action="store_true", help="진행 막대를 보이지 않습니다.")

    p = sub.add_parser("feedback", help="학생별 피드백(HTML, Markdown)을 만듭니다. 숨겨진 테스트의 코드는 넣지 않습니다.")
    p.add_argument("lab", help="실습 이름")
    p.add_argument("students", nargs="*", help="학생 ID (생략하면 채점된 학생 전부)")
    p.add_argument("--exchange", action="store_true", help="nbgrader 교환 폴더로도 돌려줍니다 (release_feedback).")

    p = sub.add_parser("export", help="성적을 CSV로 내보냅니다 (nbgrader export 형식 + 문항별 점수).")
    p.add_argument("--out", type=Path, metavar="폴더", help="저장할 폴더 (기본: grader/work/export)")
    p.add_argument("--lab", action="append", dest="labs", metavar="실습", help="이 실습만 (여러 번 쓸 수 있습니다)")
    p.add_argument("--partial", action="store_true",
                   help="채점하지 않은 제출물이나 성적부에 없는 채점 결과가 있어도, 그 학생을 빼고 내보냅니다.")

    p = sub.add_parser("roster", help="수강생 명단(CSV)을 성적부에 넣습니다. 제출하지 않은 학생도 0점으로 내보내집니다.")
    p.add_argument("csv", type=Path, metavar="명단.csv",
                   help="첫 줄에 열 제목(예: id,이름 또는 학번,이름,이메일)이 있는 CSV (UTF-8 또는 CP949)")

    p = sub.add_parser("status", help="실습의 채점 현황을 학생별로 보여 줍니다.")
    p.add_argument("lab", help="실습 이름")

    p = sub.add_parser("pending", help="강사가 직접 채점할 답(서술형 등)을 학생의 답과 함께 보여 줍니다.")
    p.add_argument("lab", help="실습 이름")

    p = sub.add_parser("score", help="한 학생의 한 문항에 점수(와 의견)를 직접 줍니다.")
    p.add_argument("lab", help="실습 이름")
    p.add_argument("student", help="학생 ID")
    p.add_argument("grade_id", help="문항 ID (pending 이 보여 주는 것, 예: essay_2)")
    p.add_argument("points", type=float, nargs="?", help="줄 점수 (0부터 그 문항의 배점까지)")
    p.add_argument("--comment", default="", metavar="글", help="학생의 피드백에 들어갈 의견")
    p.add_argument("--clear", action="store_true", help="손으로 준 점수를 지웁니다 (자동 점수나 채점 대기로 돌아갑니다).")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"[오류] {message}", file=sys.stderr)
    return code


def caller_dir() -> Path:
    """The folder the instructor ran the command in: `./course` changes to the repository first
    and passes the original one as COURSE_CALLER_PWD."""
    caller = os.environ.get("COURSE_CALLER_PWD")
    here = Path.cwd()
    # Only when `./course` ran us (it changes to the repository); a stale value inherited by a
    # later `python -m grader` elsewhere must not win over that process's own folder.
    return Path(caller) if caller and here.resolve() == ROOT.resolve() else here


def _resolve_paths(args) -> None:
    """Relative paths on the command line are the instructor's, not the repository's."""
    for name in ("root", "zip", "out", "csv"):
        value = getattr(args, name, None)
        if isinstance(value, Path) and not value.is_absolute():
            setattr(args, name, (caller_dir() / value).resolve())


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _check_lab(args) -> str | None:
    labs = lab_ids(args.root)
    return None if args.lab in labs else f"solutions/에 없는 실습입니다: {args.lab} (있는 실습: {', '.join(labs)})"


def cmd_release(args) -> int:
    from .gradebook import GradebookError
    from .release import ReleaseError, release

    labs = args.labs or lab_ids(args.root)
    unknown = sorted(set(labs) - set(lab_ids(args.root)))
    if unknown:
        return _fail(f"solutions/에 없는 실습입니다: {', '.join(unknown)}", 2)
    for lab in labs:
        try:
            out = release(lab, args.root)
        except (ReleaseError, GradebookError) as exc:
            return _fail(str(exc))
        print(f"✔ {lab}: 배포본을 만들고 검사했습니다 (정답 누출 없음, 배점 있음, 풀이 만점) -> {out.relative_to(out.parents[1])}")
        if args.exchange:
            from .config import course_config, nbgrader_api

            from .exchange import prepare_exchange

            config = course_config(args.root)
            config.ExchangeReleaseAssignment.force = True  # a re-release replaces the old one
            prepare_exchange(Path(config.Exchange.root))  # outside the course, nbgrader's permissions
            result = nbgrader_api(args.root, config).release_assignment(lab)
            if not result["success"]:
                return _fail(f"{josa(lab, '을')} 교환 폴더로 내보내지 못했습니다: {(result.get('error') or '').strip()[-300:]}")
            print(f"✔ {lab}: nbgrader 교환 폴더로 내보냈습니다.")
    return 0


def cmd_collect(args) -> int:
    from .collect import CollectError, collect_exchange, import_zip
    from .hints import command

    if err := _check_lab(args):
        return _fail(err, 2)
    try:
        if args.zip:
            report = import_zip(args.zip, args.lab, args.root, pattern=args.pattern)
            for student, name in report.imported.items():
                print(f"✔ {student}: {name}")
            for name, reason in report.skipped:
                print(f"• 건너뜀 {name}: {reason}")
            if report.unchanged:
                print(f"• 이미 가져온 것과 같은 제출물 {len(report.unchanged)}개는 그대로 두었습니다.")
            for note in report.notes:
                print(f"• {note}")
            print(f"{len(report.imported)}명의 제출물을 가져왔습니다. 다음: {command(f'autograde {args.lab}', args.root)}")
        else:
            students = collect_exchange(args.lab, args.root)
            print(f"{len(students)}명의 제출물이 있습니다. 다음: {command(f'autograde {args.lab}', args.root)}")
    except CollectError as exc:
        return _fail(str(exc))
    return 0


def cmd_autograde(args) -> int:
    from .batch import autograde_all, submissions
    from .gradebook import GradebookError, restore
    from .late import GradingSettingsError
    from .sandbox.policy import SandboxUnavailable, describe, detect_backend

    if err := _check_lab(args):
        return _fail(err, 2)
    if not args.students and not submissions(args.root, args.lab):
        from .hints import command

        # Nothing to grade is not a finished grading: no ✔, and a non-zero exit for scripts.
        return _fail(f"아직 {args.lab} 제출물이 없어 채점할 것이 없습니다 "
                     f"({args.root / WORK_DIR / 'submitted'}/<학생>/{args.lab}/). 먼저 제출물을 모으십시오:\n"
                     f"       {command(f'collect {args.lab}', args.root)}               (nbgrader 교환 폴더에서)\n"
                     f"       {command(f'collect {args.lab} --zip 파일.zip', args.root)}  (LMS에서 받은 zip에서)")
    try:
        backend = detect_backend(args.sandbox)
    except SandboxUnavailable as exc:
        return _fail(str(exc))
    if args.require_sandbox and backend != "bwrap":
        return _fail("bubblewrap 격리를 쓸 수 없어 채점하지 않았습니다. 'sudo apt-get install bubblewrap' 으로 설치하십시오.")
    print(f"• {describe(backend)}", file=sys.stderr if backend == "none" else sys.stdout)
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb)
    try:
        restored = restore(args.root, args.lab)
        if restored:
            # A lost or rebuilt gradebook: the saved grades still match the submissions.
            print(f"• 성적부에 없던 채점 결과 {len(restored)}개를 저장된 결과(grader/work/results/)에서 다시 넣었습니다: "
                  + ", ".join(restored[:10]) + (" ..." if len(restored) > 10 else ""))
        report = autograde_all(args.lab, args.root, students=args.students or None, jobs=args.jobs, force=args.force,
                               limits=limits, backend=backend, progress=not args.quiet)
    except (FileNotFoundError, GradebookError, GradingSettingsError) as exc:
        return _fail(str(exc))
    if report.skipped:
        print(f"• 이미 채점했고 바뀌지 않은 제출물 {len(report.skipped)}개는 건너뛰었습니다 (다시 채점: --force).")
    done = [o for o in report.graded if o.status != "error"]
    print(f"✔ {len(done)}개를 {report.seconds:.1f}초에 채점했습니다.")
    for o in report.graded:
        if o.notes and o.status != "error":
            print(f"  {o.student}: " + " / ".join(n.text for n in o.notes[:3]))
    if report.errors:
        print(f"[오류] 채점기 문제로 {len(report.errors)}개를 채점하지 못했습니다: {', '.join(o.student for o in report.errors)}. "
              "다시 실행하면 이것만 다시 채점합니다. 같은 오류가 다시 나면 그 뒤로는 건너뜁니다.", file=sys.stderr)
    if report.stuck:
        from .hints import command

        print(f"[오류] 같은 제출물이 채점기 오류로 두 번 연속 실패해 다시 채점하지 않았습니다: "
              f"{', '.join(o.student for o in report.stuck)}.\n"
              f"       원인은 grader/work/results/{args.lab}/<학생>.json 의 error 에 있습니다. 원인을 고쳤거나 학생이 다시 "
              f"제출했다면 {command(f'autograde {args.lab} <학생> --force', args.root)} 로 다시 채점하십시오. "
              "제출물을 바꿔 다시 모으면(collect) 저절로 다시 채점합니다.", file=sys.stderr)
        for o in report.stuck[:3]:
            reason = next((line.strip() for line in reversed(o.error.splitlines()) if line.strip()), "")
            print(f"       {o.student}: {reason[:200]}", file=sys.stderr)
    if report.interrupted:
        print("[중단] 끝난 채점은 모두 저장했습니다. 같은 명령을 다시 실행하면 남은 것만 채점합니다.", file=sys.stderr)
        return 128 + report.signal  # 130 for Ctrl-C, as a shell expects
    return 1 if report.errors or report.stuck else 0


def cmd_feedback(args) -> int:
    from .feedback import EXCHANGE_FILES, write_feedback

    if err := _check_lab(args):
        return _fail(err, 2)
    from .late import GradingSettingsError

    try:
        paths = write_feedback(args.lab, args.root, students=args.students or None)
    except GradingSettingsError as exc:
        return _fail(str(exc))
    if not paths:
        from .hints import command

        return _fail(f"{args.lab}의 채점 결과가 없습니다. 먼저 {command(f'autograde {args.lab}', args.root)} 를 실행하십시오.")
    print(f"✔ 피드백 {len(paths)}개를 만들었습니다 -> {args.root / WORK_DIR / 'feedback'}")
    if args.exchange:
        from .config import nbgrader_api

        api = nbgrader_api(args.root)
        sent, unsent = [], []
        for html in paths:
            student = html.parent.parent.name
            if student in sent or student in unsent:
                continue
            if not all((html.parent / name).exists() for name in EXCHANGE_FILES):
                unsent.append(student)  # not collected through the exchange: nothing to send it back to
                continue
            result = api.release_feedback(args.lab, student)
            if not result["success"]:
                return _fail(f"{student}의 피드백을 교환 폴더로 돌려주지 못했습니다: {(result.get('error') or '').strip()[-300:]}")
            sent.append(student)
        print(f"✔ {len(sent)}명의 피드백을 nbgrader 교환 폴더로 돌려주었습니다 (학생은 fetch_feedback 으로 받습니다).")
        if unsent:
            print(f"• 교환 폴더로 제출하지 않아(zip 등) 피드백을 교환 폴더로 보내지 않은 학생: {', '.join(unsent)}")
    return 0


def cmd_export(args) -> int:
    from .export import export, missing
    from .gradebook import GradebookError
    from .late import GradingSettingsError

    try:
        gaps = missing(args.root, args.labs) if args.partial else []
        grades, questions = export(args.out or args.root / WORK_DIR / "export", args.root, labs=args.labs,
                                   partial=args.partial)
    except (GradebookError, GradingSettingsError) as exc:
        return _fail(str(exc))
    if gaps:  # asked for: say what is left out, and no ✔
        print("• 일부만 내보냈습니다. 빠진 학생:\n" + "\n".join(f"  - {line}" for line in gaps))
        print(f"• {grades}\n• {questions}")
        return 0
    print(f"✔ {grades}\n✔ {questions}")
    return 0


def cmd_roster(args) -> int:
    from .gradebook import GradebookError
    from .roster import RosterError, import_roster

    try:
        report = import_roster(args.root, args.csv)
    except (RosterError, GradebookError) as exc:
        return _fail(str(exc))
    for line, reason in report.skipped:
        print(f"• 건너뜀 {line}번째 줄: {reason}")
    print(f"✔ 명단을 넣었습니다 ({report.encoding}): 새 학생 {len(report.added)}명, 이름을 고친 학생 {len(report.renamed)}명.")
    return 0


def cmd_status(args) -> int:
    from .batch import submissions
    from .results import MANUAL_PENDING_TEXT, NOT_GRADED_TEXT, STATUS_TEXT, ResultStore

    if err := _check_lab(args):
        return _fail(err, 2)
    from .final import standing, sync
    from .late import GradingSettingsError, load_policy

    store = ResultStore(args.root)
    students = submissions(args.root, args.lab)
    if not students:
        print(f"{args.lab} 제출물이 없습니다.")
        return 0
    try:
        policy = load_policy(args.root)
        sync(args.root, args.lab, students)  # scores typed into formgrader count here too
    except GradingSettingsError as exc:
        return _fail(str(exc))
    rows = []
    for s in students:
        o = store.load(args.lab, s)
        if o is None:
            rows.append((s, "-", NOT_GRADED_TEXT))
            continue
        state = STATUS_TEXT[o.status]
        flag = " · 강사 확인 필요" if o.flagged else ""
        view = standing(args.root, o, policy) if o.status != "error" else None
        if view and view.pending:
            flag += f" · {MANUAL_PENDING_TEXT} {len(view.pending)}개"
        if view and view.lateness.late:
            flag += f" · 늦은 제출(감점 {view.penalty:g})" if view.penalty else " · 늦은 제출"
        score, total = (view.score, view.max_score) if view else (o.score, o.max_score)
        rows.append((s, f"{score:g}/{total:g}", state + flag))
    # Columns by display width: a Hangul id takes two columns a character (len() counts one).
    id_width = max(display_width("학생"), *(display_width(r[0]) for r in rows))
    score_width = max(display_width("점수"), *(len(r[1]) for r in rows))
    print(f"{ljust('학생', id_width)}  {' ' * (score_width - display_width('점수'))}점수  상태")
    for sid, score, state in rows:
        print(f"{ljust(sid, id_width)}  {score:>{score_width}}  {state}")
    # The scores above come from results/; say when the gradebook (what export reads) lacks them.
    from .gradebook import GradebookError, unrecorded_results
    from .hints import command

    try:
        lost = unrecorded_results(args.root, args.lab)
    except GradebookError as exc:
        print(f"[주의] {exc}", file=sys.stderr)
        return 0
    if lost:
        print(f"[주의] 위 점수 가운데 {len(lost)}개는 성적부에 없어 내보내지 않습니다. "
              f"{command(f'autograde {args.lab}', args.root)} 를 실행하면 성적부에 다시 넣습니다.", file=sys.stderr)
    return 0


def cmd_pending(args) -> int:
    from .hints import command
    from .late import GradingSettingsError
    from .manual import pending

    if err := _check_lab(args):
        return _fail(err, 2)
    try:
        waiting = pending(args.root, args.lab)
    except GradingSettingsError as exc:
        return _fail(str(exc))
    if not waiting:
        print(f"{args.lab}에는 강사가 채점할 답이 남아 있지 않습니다.")
        return 0
    for p in waiting:
        print(f"■ {p.student} {p.grade_id} ({p.label}, {p.points:g}점)")
        lines = p.answer.strip().splitlines() or ["(빈 답)"]
        for line in lines[:12]:
            print(f"    {line}")
        if len(lines) > 12:
            print(f"    … ({len(lines) - 12}줄 더: grader/work/autograded/{p.student}/{args.lab}/)")
    print(f"{len(waiting)}개가 채점을 기다립니다. 점수 주기: "
          + command(f'score {args.lab} <학생> <문항> <점수> --comment "의견"', args.root))
    return 0


def cmd_score(args) -> int:
    from .hints import command
    from .late import GradingSettingsError
    from .manual import ManualGradeError, clear, give

    if err := _check_lab(args):
        return _fail(err, 2)
    if (args.points is None) == (not args.clear):
        return _fail("점수를 주거나(score lab 학생 문항 1.5) --clear 로 지우십시오. 둘 중 하나만 씁니다.", 2)
    try:
        if args.clear:
            removed = clear(args.root, args.lab, args.student, args.grade_id)
            print(f"✔ {args.student} {args.grade_id}: 손으로 준 점수를 지웠습니다." if removed else
                  f"• {args.student} {args.grade_id}: 손으로 준 점수가 없습니다.")
            return 0
        entry = give(args.root, args.lab, args.student, args.grade_id, args.points, args.comment)
    except (ManualGradeError, GradingSettingsError) as exc:
        return _fail(str(exc))
    print(f"✔ {args.student} {args.grade_id}: {entry.score:g}점" + (f" (의견: {entry.comment})" if entry.comment else ""))
    print(f"다음: {command(f'feedback {args.lab} {args.student}', args.root)}  (피드백을 다시 만들어 학생에게 보여 줍니다)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _resolve_paths(args)
    if not (args.root / "solutions").is_dir():
        return _fail(f"과정 폴더가 아닙니다: {args.root} (solutions/ 폴더가 없습니다). --root 에는 과정 저장소의 폴더를 주십시오.", 2)
    handler = {"release": cmd_release, "collect": cmd_collect, "autograde": cmd_autograde,
               "feedback": cmd_feedback, "export": cmd_export, "roster": cmd_roster, "status": cmd_status,
               "pending": cmd_pending, "score": cmd_score}[args.command]
    import sqlite3

    from sqlalchemy.exc import DatabaseError

    from .gradebook import GradebookError, failure

    try:
        return handler(args)
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        # Every command reads the gradebook; where one does so without the Korean check, a damaged
        # file or an unreachable database must still not end in SQLAlchemy's English traceback.
        return _fail(str(failure(args.root, exc)))
    except GradebookError as exc:  # a wrong gradebook URL or a database that does not answer, from any command
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
