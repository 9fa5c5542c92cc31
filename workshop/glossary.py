"""The course glossary (docs/glossary.yml): loading, the glossary page, tooltips, term check.

One YAML file drives the glossary page, the tooltips on every other page and the
terminology check in the tests, so Korean terms cannot drift between them.
Errors are written in Korean because course authors and instructors read them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

FIELDS = ("ko", "en", "note", "avoid", "aws_ko")
REQUIRED = ("ko", "en", "note")

# Blocks with this class get no tooltips: the glossary page wraps its entries in one.
NO_TOOLTIP_CLASS = "glossary"
_MARKUP = re.compile(r"`+|\*\*")  # inline code and bold marks in notes

# How a page names the word AWS's Korean console uses when the course uses another one.
# The terminology check skips text in this form, so `대기열` may appear there and nowhere else.
AWS_KO_LABEL = "AWS 한국어 콘솔 표기"
_AWS_KO_MENTION = re.compile(rf"{AWS_KO_LABEL}: ‘[^’\n]*’")


class GlossaryError(ValueError):
    """docs/glossary.yml cannot be used; the message says where and how to fix it."""


@dataclass(frozen=True)
class Term:
    """One glossary entry."""

    ko: str
    en: str
    note: str
    avoid: tuple[str, ...] = ()
    aws_ko: str | None = None  # the word AWS's Korean console shows, when it differs from `ko`

    @property
    def first_use(self) -> str:
        """The form a page uses the first time, e.g. `콜드 스타트(cold start)`."""
        return self.ko if self.ko == self.en else f"{self.ko}({self.en})"

    @property
    def anchor(self) -> str:
        """Stable ASCII id of the entry on the glossary page, e.g. `cold-start`."""
        return re.sub(r"[^a-z0-9]+", "-", self.en.casefold()).strip("-") or "term"

    @property
    def aws_ko_mention(self) -> str | None:
        """`AWS 한국어 콘솔 표기: ‘대기열’`, the one form in which an avoided console word may appear."""
        return f"{AWS_KO_LABEL}: ‘{self.aws_ko}’" if self.aws_ko else None

    @property
    def tooltip(self) -> str:
        """Plain text of the tooltip where the term is used (a title shows no Markdown)."""
        console = f" ({self.aws_ko_mention})" if self.aws_ko else ""
        return f"{self.first_use}: {_MARKUP.sub('', self.note)}{console}"


@dataclass(frozen=True)
class Violation:
    """An avoided variant found in a page."""

    source: str
    line: int
    variant: str
    preferred: str

    def __str__(self) -> str:
        return (
            f"{self.source} {self.line}번째 줄: 쓰지 않는 표기를 썼습니다: "
            f"'{self.variant}' → 권장 표기 '{self.preferred}'"
        )


# --- loading and validation -------------------------------------------------------------


def load_glossary(path: Path) -> list[Term]:
    """Read and validate the glossary file; raise GlossaryError (Korean) if it is wrong."""
    shown = _shown(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise GlossaryError(f"용어집 파일 {shown}을 읽지 못했습니다: {exc}") from None
    return parse_glossary(text, shown)


def parse_glossary(text: str, source: str = "docs/glossary.yml") -> list[Term]:
    """Validate glossary YAML text and return its terms in file order."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" {mark.line + 1}번째 줄" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise GlossaryError(
            f"{source}{where}: YAML 문법 오류입니다({problem}). "
            "들여쓰기와 콜론(:) 뒤의 공백, 따옴표 짝을 확인하십시오."
        ) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise GlossaryError(
            f"{source}의 맨 위는 '- ko: ...'로 시작하는 항목의 목록이어야 합니다."
        )
    lines = [node.start_mark.line + 1 for node in root.value]
    terms = [_term(item, source, i, line) for i, (item, line) in enumerate(zip(data, lines), start=1)]
    _check_unique(terms, source)
    return terms


