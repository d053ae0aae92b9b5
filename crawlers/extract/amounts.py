"""Grant amounts per project (min and max in EUR) from German and English programme text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawlers.extract.text import NUMBER_RE, Fact, clauses, parse_number, quote, sentences

_MULTIPLIERS = {
    "mio": 1e6,
    "million": 1e6,
    "millionen": 1e6,
    "m": 1e6,
    "mrd": 1e9,
    "milliarden": 1e9,
    "tsd": 1e3,
    "tausend": 1e3,
    "k": 1e3,
}
_MULT = r"(?:Mio\.?|Millionen|Million|Mrd\.?|Milliarden|Tsd\.?|Tausend|M\b|k\b)"
_CUR = r"(?:€|EUR\b|Euro\b)"
_MONEY_RE = re.compile(
    rf"(?P<pre>{_CUR}\s?)?(?P<num>{NUMBER_RE})(?:\s?(?P<mult>{_MULT}))?"
    rf"(?P<post>(?:[.,]-{{1,2}})?\s?{_CUR})?"
)
_OTHER_CURRENCY_RE = re.compile(r"^\s?(?:PLN|CZK|Kč|zł|CHF|DKK|SEK|USD|\$|£)")
_PAIR_RE = re.compile(r"^\s*(?P<conn>-|–|—|bis(?: zu)?|und|to|or|oder|bzw\.|/)\s*$")

_MAX_RE = re.compile(
    r"bis\s+zu|\bbis\b|maximal|\bmax\.?(?=\s)|höchstens|Höchst\w*|höchst\w*|up to|maximum|nicht mehr als"
    r"|not more than|at most|Obergrenze|Förderhöchst\w*",
    re.I,
)
_MIN_RE = re.compile(
    r"\bab\s*(?:€|EUR)?\s*$|zwischen\s*$|mindestens|\bmind\.|Mindest\w*|\bmin\.|at least|minimum|\bfrom\b",
    re.I,
)
# Amounts that are budgets, costs, sources of money or examples, not a grant per project.
_EXCLUDE_BEFORE_RE = re.compile(
    r"volumen|budget|haushalt|umsatz|[Gg]esamtkosten|[Pp]rojektkosten|Projektsumme|Gesamtsumme|Gesamtförder"
    r"|\bPool\b|insgesamt|in total|\btotal\b|Ausgaben|Kosten\b|\bcosts?\b|Einwohner|inhabitants"
    r"|Stiftungsmittel|Drittmittel|Eigenmittel|Landesmittel|Umsatz|\bstehen\b|\bstanden\b|zur Verfügung"
    r"|\bavailable\b|[Dd]urchschnitt\w*|\baverage\b",
    re.I,
)
_EXCLUDE_AFTER_RE = re.compile(
    r"^\s?\(?[\w-]*(?:[Kk]osten|[Bb]udget|[Vv]olumen|[Aa]usgaben|Projektsumme)|^\s?(?:Ausgaben|costs?|budget)\b"
)
_UNIT_AFTER_RE = re.compile(
    r"^\s?(?:pro|je|per)\s+(?:Person|Teilnehm\w*|TN\b|Tag|Programmtag|Nacht|km|Kilometer|participant|"
    r"day|person|night|Monat|month)|^\s?/\s?(?:km|Tag|Person|day)"
)
_UNIT_ANYWHERE_RE = re.compile(
    r"\b(?:pro|je|per)\s+(?:Person|Teilnehm\w*|TN|Tag|Programmtag|km|day|participant)|\w/\s?(?:Tag|km|day)\b"
)
_EXAMPLE_RE = re.compile(r"Beispiel|for example|(?:z\.\s?B\.|e\.\s?g\.)\s*[\d€]")
_GRANT_BEFORE_RE = re.compile(
    r"Zuschu(?:ss|ß|sse)|Förder(?:ung|summe|betrag|höhe)|Zuwendung|Prämie|Antragshöhe"
    r"|grant|lump sum",
    re.I,
)
_GRANT_AFTER_RE = re.compile(r"^\s?(?:grants?|Zuschu\w*)\b")
_BOUNDARY_RE = re.compile(r"[,;:]")


@dataclass
class _Money:
    value: float
    start: int
    end: int
    has_mult: bool
    has_currency: bool


def _money_mentions(clause: str) -> list[_Money]:
    """Numbers with a euro sign or word next to them; 'X bis Y Euro' gives X its currency and unit."""
    found: list[_Money] = []
    for m in _MONEY_RE.finditer(clause):
        value = parse_number(m.group("num"))
        if value is None or _OTHER_CURRENCY_RE.match(clause[m.end() :]):
            continue
        mult = _MULTIPLIERS.get((m.group("mult") or "").rstrip(".").lower(), 1.0)
        currency = bool(m.group("pre") or m.group("post"))
        found.append(_Money(value * mult, m.start(), m.end(), m.group("mult") is not None, currency))
    for first, second in zip(reversed(found[:-1]), reversed(found[1:]), strict=True):
        if (
            not first.has_currency
            and second.has_currency
            and _PAIR_RE.match(clause[first.end : second.start])
        ):
            first.has_currency = True
            if second.has_mult and not first.has_mult:
                first.value *= _unit_of(clause, second)
    return [m for m in found if m.has_currency]


def _unit_of(clause: str, money: _Money) -> float:
    match = _MONEY_RE.match(clause, money.start)
    raw = (match.group("mult") or "") if match else ""
    return _MULTIPLIERS.get(raw.rstrip(".").lower(), 1.0)


def _is_excluded(clause: str, phrase: str, money: _Money, sentence: str) -> bool:
    after = clause[money.end : money.end + 30]
    if _EXCLUDE_BEFORE_RE.search(phrase) or _EXCLUDE_AFTER_RE.match(after) or _UNIT_AFTER_RE.match(after):
        return True
    if _EXAMPLE_RE.search(clause[: money.start]) or _in_example_brackets(clause, money.start):
        return True
    return money.value <= 1000 and bool(_UNIT_ANYWHERE_RE.search(sentence))


def _in_example_brackets(clause: str, start: int) -> bool:
    """Inside an open bracket that starts with 'z.B.' or 'e.g.': an example, not the programme's amount."""
    opened = clause.rfind("(", 0, start)
    return opened > clause.rfind(")", 0, start) and bool(
        re.match(r"\(\s*(?:z\.\s?B\.|e\.\s?g\.)", clause[opened:])
    )


