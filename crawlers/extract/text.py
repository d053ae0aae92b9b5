"""Shared text helpers for fact extraction: the Fact type, normalising, sentences, numbers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

QUOTE_MAX = 300

# Words after which a full stop does not end a sentence (lower case, without the stop).
_ABBREVIATIONS = frozenset(
    "z.b d.h u.a v.a ca max min mind bzw inkl ggf evtl nr kat abs art i.d.r gem vgl mio mrd tsd dr st "
    "etc e.v o.ä z.t u.u s ff e.g i.e approx no vs i.v.m sog zzgl u.ä".split()
)
_MONTH_WORDS = (
    "januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember"
)
_SPLIT_RE = re.compile(r"(?<=[.!?])[\"'”“’)]?\s+(?=[\"'„“(]?[A-ZÄÖÜ0-9])")
_LAST_WORD_RE = re.compile(r"(\S+)[.!?][\"'”“’)]?$")

WORD_NUMBERS = {
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "einem": 1,
    "einer": 1,
    "eins": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwölf": 12,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a": 1,
    "an": 1,
}
WORD_NUMBER_RE = "|".join(sorted((w for w in WORD_NUMBERS if len(w) > 2), key=len, reverse=True))

# German thousands "." or space, English ",", decimal "," (German) or "." (English, 1-2 digits).
NUMBER_RE = r"\d{1,3}(?:[.,\u202f ]\d{3})+(?:,\d{1,2}(?!\d))?(?![\d])|\d+(?:[.,]\d+)?"
_GROUPED_RE = re.compile(r"(\d{1,3})((?:([.,\u202f ])\d{3})(?:\3\d{3})*)(?:([.,])(\d{1,2}))?")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One extracted value and the sentence (trimmed, at most 300 characters) it came from."""

    value: T
    quote: str


def normalise(text: str) -> str:
    """Entities decoded, no-break and soft hyphens removed, markdown emphasis dropped, lines joined."""
    text = html.unescape(html.unescape(text or ""))
    text = text.replace("\xa0", " ").replace("\xad", "").replace("**", "").replace("\u2009", " ")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    # A line break ends a sentence unless the text clearly runs on (a lower-case word, comma or hyphen
    # before it, a lower-case word after it); a blank line always ends one, so crawlers should put one
    # between block elements (headings, list items, paragraphs).
    text = re.sub(r"(?<=[a-zäöüß,\-])[ ]*\n[ ]*(?=\S)|[ ]*\n[ ]*(?=[a-zäöüß(])", " ", text)
    text = re.sub(r"[ ]*\n[ \n]*", "\n", text)
    return text.strip()


def _ends_sentence(chunk: str, following: str) -> bool:
    match = _LAST_WORD_RE.search(chunk)
    if not match:
        return True
    word = match.group(1).lower().lstrip("('\"„")
    if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return False
    if word.isdigit():  # "30. September" is a date; "2017. Die" ends a sentence
        return len(word) == 4 and not re.match(_MONTH_WORDS, following, re.I)
    return True


def sentences(text: str) -> list[str]:
    """Sentences of normalised text; line breaks always separate."""
    out: list[str] = []
    for line in normalise(text).split("\n"):
        start = 0
        for match in _SPLIT_RE.finditer(line):
            if _ends_sentence(line[start : match.start()], line[match.end() :]):
                out.append(line[start : match.start()].strip())
                start = match.end()
        out.append(line[start:].strip())
    return [s for s in out if s]


def clauses(sentence: str) -> list[str]:
    """Parts of a sentence separated by semicolons (fact sheets and call texts list terms so)."""
    return [c for c in (part.strip() for part in sentence.split(";")) if c]


def with_previous(text: str) -> Iterator[tuple[str, str]]:
    """Each sentence together with the one before it (empty for the first)."""
    previous = ""
    for sentence in sentences(text):
        yield previous, sentence
        previous = sentence


def quote(sentence: str, start: int = 0, end: int | None = None) -> str:
    """The sentence, trimmed to at most 300 characters around the span that produced a value."""
    sentence = sentence.strip(" '\"„“”")
    if len(sentence) <= QUOTE_MAX:
        return sentence
    end = start if end is None else end
    centre = (start + end) // 2
    left = max(0, min(centre - QUOTE_MAX // 2, len(sentence) - QUOTE_MAX + 2))
    return ("…" + sentence[left + 1 : left + QUOTE_MAX - 1] + "…").strip()


def parse_number(raw: str) -> float | None:
    """'1.000' → 1000, '2,5' → 2.5, '8,455' → 8455, '15.000,00' → 15000, '1.5' → 1.5."""
    raw = raw.strip()
    grouped = _GROUPED_RE.fullmatch(raw)
    if grouped and grouped.group(4) != grouped.group(3):
        whole = grouped.group(1) + re.sub(r"\D", "", grouped.group(2))
        return float(f"{whole}.{grouped.group(5) or 0}")
    if re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
        return float(raw.replace(",", "."))
    return None


def word_or_number(raw: str) -> int | None:
    """'24' → 24, 'drei' → 3, 'zwölf' → 12."""
    raw = raw.strip().lower()
    if raw.isdigit():
        return int(raw)
    return WORD_NUMBERS.get(raw)