def _term(item: object, source: str, index: int, line: int) -> Term:
    ko = item.get("ko") if isinstance(item, dict) else None
    named = f", ko: {ko.strip()}" if isinstance(ko, str) and ko.strip() else ""
    where = f"{source}의 {index}번째 항목({line}번째 줄{named})"
    if not isinstance(item, dict):
        raise GlossaryError(f"{where}: 항목은 ko, en, note를 가진 매핑이어야 합니다(지금 값: {item!r}).")
    unknown = [key for key in item if key not in FIELDS]
    if unknown:
        raise GlossaryError(
            f"{where}: 알 수 없는 필드가 있습니다: '{unknown[0]}'. 쓸 수 있는 필드는 {', '.join(FIELDS)}입니다."
        )
    values: dict[str, str] = {}
    for key in REQUIRED:
        if key not in item:
            raise GlossaryError(f"{where}: 필수 필드가 빠졌습니다: '{key}'. {_HINTS[key]}")
        value = item[key]
        if not isinstance(value, str) or not value.strip():
            raise GlossaryError(f"{where}: '{key}' 값이 비어 있거나 글자가 아닙니다(지금 값: {value!r}). {_HINTS[key]}")
        values[key] = " ".join(value.split())
    avoid = item.get("avoid") or []
    if not isinstance(avoid, list) or not all(isinstance(v, str) and v.strip() for v in avoid):
        raise GlossaryError(f"{where}: 'avoid'는 [콜드스타트, 냉시작]처럼 비어 있지 않은 표기의 목록이어야 합니다.")
    aws_ko = item.get("aws_ko")
    if aws_ko is not None and (not isinstance(aws_ko, str) or not aws_ko.strip() or "’" in aws_ko):
        raise GlossaryError(
            f"{where}: 'aws_ko' 값이 비어 있거나 글자가 아닙니다(지금 값: {aws_ko!r}). "
            "AWS 한국어 콘솔에 나오는 표기(예: 대기열)를 적거나 필드를 빼십시오."
        )
    return Term(avoid=tuple(v.strip() for v in avoid), aws_ko=aws_ko.strip() if aws_ko else None, **values)


_HINTS = {
    "ko": "본문에서 쓰는 한국어 표기를 적어야 합니다.",
    "en": "영어 원어를 적어야 합니다.",
    "note": "한두 문장 설명을 적어야 합니다.",
}


def _check_unique(terms: Sequence[Term], source: str) -> None:
    """Duplicates and self-defeating `avoid` entries would make pages or the check wrong."""
    seen: dict[str, Term] = {}
    for term in terms:
        for key in (term.ko.casefold(), "#" + term.anchor):
            if key in seen:
                raise GlossaryError(
                    f"{source}: '{term.first_use}' 항목이 '{seen[key].first_use}' 항목과 겹칩니다. "
                    "한 용어는 한 번만 적어야 합니다."
                )
            seen[key] = term
    for term in terms:
        for variant in term.avoid:
            for other in terms:
                if variant in other.first_use:
                    raise GlossaryError(
                        f"{source}: '{term.ko}' 항목의 avoid에 있는 '{variant}'가 권장 표기 "
                        f"'{other.first_use}' 안에 들어 있어, 올바르게 쓴 글도 용어 검사에 걸립니다. "
                        "avoid에서 빼십시오."
                    )