def _phrase_before(clause: str, money: _Money, previous_end: int) -> str:
    """Text since the last comma, semicolon, colon or previous amount."""
    head = clause[previous_end : money.start]
    cut = max((m.end() for m in _BOUNDARY_RE.finditer(head)), default=0)
    return head[cut:]


def _classify_clause(clause: str, sentence: str) -> list[tuple[str, float, int, int]]:
    """(role, value, start, end) for each grant amount of a clause; role is 'min' or 'max'."""
    roles: list[tuple[str, float, int, int]] = []
    mentions = _money_mentions(clause)
    previous_end, previous_role, previous_excluded = 0, None, False
    for i, money in enumerate(mentions):
        phrase = _phrase_before(clause, money, previous_end)
        paired = i > 0 and bool(_PAIR_RE.match(clause[mentions[i - 1].end : money.start]))
        excluded = _is_excluded(clause, phrase, money, sentence) or (paired and previous_excluded)
        role = None if excluded else _role(clause, mentions, i, phrase, previous_role)
        if role:
            roles.append((role, money.value, money.start, money.end))
        previous_end, previous_role, previous_excluded = money.end, role, excluded
    return roles


def _role(clause: str, mentions: list[_Money], i: int, phrase: str, previous_role: str | None) -> str | None:
    money = mentions[i]
    cues = [(m.end(), "max") for m in _MAX_RE.finditer(phrase)] + [
        (m.end(), "min") for m in _MIN_RE.finditer(phrase)
    ]
    if cues:
        return max(cues)[1]
    if i + 1 < len(mentions) and _PAIR_RE.match(clause[money.end : mentions[i + 1].start]):
        return "min"
    if i > 0 and _PAIR_RE.match(clause[mentions[i - 1].end : money.start]):
        return "max" if previous_role in ("min", None) else previous_role
    return _plain_role(clause, money, phrase, previous_role)


def _plain_role(clause: str, money: _Money, phrase: str, previous_role: str | None) -> str | None:
    """An amount without a cue is a grant ceiling when a grant word frames it, never a budget in millions."""
    if money.has_mult and money.value >= 1e6:
        return None
    if _GRANT_BEFORE_RE.search(phrase) or _GRANT_AFTER_RE.match(clause[money.end :]):
        return "max"
    if previous_role and re.fullmatch(r"\s*(?:bei|für|for)\s+[\w-]+\s*", phrase):
        return previous_role
    return None


def extract_grant_range(text: str) -> tuple[Fact[float] | None, Fact[float] | None]:
    """The lowest minimum and highest maximum grant per project in EUR over all tiers of a text."""
    low: Fact[float] | None = None
    high: Fact[float] | None = None
    for sentence in sentences(text):
        offset = 0
        for clause in clauses(sentence):
            offset = sentence.find(clause, offset)
            for role, value, start, end in _classify_clause(clause, sentence):
                fact = Fact(value, quote(sentence, offset + start, offset + end))
                if role == "min" and (low is None or value < low.value):
                    low = fact
                if role == "max" and (high is None or value > high.value):
                    high = fact
    return low, high
