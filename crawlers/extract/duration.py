"""Maximum project duration in months ('maximale Laufzeit von bis zu 24 Monaten', 'up to 24 months')."""

from __future__ import annotations

import re

from crawlers.extract.text import WORD_NUMBER_RE, Fact, clauses, quote, sentences, word_or_number

_N = rf"(?:\d{{1,3}}|{WORD_NUMBER_RE})"
_SPAN_RE = re.compile(
    rf"(?<![\w.,/])(?P<low>{_N})(?:\s*(?:-|–|bis|to)\s*(?P<high>{_N}))?\s*-?\s*"
    rf"(?:(?P<months>Monaten?\b|Monate\b|months?\b|-?monatig\w*)|(?P<years>Jahren?\b|Jahre\b|years?\b|-?jährig\w*))",
    re.I,
)
_CAP_BEFORE_RE = re.compile(
    r"maximal\w*|\bmax\.|bis zu|\bbis\b|höchstens|längstens|up to|maximum|insgesamt"
    r"|\bat most\b|\bhöchstdauer",
    re.I,
)
_CAP_AFTER_RE = re.compile(r"^\W{0,3}(?:\w+\s+){0,2}?(?:nicht überschreiten|begrenzt|not exceed)", re.I)
_DURATION_WORD_RE = re.compile(r"Laufzeit|Dauer|Projektdauer|Förderdauer|duration|\blast\w*|Zeitraum", re.I)
# Spans that are not how long a project may run: lead times, minimums, ages, elapsed time.
_NOT_BEFORE_RE = re.compile(
    r"(?:mindestens|mind\.|at least|minimum|mehr als|more than|über|nach Ablauf von|innerhalb|seit|since|\bab"
    r"|Alter|ages?|aged|Teilnehmende\w*|Jugendliche\w*|\bvon\s+\d+\s+auf|älter als|jünger als|older than"
    r"|younger than)\s*$",
    re.I,
)
# Words that make "12 bis unter 27 Jahre" an age range.
_AGE_RE = re.compile(
    r"Teilnehm|Alter\b|\bages?\b|\baged\b|Jugendliche|Kinder|young people|Lebensjahr|\bunter\s*$", re.I
)
_NOT_AFTER_RE = re.compile(
    r"^\s*(?:vor|nach|before|after|prior|verkürzt|verlängert|Vorlauf|alt|old|of age)\b", re.I
)


def _months(match: re.Match[str]) -> int | None:
    low, high = word_or_number(match.group("low")), word_or_number(match.group("high") or "")
    value = high if high is not None else low
    if value is None or value <= 0:
        return None
    return value if match.group("months") else value * 12


def _phrase(clause: str, start: int) -> str:
    head = clause[:start]
    return head[max(head.rfind(","), head.rfind("("), head.rfind(":")) + 1 :]


def _spans(clause: str) -> list[tuple[int, bool, int, int]]:
    """(months, capped, start, end) for each duration in a clause; years need a duration word or a cap."""
    found = []
    for match in _SPAN_RE.finditer(clause):
        phrase, after = _phrase(clause, match.start()), clause[match.end() :]
        if _NOT_BEFORE_RE.search(clause[: match.start()]) or _NOT_AFTER_RE.match(after):
            continue
        months = _months(match)
        capped = bool(_CAP_BEFORE_RE.search(phrase) or _CAP_AFTER_RE.match(after) or match.group("high"))
        if match.group("years") and _AGE_RE.search(phrase):
            continue
        if months and (match.group("months") or capped or _DURATION_WORD_RE.search(phrase)):
            found.append((months, capped, match.start(), match.end()))
    return found


def extract_duration(text: str) -> Fact[int] | None:
    """The longest maximum duration in months; plain durations count only when no cap is stated."""
    capped: list[Fact[int]] = []
    plain: list[Fact[int]] = []
    for sentence in sentences(text):
        offset = 0
        for clause in clauses(sentence):
            offset = sentence.find(clause, offset)
            for months, is_capped, start, end in _spans(clause):
                fact = Fact(months, quote(sentence, offset + start, offset + end))
                (capped if is_capped else plain).append(fact)
    pool = capped or plain
    return max(pool, key=lambda f: f.value) if pool else None