def _shown(path: Path) -> str:
    """Path as the user would type it: relative to the working directory when possible."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- the glossary page --------------------------------------------------------------------

GLOSSARY_INTRO = (
    "이 과정에서 쓰는 용어를 모았습니다. 본문은 용어를 한 페이지에서 처음 쓸 때 한국어 뒤 괄호에 "
    "영어 원어를 함께 적고, 그다음부터는 한국어만 씁니다. 다른 페이지에서 용어에 마우스를 올리면 "
    "여기 있는 설명이 툴팁으로 나옵니다. 검색창에서는 한국어와 영어 어느 쪽으로도 찾을 수 있습니다. "
    f"AWS 한국어 콘솔이 다른 낱말을 쓰는 용어에는 '{AWS_KO_LABEL}'를 함께 적었습니다."
)


def render_glossary_markdown(terms: Iterable[Term]) -> str:
    """Markdown body of the glossary page: one section per term, sorted by Korean form.

    A heading per term gives every entry its own search result and a stable link
    (`glossary.md#cold-start`); headings use the `ko(en)` form so both words are searchable.
    """
    parts = [GLOSSARY_INTRO, "", f'<div class="{NO_TOOLTIP_CLASS}" markdown>', ""]
    for term in sorted(terms, key=lambda t: t.ko.casefold()):
        parts += [f"## {term.first_use} {{ #{term.anchor} }}", "", term.note, ""]
        if term.aws_ko:
            parts += [f"{term.aws_ko_mention}. AWS 콘솔을 한국어로 쓰면 이 낱말이 보입니다.", ""]
    parts += ["</div>", ""]
    return "\n".join(parts)


# --- tooltips -----------------------------------------------------------------------------

# Where a tooltip would be wrong or unreadable: code, links, headings, existing abbr.
_SKIP_TAGS = {"code", "pre", "kbd", "samp", "script", "style", "a", "abbr", "summary",
              "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_CLASSES = {NO_TOOLTIP_CLASS, "admonition-title"}


def _loose(text: str) -> str:
    """Regex for `text` that accepts any run of whitespace (line breaks) between words."""
    return r"\s+".join(re.escape(word) for word in text.split())


def term_pattern(term: Term) -> str:
    """Regex source that finds a term in running Korean or English text.

    Korean particles attach to the word (`콜드 스타트는`), so a Korean form needs no
    boundary on its right, only on its left. `ko(en)` is matched as one unit; the
    English form alone also counts as a use. English is matched case-insensitively.
    """
    en = f"(?i:{_loose(term.en)})"
    ko_end = r"(?![A-Za-z0-9_])" if term.ko[-1].isascii() else ""
    return rf"(?<!\w){_loose(term.ko)}(?:\s*\(\s*{en}\s*\))?{ko_end}|(?<!\w){en}(?!\w)"


class GlossaryTooltips(Extension):
    """Markdown extension: wrap the first use of each term on a page in `<abbr title>`.

    Python-Markdown's `abbr` needs word boundaries on both sides, which Korean
    particles break, hence this small tree processor. Material's `content.tooltips`
    turns the `title` into a styled tooltip.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        super().__init__()
        self.terms = list(terms)
        ordered = sorted(self.terms, key=lambda t: len(t.ko), reverse=True)  # longest wins
        self.by_group = {f"t{i}": term for i, term in enumerate(ordered)}
        self.pattern = re.compile(
            "|".join(f"(?P<{name}>{term_pattern(term)})" for name, term in self.by_group.items())
        ) if ordered else None

    def extendMarkdown(self, md: Markdown) -> None:
        # After inline parsing (20) and attr_list (8), so text is final; before toc (5).
        md.treeprocessors.register(_TooltipProcessor(md, self), "glossary_tooltips", 6)


class _TooltipProcessor(Treeprocessor):
    def __init__(self, md: Markdown, ext: GlossaryTooltips) -> None:
        super().__init__(md)
        self.ext = ext
        self.used: set[str] = set()  # a new processor per page, so "first use" is per page

    def run(self, root: etree.Element) -> None:
        if self.ext.pattern is not None:
            self._walk(root)

    def _skip(self, el: etree.Element) -> bool:
        return el.tag in _SKIP_TAGS or bool(_SKIP_CLASSES & set(el.get("class", "").split()))

    def _walk(self, el: etree.Element) -> None:
        """Visit text in document order so the first use on the page is the one wrapped."""
        if self._skip(el):
            return
        el.text, wrapped = self._wrap(el.text)
        for i, abbr in enumerate(wrapped):
            el.insert(i, abbr)
        for child in list(el):
            self._walk(child)
            child.tail, wrapped = self._wrap(child.tail)
            at = list(el).index(child) + 1
            for i, abbr in enumerate(wrapped):
                el.insert(at + i, abbr)

    def _wrap(self, text: str | None) -> tuple[str | None, list[etree.Element]]:
        """Split `text` into the part before the first match and `abbr` elements with tails."""
        if not text or isinstance(text, AtomicString) or len(self.used) == len(self.ext.terms):
            return text, []
        head, abbrs, pos = text, [], 0
        while match := self.ext.pattern.search(text, pos):
            pos = match.end()
            group = match.lastgroup
            if group in self.used:
                continue
            self.used.add(group)
            term = self.ext.by_group[group]
            if abbrs:
                abbrs[-1].tail = text[last_end:match.start()]
            else:
                head = text[:match.start()]
            abbr = etree.Element("abbr", {"title": term.tooltip})
            abbr.text = AtomicString(match.group())
            abbrs.append(abbr)
            last_end = match.end()
        if abbrs:
            abbrs[-1].tail = text[last_end:]
        return head, abbrs


