"""The room's roster: the grader's CSV format, ids that JupyterHub and the system can use, Korean errors naming the line."""
from __future__ import annotations

import pytest

from labkit.korean import josa

from workshop.hub.accounts import check_accounts
from workshop.hub.roster import HubRosterError, Learner, read_learners, username_problem


def roster(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "명단.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_ids_become_accounts_and_korean_names_display_names(tmp_path):
    path = roster(tmp_path, "학번,이름\n2024001,김민준\nkim.s,남궁민수\n\nlee_01,Minjun Lee\n")
    learners = read_learners(path)
    assert [(p.id, p.name, p.line) for p in learners] == [
        ("2024001", "김민준", 2), ("kim.s", "남궁민수", 3), ("lee_01", "Minjun Lee", 5)]


def test_excel_cp949_roster_is_read(tmp_path):
    path = roster(tmp_path, "id,이름\ns1,홍길동\n", encoding="cp949")
    assert read_learners(path) == [Learner("s1", "홍길동", 2)]


def test_duplicate_and_invalid_ids_are_refused_naming_every_line(tmp_path):
    path = roster(tmp_path, "id,이름\nkim,김민준\n김민준,김민준\nKim02,김영희\nkim,김철수\n-x,이서연\n"
                            "a234567890123456789012345678901234,박서준\n")
    with pytest.raises(HubRosterError) as err:
        read_learners(path)
    text = str(err.value)
    assert "고친 뒤 다시 실행하십시오" in text
    assert "3번째 줄: ID 김민준은 계정 이름으로 쓸 수 없습니다" in text and "이름 열에" in text
    assert "4번째 줄: ID Kim02에 대문자가 있습니다" in text and "'kim02'처럼 소문자로" in text
    assert "5번째 줄: kim은 이미 앞 줄에 있습니다" in text
    assert "6번째 줄: ID -x는 계정 이름으로 쓸 수 없습니다" in text
    assert "7번째 줄: ID a234567890123456789012345678901234가 32자보다 깁니다" in text
    assert "2번째 줄" not in text  # the good line is not blamed


def test_the_instructors_login_is_not_a_learner(tmp_path):
    path = roster(tmp_path, "id,이름\ninstructor,강사\n")
    with pytest.raises(HubRosterError, match="2번째 줄: ID instructor는 강사의 로그인 이름과 같습니다"):
        read_learners(path, reserved={"instructor"})
    assert read_learners(path, reserved={"teacher"})[0].id == "instructor"


def test_an_empty_or_headless_roster_says_what_a_roster_looks_like(tmp_path):
    with pytest.raises(HubRosterError, match="학습자가 한 명도 없습니다"):
        read_learners(roster(tmp_path, "id,이름\n"))
    with pytest.raises(HubRosterError, match="학생 ID 열과 이름 열의 제목"):
        read_learners(roster(tmp_path, "2024001,김민준\n"))
    with pytest.raises(HubRosterError, match="찾을 수 없습니다"):
        read_learners(tmp_path / "없는.csv")


@pytest.mark.parametrize("user", ["2024001", "kim", "kim.minjun", "_svc", "a-b_c.d"])
def test_names_jupyterhub_and_useradd_accept(user):
    assert username_problem(user) is None


@pytest.mark.parametrize("user", ["Kim", "김민준", "kim minjun", ".hidden", "-opt", "a" * 33, "kim/lee", ""])
def test_names_they_do_not(user):
    assert username_problem(user)


def test_an_id_that_is_an_account_of_this_machine_is_never_taken_over():
    """root (and a colleague's account) exist and were not made by the hub: refused, naming the line."""
    with pytest.raises(HubRosterError) as err:
        check_accounts([Learner("root", "관리자", 4), Learner("nosuchlearner-x1", "김민준", 5)])
    assert f"4번째 줄: ID {josa('root', '은')} 이 컴퓨터에 이미 있는 계정입니다 (uid 0)" in str(err.value)
    assert "5번째 줄" not in str(err.value)
