"""Funding rate, administration flat rate and financing type from German and English programme text."""

from __future__ import annotations

import re

from crawlers.extract.text import Fact, clauses, quote, sentences

_PERCENT_RE = re.compile(
    r"(?P<num>\d{1,3}(?:[.,]\d+)?|zehn|zwanzig|fünfzig)\s?(?:%|Prozent\b|v\.\s?H\.|percent\b|per cent\b"
    r"|-?prozentig\w*)",
    re.I,
)
# "90/10 rule", "90/10 Anteilfinanzierung": the funder's and the applicant's share.
_SPLIT_SHARE_RE = re.compile(r"\b(?P<a>\d{2})/(?P<b>\d{2})\s+(?:rule|Regel|Anteils?finanzierung)", re.I)
_PERCENT_WORDS = {"zehn": 10.0, "zwanzig": 20.0, "fünfzig": 50.0}

_OWN_SHARE_RE = re.compile(
    r"Eigenanteil|Eigenmittel|Eigenfinanzierung|Eigenleistung|Eigen-|eigenen Mitteln|vom Antragss?teller"
    r"|die übrigen|own share|own contribution",
    re.I,
)
_RATE_CUE_RE = re.compile(
    r"\b(?:der|aller|des|of(?: the)?)\s+(?:[\w-]+\s+){0,2}[\w-]*(?:[Kk]osten|[Aa]usgaben|costs?\b)"
    r"|Förderquote|Fördersatz|[Kk]o-?[Ff]inanzierung\w*|co-?financ\w*|funding rate|Zuschu(?:ss|ß|sses)"
    r"|gefördert|fördert|finanziert|bezuschusst|übernimmt|Anteils?finanzierung|Fehlbe\w*finanzierung"
    r"|Förderung",
    re.I,
)
_NOT_A_RATE_RE = re.compile(
    r"\bum\s*$|Abschlag\w*|Verwaltungs\w*pauschale|Verwaltungskosten|indirect|overhead"
    r"|[+±]-?\s*$|\bRest\s*\(\s*$",
    re.I,
)
_FULL_FUNDING_RE = re.compile(r"Vollfinanzierung|full funding|100\s?% funding", re.I)

_ADMIN_RE = re.compile(
    r"(?:Verwaltungskostenpauschale|Verwaltungspauschale|Verwaltungskosten|indirect costs?|overheads?)"
    r"\D{0,40}?(?P<num>\d{1,2}(?:[.,]\d+)?)\s?(?:%|Prozent\b|percent\b)",
    re.I,
)

_FINANCING_TYPES = (
    (
        "Anteilsfinanzierung",
        re.compile(
            r"Anteils?finanzierung|(?:fördert|gefördert|finanziert)\w*(?:\s+\w+){0,3}\s+anteilig", re.I
        ),
    ),
    ("Fehlbedarfsfinanzierung", re.compile(r"Fehlbe(?:darf|trag)s?\w*", re.I)),
    ("Festbetrag", re.compile(r"Festbetr(?:ag|äge)\w*|fixed amounts?\b", re.I)),
    ("Vollfinanzierung", _FULL_FUNDING_RE),
    ("Pauschale", re.compile(r"[\wäöüß]*[Pp]auschale\w*|\blump[ -]sums?\b", re.I)),
)


def _percent_value(match: re.Match[str]) -> float | None:
    raw = match.group("num").lower()
    value = _PERCENT_WORDS.get(raw) or float(raw.replace(",", "."))
    return value / 100 if 0 < value <= 100 else None


def _rate_in_clause(clause: str) -> tuple[float, int, int] | None:
    """The first funding rate a clause states, directly or as 1 - the applicant's own share."""
    split = _SPLIT_SHARE_RE.search(clause)
    if split and int(split.group("a")) + int(split.group("b")) == 100:
        return int(split.group("a")) / 100, split.start(), split.end()
    for match in _PERCENT_RE.finditer(clause):
        value = _percent_value(match)
        if value is None or _NOT_A_RATE_RE.search(clause[max(0, match.start() - 40) : match.start()]):
            continue
        if _OWN_SHARE_RE.search(_own_share_window(clause, match)):
            return (round(1 - value, 4), match.start(), match.end()) if value < 1 else None
        if _RATE_CUE_RE.search(clause):
            return value, match.start(), match.end()
    return None


def _own_share_window(clause: str, match: re.Match[str]) -> str:
    """The words around a percentage that say whose share it is, within its comma or bracket."""
    before = re.split(r"[,(]", clause[max(0, match.start() - 80) : match.start()])[-1]
    after = re.split(r"[,()]", clause[match.end() :], maxsplit=1)[0]
    return before + " " + after


def extract_funding_rate(text: str) -> Fact[float] | None:
    """The first general funding rate of a text as a fraction in (0, 1]; 'Vollfinanzierung' is 1.0."""
    for sentence in sentences(text):
        offset = 0
        for clause in clauses(sentence):
            offset = sentence.find(clause, offset)
            found = _rate_in_clause(clause)
            full = _FULL_FUNDING_RE.search(clause)
            if full and (found is None or full.start() < found[1]):
                return Fact(1.0, quote(sentence, offset + full.start(), offset + full.end()))
            if found:
                return Fact(found[0], quote(sentence, offset + found[1], offset + found[2]))
    return None


def extract_admin_flat_rate(text: str) -> Fact[float] | None:
    """A flat rate for administration costs on top of the grant ('Verwaltungskostenpauschale 7 %')."""
    for sentence in sentences(text):
        match = _ADMIN_RE.search(sentence)
        if match:
            value = float(match.group("num").replace(",", ".")) / 100
            if 0 < value <= 1:
                return Fact(value, quote(sentence, match.start(), match.end()))
    return None


def extract_financing_type(text: str) -> Fact[str] | None:
    """The first financing type named in a text (Anteils-, Fehlbedarfs-, Festbetrag-, Vollfinanzierung,
    Pauschale); an administration flat rate is not a lump-sum grant."""
    for sentence in sentences(text):
        found = [
            (match.start(), match.end(), name)
            for name, pattern in _FINANCING_TYPES
            for match in pattern.finditer(sentence)
            if not match.group(0).lower().startswith("verwaltung")
        ]
        if found:
            start, end, name = min(found)
            return Fact(name, quote(sentence, start, end))
    return None
