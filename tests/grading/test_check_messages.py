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
