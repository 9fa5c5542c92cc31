"""Due dates and late penalties come from grader/grading.toml and apply without regrading."""
from __future__ import annotations

from .test_manual_grading import CODE_RIGHT, ESSAY, LAB, course, feedback_md, grade, grader, grades_csv, put, released_labm, status_line, submission  # noqa: F401


def settings(course, text: str) -> None:
    (course / "grader" / "grading.toml").write_text(text, encoding="utf-8")


def test_a_due_date_set_after_grading_marks_and_penalises_late_work(course):
    nb = submission(course, CODE_RIGHT, ESSAY)
    put(course, "kim", nb, "2026-12-08 23:00:00")               # an LMS zip's time: Seoul time, on time
    put(course, "lee", nb, "2026-12-09 01:30:00")               # 1.5 hours late
    put(course, "park", nb, "2026-12-08 15:30:00.000000 UTC")   # the exchange's UTC: 00:30 in Seoul, 30 minutes late
    grade(course)
    grader(course, "export")
    assert {s: (r["late"], r["late_submission_penalty"]) for s, r in grades_csv(course).items()} == {
        "kim": ("False", "0.0"), "lee": ("False", "0.0"), "park": ("False", "0.0")}

    settings(course, 'timezone = "Asia/Seoul"\n[late]\npenalty = "per_day"\npercent_per_day = 10\n[due]\nlabm = "2026-12-09 00:00"\n')
    grader(course, "export")
    rows = grades_csv(course)
    assert rows["kim"]["duedate"] == "2026-12-08 15:00:00"  # nbgrader keeps UTC
    # ... and the submission times in the same zone as the due date: kim's 23:00 in Seoul is 14:00
    # UTC, before 15:00 (it read 23:00, which looked 8 hours late next to the due date).
    assert {s: r["timestamp"] for s, r in rows.items()} == {
        "kim": "2026-12-08 14:00:00", "lee": "2026-12-08 16:30:00", "park": "2026-12-08 15:30:00"}
    assert (rows["kim"]["late"], float(rows["kim"]["score"])) == ("False", 3.0)
    for late in ("lee", "park"):
        assert rows[late]["late"] == "True"
        assert (float(rows[late]["raw_score"]), float(rows[late]["late_submission_penalty"]), float(rows[late]["score"])) == (3, 0.5, 2.5)
    assert "늦은 제출(감점 0.5)" in status_line(course, "lee") and "늦은" not in status_line(course, "kim")
    grader(course, "feedback", LAB)
    md = feedback_md(course, "lee")
    assert "**2.5 / 5점** (원점수 3점, 늦은 제출 감점 0.5점)" in md
    assert "마감(2026-12-09 00:00)보다 1.5시간 늦게 제출했습니다. 늦은 제출 감점은 0.5점입니다." in md

    # A manual score given later raises the raw score; "zero" then takes everything of a late one.
    grader(course, "score", LAB, "lee", "essay_2", "2")
    settings(course, '[late]\npenalty = "zero"\ngrace_minutes = 60\n[due]\nlabm = "2026-12-09 00:00"\n')
    grader(course, "export")
    rows = grades_csv(course)
    assert (float(rows["lee"]["raw_score"]), float(rows["lee"]["score"]), rows["lee"]["late"]) == (5, 0, "True")
    assert (float(rows["park"]["score"]), rows["park"]["late"]) == (3, "False")  # within the hour of grace


def test_a_broken_settings_file_is_reported_in_korean(course):
    put(course, "kim", submission(course, CODE_RIGHT, ESSAY))
    grade(course)
    settings(course, '[late]\npenalty = "half"\n')
    bad = grader(course, "status", LAB, ok=False)
    assert bad.returncode == 1 and "[late] penalty는 none, zero, per_day 가운데 하나여야 합니다" in bad.stderr
    settings(course, '[due]\nlabm = "다음 주 월요일"\n')
    bad = grader(course, "export", ok=False)
    assert "[due] labm의 마감" in bad.stderr and "2026-12-08 23:59" in bad.stderr
    assert "Traceback" not in bad.stderr
    settings(course, "[late\n")
    bad = grader(course, "feedback", LAB, ok=False)
    assert "1번째 줄 6번째 글자 근처의 TOML 문법이 틀렸습니다" in bad.stderr