# --- terminology check --------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


# Prose rules that belong to no single term (docs/glossary.yml lists words, these list forms).
# Each is (pattern, what to write instead). Placeholders are checked in inline code too, because
# a message quoted on a page is read like prose.
PROSE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"진짜"), "실제(예: 실제 AWS, 원래 성적부)"),
    # `**동기 호출(synchronous invocation)** 합니다`: CommonMark does not close `**` between
    # punctuation and a Hangul letter, so the author inserted a space before the particle.
    (re.compile(r"\*\*[^*\n]*[)\]\"'.,!?]\*\* (?:을|를|이|가|은|는|의|에|와|과|도|로|으로|에서|합니다|입니다)(?=[\s.,)]|$)"),
     "영어를 굵은 글씨 밖으로 빼고 조사를 붙입니다: **동기 호출**(synchronous invocation)합니다"),
)
PLACEHOLDER_RULE = (
    re.compile(r"을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|\(으\)로"),
    "조사를 하나로 고릅니다(메시지는 labkit.korean.josa(word, \"을\"), 글은 변수 뒤에 명사를 붙임)",
)


def check_terminology(text: str, terms: Iterable[Term], source: str, *, style: bool = True) -> list[Violation]:
    """Find avoided variants in Markdown text, ignoring fenced code blocks and inline code.

    With `style`, also the prose rules (`진짜`, bold followed by a spaced particle, particle
    placeholders such as `을(를)`). An avoided word is allowed only in a term's
    `AWS 한국어 콘솔 표기: ‘…’` mention.
    """
    rules = [(variant, term.ko) for term in terms for variant in term.avoid]
    found: list[Violation] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opener = _FENCE.match(line)
        if fence is None and opener:
            fence = opener.group(1)
            continue
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence) \
                    and not line.strip()[len(opener.group(1)):].strip():
                fence = None
            continue
        line = _AWS_KO_MENTION.sub(lambda m: " " * len(m.group()), line)
        prose = _INLINE_CODE.sub(lambda m: " " * len(m.group()), line)
        for variant, preferred in rules:
            if variant in prose:
                found.append(Violation(source, number, variant, preferred))
        if style:
            checks = [(pattern, hint, prose) for pattern, hint in PROSE_RULES] + [(*PLACEHOLDER_RULE, line)]
            for pattern, hint, where in checks:
                found += [Violation(source, number, m.group(), hint) for m in pattern.finditer(where)]
    return found


def check_docs(docs_dir: Path, terms: Sequence[Term]) -> list[Violation]:
    """Run the terminology check over every Markdown page under `docs_dir`."""
    docs_dir = Path(docs_dir)
    found: list[Violation] = []
    for page in sorted(docs_dir.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        found += check_terminology(text, terms, _shown(page))
    return found


def check_notebooks(notebooks_dir: Path, terms: Sequence[Term], *, style: bool = True) -> list[Violation]:
    """Run the terminology check over the Markdown cells of every notebook under `notebooks_dir`.

    Lab notebooks are course text too; code cells are left alone like code blocks on pages.
    """
    import nbformat

    found: list[Violation] = []
    for path in sorted(Path(notebooks_dir).rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells, start=1):
            if cell.cell_type == "markdown":
                found += check_terminology(cell.source, terms, f"{_shown(path)} {index}번째 셀", style=style)
    return found
