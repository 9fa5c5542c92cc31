"""Korean particles (조사) after a word that is only known at run time.

Messages built from a variable used to write `을(를)` or `이(가)`; a learner should read the one
right form. The choice depends on whether the word's last sound has a final consonant (받침),
and for (으)로 whether that consonant is ㄹ. Hangul syllables and digits are exact; for Latin
letters we read how a Korean speaker says the word (acronyms letter by letter: SQS 에스큐에스,
URL 유알엘; other words by their last letter: Lambda 람다, Stream 스트림), which is a heuristic.

    >>> josa("lab00", "을")      # 영
    'lab00을'
    >>> josa("함수", "이")
    '함수가'
    >>> josa("파일", "으로")     # ㄹ 받침 takes 로
    '파일로'
"""
from __future__ import annotations

import re

__all__ = ["josa", "final_consonant"]

# Each particle, as (after a final consonant, after a vowel). Any spelling of a pair finds it.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("으로", "로"),
    ("이라고", "라고"), ("이나", "나"), ("이다", "다"), ("이에요", "예요"), ("아", "야"),
)
_LOOKUP: dict[str, tuple[str, str]] = {}
for _pair in _PAIRS:
    with_c, without_c = _pair
    for key in (with_c, without_c, f"{with_c}({without_c})", f"{without_c}({with_c})",
                f"{with_c}/{without_c}", f"({with_c[0]}){without_c}" if with_c.startswith("으") else ""):
        if key:
            _LOOKUP[key] = _pair

_RIEUL = 8  # index of ㄹ among the 28 final-consonant slots (0 = none)
# How each digit is read: 영 일 이 삼 사 오 육 칠 팔 구 -> final consonant index.
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# Letter names as read in an acronym: 엘 엠 엔 알 end in a consonant, the others in a vowel.
_LETTER_FINAL = {"L": 8, "M": 16, "N": 4, "R": 8}
# Last letters of an ordinary English word that a Korean reading ends with a consonant:
# -m 스트림, -n 버전, -l 테이블... -ng 스트링, -k 태스크 (no), so only the sonorants and -t/-p/-b/-d/-g.
_WORD_FINAL = {"m": 16, "n": 4, "l": 8, "g": 21, "b": 17, "p": 17, "t": 7, "d": 7}
# File extensions as they are read (파이, 아이파이엔비, 제이슨, 야믈, 집...).
_EXTENSION_FINAL = {"py": 0, "ipynb": 0, "md": 0, "json": 4, "yml": 8, "yaml": 8, "zip": 17,
                    "csv": 0, "txt": 0, "html": 8, "toml": 8, "sh": 0, "db": 0, "sqlite": 0}
_SKIP = " \t\n'\"`’”)]}>»」』.,:;!?*_"


def final_consonant(word: str) -> int:
    """Index (1-27) of the final consonant of `word`'s last sound, or 0 when it ends in a vowel."""
    text = word.rstrip(_SKIP)
    if not text:
        return 0
    last = text[-1]
    code = ord(last) - 0xAC00
    if 0 <= code < 11172:
        return code % 28
    if last in _DIGIT_FINAL:
        return _DIGIT_FINAL[last]
    if last.isascii() and last.isalpha():
        name = text.split("/")[-1]
        tail = name.rsplit(".", 1)[-1]
        if "." in name and tail.lower() in _EXTENSION_FINAL:
            return _EXTENSION_FINAL[tail.lower()]
        letters = "".join(ch for ch in tail if ch.isascii() and ch.isalpha())
        # The last part of a camelCase or kebab-case name is what is said last (accountId 아이디).
        parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", tail.split("-")[-1]) or [letters]
        word = parts[-1]
        lower = word.lower()
        if word.isupper() or len(word) == 1 or word == "Id" or not set(lower) & set("aeiouy"):
            return _LETTER_FINAL.get(last.upper(), 0)  # spelt out: SQS, http 에이치티티피, Id 아이디
        if lower.endswith("ng"):
            return 21
        if len(lower) > 2 and lower[-1] == "e" and lower[-2] in "nlm":
            return _WORD_FINAL[lower[-2]]  # a silent e: offline 오프라인, schedule 스케줄, name 네임
        return _WORD_FINAL.get(last.lower(), 0)
    return 0


def josa(word: object, particle: str) -> str:
    """`word` followed by the form of `particle` its last sound takes (을/를, 이/가, (으)로, ...)."""
    text = str(word)
    try:
        with_c, without_c = _LOOKUP[particle]
    except KeyError:
        raise ValueError(f"모르는 조사입니다: {particle!r} (지원: {', '.join(p for p, _ in _PAIRS)})") from None
    final = final_consonant(text)
    if with_c == "으로":
        return text + ("으로" if final and final != _RIEUL else "로")
    return text + (with_c if final else without_c)
