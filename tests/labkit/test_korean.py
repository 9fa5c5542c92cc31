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