def test_a_moodle_zips_seoul_times_are_the_same_instant_in_formgrader_and_in_the_late_penalty(course, tmp_path):
    """A zip keeps each file's local wall-clock time, here Seoul's: 23:30 is on time for a due date
    of 00:00, 00:30 is half an hour late. nbgrader's gradebook (what formgrader shows and what its
    own `total_seconds_late` uses) took them as UTC, 9 hours later, and called both late."""
    import zipfile
    from datetime import datetime

    import nbformat

    from grader.config import nbgrader_api
    from grader.gradebook import opened

    settings(course, 'timezone = "Asia/Seoul"\n[late]\npenalty = "per_day"\npercent_per_day = 10\n[due]\nlabm = "2026-12-09 00:00"\n')
    data = nbformat.writes(submission(course, CODE_RIGHT, ESSAY)).encode()
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # Moodle's "download all submissions"
        zf.writestr(zipfile.ZipInfo("김민준_s1001_assignsubmission_file_/labm.ipynb", date_time=(2026, 12, 8, 23, 30, 0)), data)
        zf.writestr(zipfile.ZipInfo("이서연_s1002_assignsubmission_file_/labm.ipynb", date_time=(2026, 12, 9, 0, 30, 0)), data)
    assert grader(course, "collect", LAB, "--zip", str(archive)).returncode == 0
    grade(course)
    grader(course, "export")

    utc = {"s1001": datetime(2026, 12, 8, 14, 30), "s1002": datetime(2026, 12, 8, 15, 30)}
    with opened(course) as gb:
        stored = {s: (gb.find_submission(LAB, s).timestamp, gb.find_submission(LAB, s).total_seconds_late)
                  for s in utc}
    assert stored == {"s1001": (utc["s1001"], 0), "s1002": (utc["s1002"], 1800.0)}
    formgrader = nbgrader_api(course)
    shown = {s: formgrader.get_submission(LAB, s)["timestamp"] for s in utc}
    assert shown == {s: when.isoformat() for s, when in utc.items()}
    rows = grades_csv(course)
    assert {s: (r["timestamp"], r["late"], r["late_submission_penalty"]) for s, r in rows.items()} == {
        "s1001": ("2026-12-08 14:30:00", "False", "0.0"), "s1002": ("2026-12-08 15:30:00", "True", "0.5")}
    assert "늦은" not in status_line(course, "s1001") and "늦은 제출(감점 0.5)" in status_line(course, "s1002")


def test_a_time_is_read_in_the_zone_it_names_and_a_naive_one_in_the_courses():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    import pytest

    from grader.late import format_timestamp, parse_time

    seoul = ZoneInfo("Asia/Seoul")
    instant = datetime(2026, 12, 8, 14, 30, tzinfo=timezone.utc)
    for text in ("2026-12-08 14:30:00.000000 UTC", "2026-12-08 23:30:00 Asia/Seoul", "2026-12-08T23:30:00+09:00",
                 "2026-12-08 23:30:00"):
        assert parse_time(text, seoul) == instant, text
    assert parse_time("2026-12-08 23:30:00", timezone.utc) != instant  # naive: the course's zone decides
    assert format_timestamp(instant.astimezone(seoul)) == "2026-12-08 14:30:00.000000 UTC"
    with pytest.raises(ValueError, match="KST"):
        parse_time("2026-12-08 23:30:00 KST", seoul)  # an abbreviation is not guessed


def test_the_late_sentence_shows_the_due_date_in_the_courses_zone_like_the_submission_time():
    # A due date written in UTC read "마감(08:00)보다 0분 늦게" beside a submission shown at 17:00 KST.
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from grader.late import Policy, assess

    due = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
    policy = Policy(ZoneInfo("Asia/Seoul"), "per_day", 10.0, 0.0, {"lab00": due})
    seconds_late = assess(policy, "lab00", due + timedelta(seconds=40), 3, 7)
    assert seconds_late.describe() == "마감(2026-12-02 17:00)보다 1분 안쪽으로 늦게 제출했습니다. 늦은 제출 감점은 0.7점입니다."
    assert assess(policy, "lab00", due + timedelta(minutes=5), 3, 7).describe().startswith("마감(2026-12-02 17:00)보다 5분 늦게")
    assert assess(policy, "lab00", due - timedelta(seconds=1), 3, 7).describe() == ""
