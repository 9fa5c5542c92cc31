"""The particle helper picks the one right form after Hangul, digits and Latin words."""
import pytest

from labkit.korean import josa


@pytest.mark.parametrize("word, particle, expected", [
    ("함수", "을", "함수를"), ("함수", "을(를)", "함수를"), ("큐", "이(가)", "큐가"),
    ("버킷", "를", "버킷을"), ("테이블", "은", "테이블은"), ("스트림", "와", "스트림과"),
    ("파일", "으로", "파일로"), ("폴더", "(으)로", "폴더로"), ("버킷", "로", "버킷으로"),
    ("lab00", "을", "lab00을"), ("lab01", "이", "lab01이"), ("lab02", "이", "lab02가"),
    ("1", "으로", "1로"), ("3", "으로", "3으로"), ("10", "을", "10을"),
    ("SQS", "을", "SQS를"), ("URL", "을", "URL을"), ("ARN", "이", "ARN이"), ("IAM", "은", "IAM은"),
    ("Lambda", "가", "Lambda가"), ("stream", "을", "stream을"), ("'큐'", "을", "'큐'를"),
    ("`lab00.ipynb`", "이", "`lab00.ipynb`가"), ("김민준", "이", "김민준이"), ("이서연", "이", "이서연이"),
])
def test_josa_picks_the_form_the_last_sound_takes(word, particle, expected):
    assert josa(word, particle) == expected


def test_josa_refuses_an_unknown_particle_in_korean():
    with pytest.raises(ValueError, match="모르는 조사"):
        josa("함수", "의")


def test_no_message_in_the_code_writes_a_particle_placeholder():
    """Messages a learner or instructor reads pick one particle with josa(), never 을(를)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    placeholder = re.compile(r"[을이은와]\((를|가|는|과)\)|\(으\)로")
    explained_here = {root / "labkit" / "korean.py", root / "workshop" / "glossary.py"}
    files = [p for d in ("labkit", "grader", "workshop") for p in (root / d).rglob("*.py") if p not in explained_here]
    files += [root / "course", *(root / "grader" / "templates").glob("*")]
    hits = [f"{p.relative_to(root)}:{n}: {line.strip()}" for p in files if p.is_file()
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if placeholder.search(line)]
    assert not hits, "조사 자리표시(을(를) 등)가 남은 메시지:\n" + "\n".join(hits)


@pytest.mark.parametrize("word,expected", [
    ("http", "http를"),                              # no vowel: spelt out, 에이치티티피
    ("osls", "osls를"),
    ("${aws:accountId}", "${aws:accountId}를"),      # camelCase: the last part is said last, 아이디
    ("DynamoDB", "DynamoDB를"),
    ("serverless-offline", "serverless-offline을"),  # silent e: 오프라인
    ("schedule", "schedule을"),                      # 스케줄
    ("timeout", "timeout을"),
    ("httpApi", "httpApi를"),
])
def test_josa_reads_framework_names_as_a_korean_speaker_says_them(word, expected):
    assert josa(word, "을") == expected
