"""What of a check's message reaches the feedback: the course's words, never values the student made."""
from grader.check_messages import failure_text

SOURCE = '''check("3-1 목록", keys == ["a"], f"list_keys의 결과가 {keys!r}입니다. 길이는 {len(keys)}입니다.")
check("2-1 읽기", isinstance(text, str), f"read_text는 str을 돌려주어야 하는데 {type(text).__name__}을 돌려주었습니다.")
'''


def test_a_number_the_students_code_made_never_reaches_the_feedback():
    # 3668 = ord("메") - 0xAC00: a hidden input smuggled out through a visible check's message.
    shown = failure_text("CheckFailed", "[3-1 목록] list_keys의 결과가 3668입니다. 길이는 2입니다.", SOURCE, hidden=False)
    assert "3668" not in shown and "2입니다" not in shown
    assert shown.startswith("list_keys의 결과가 …입니다."), shown


def test_a_visible_check_keeps_a_builtin_type_name_and_a_hidden_one_keeps_nothing():
    text = "[2-1 읽기] read_text는 str을 돌려주어야 하는데 bytes을 돌려주었습니다."
    assert "하는데 bytes을 돌려주었습니다" in failure_text("CheckFailed", text, SOURCE, hidden=False)
    assert "bytes" not in failure_text("CheckFailed", text, SOURCE, hidden=True)


# lab01 and lab02 end a check's message with why(): " (함수의 마지막 오류: <the function's last error>)".
WHY_SOURCE = '''check("2-3 지연 초기화", pinged == {"ok": True},
      f"ping 이벤트에는 {{'ok': True}}를 돌려줘야 합니다.{why('lab02-lazy-counted')}")
'''
PING = "[2-3 지연 초기화] ping 이벤트에는 {'ok': True}를 돌려줘야 합니다."


def test_the_functions_last_error_is_named_in_the_courses_words():
    """A handler that loops or is not solved yet: the feedback says so, not only "return {'ok': True}"."""
    for hidden in (False, True):
        timed_out = failure_text("CheckFailed", PING + " (함수의 마지막 오류: Task timed out after 3.00 seconds)", WHY_SOURCE, hidden)
        assert timed_out == "ping 이벤트에는 {'ok': True}를 돌려줘야 합니다. (함수가 시간 제한을 넘겨 끝났습니다.)", timed_out
        unsolved = failure_text("CheckFailed", PING + " (함수의 마지막 오류: NotImplementedError: 아직 풀지 않았습니다)", WHY_SOURCE, hidden)
        assert unsolved.endswith("(함수의 핸들러를 아직 풀지 않았습니다: raise NotImplementedError 줄을 지우고 코드를 작성하십시오.)"), unsolved
        known = failure_text("CheckFailed", PING + " (함수의 마지막 오류: KeyError: 'SECRET_ID')", WHY_SOURCE, hidden)
        assert known.endswith("(함수가 KeyError 오류로 끝났습니다.)") and "SECRET_ID" not in known, known


def test_a_last_error_the_submission_wrote_is_still_left_out():
    for evil in ("Task timed out after 3.00 seconds; hidden=3668", "Hidden_Test_Source: assert x == 3668",
                 "KeyError: 'secret' ) (함수의 마지막 오류: Task timed out after 1 seconds"):
        shown = failure_text("CheckFailed", PING + f" (함수의 마지막 오류: {evil})", WHY_SOURCE, hidden=True)
        assert "3668" not in shown and "Hidden" not in shown and "secret" not in shown, shown
        assert shown.startswith("ping 이벤트에는 {'ok': True}를 돌려줘야 합니다."), shown
