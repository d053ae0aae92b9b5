"""Deadlines (interest, application, window, rolling), call state and rhythm from programme text."""

from __future__ import annotations

import datetime as dt
import re

from catalog.schema import Deadline
from crawlers.extract.dates import DateMention, find_dates
from crawlers.extract.text import Fact, clauses, quote, sentences

# Words before a date that make it a deadline ...
_CUE_RE = re.compile(
    r"\bbis\b(?:\s+(?:zum|zur|spätestens|einschließlich|am))*|spätestens|\w*[Ff]rist(?:en)?\b|Einsendeschluss"
    r"|Bewerbungsschluss|Antragsschluss|Einreichungsschluss|Stichtag|Abgabetermin|[Dd]eadlines?|\buntil\b"
    r"|\bby\b|\bcloses?\b|nicht später als",
    re.I,
)
# ... or something else: a project period, a publication, a status date.
_BLOCK_RE = re.compile(
    r"(?:\bEnde(?:n|t)?\b|abgeschlossen)(?:\s+(?:spätestens|bis|am|zum))*|Beginn\w*|beginnen|Start\w*"
    r"|Projektstart|Projektbeginn|frühestens|\bStand\b|Meldung|\bvom\b:?|[Pp]ublished|[Pp]ublication|[Oo]pened"
    r"|[Oo]pening|\bseit\b|\bsince\b|[Gg]egründet|in Kraft|Ausschreibung\b|Sonderaufruf|nach dem|signature"
    r"|Programmstart|Jubiläum|Wettbewerbsjahr|Projektzeitraum|Förderzeitraum|Laufzeit|Pilotphase|\bPhase\b",
    re.I,
)
# A stage word right before a date ("Interessenbekundung 27.01.2017", "Antrag 21.04.2017").
_STAGE_BEFORE_RE = re.compile(
    r"(?:Interessens?bekundung\w*|Projektskizze\w*|Antragsentwurf|Antr(?:ag|äge)|Bewerbung)\s*:?\s*$", re.I
)
_CUE_AFTER_RE = re.compile(r"^\s*als\s+(?:\w+\s+)?(?:Frist|Stichtag|Deadline)", re.I)
_INTEREST_RE = re.compile(
    r"Interessens?bekundung|Projektskizze|Skizze\b|Antragsentwurf|Voranmeldung|formlose[rn]? Antrag"
    r"|Vorantrag|expression of interest|first stage",
    re.I,
)
_WINDOW_GAP_RE = re.compile(r"^\s*(?:-|–|—|bis(?:\s+(?:zum|spätestens|einschließlich))*|to|until)\s*$", re.I)
_ROLLING_RE = re.compile(
    r"\bfortlaufend\b|\blaufend\b|\blaufende Antrags\w*|ganzjährig|das (?:ganze|gesamte) Jahr(?: über)?"
    r"|ohne Antragsfrist|keine Antragsfrist\w*|solange (?:die )?Mittel (?:verfügbar|vorhanden|reichen)"
    r"|while funds last|rolling basis|\bcontinuously\b|all year round|year-round",
    re.I,
)
_ANYTIME_RE = re.compile(r"\bjederzeit\b|\bat any time\b", re.I)
_APPLICATION_WORD_RE = re.compile(r"Antr|Bewerb|Interessen|einreich|apply|application|submi", re.I)

_CLOSED_RE = re.compile(
    r"Frist\w*(?:\s+[\wäöü]+){0,6}\s+(?:(?:ist|sind)\s+(?:bereits\s+)?abgelaufen|endete|lief\s+ab|ist\s+beendet)"
    r"|Frist\w* abgelaufen|Antrags?stellung (?:ist )?(?:derzeit |aktuell )?nicht (?:mehr )?möglich"
    r"|(?:call|Call) (?:is |has )?closed|closed for (?:applications|submissions)"
    r"|keine (?:neuen )?Anträge mehr",
    re.I,
)
_PAUSED_RE = re.compile(
    r"vorläufige\w* Haushaltsführung.{0,200}?"
    r"(?:nur (?:sehr )?(?:beschränkt|eingeschränkt|begrenzt)|keine neuen"
    r"|ausgesetzt|nicht möglich)|Förderfenster (?:ist |sind )?(?:derzeit |vorübergehend )?geschlossen"
    r"|Antragstellung (?:ist )?(?:derzeit |vorübergehend )?ausgesetzt|Förderstopp|Antragsstopp"
    r"|temporarily (?:closed|suspended)",
    re.I | re.S,
)
_RHYTHM_RE = re.compile(
    r"jährlich\w*\s+(?:\w+\s+)?(?:Bekanntmachung|Ausschreibung|Aufruf|Themenaufruf|Förderaufruf|Call|Stichtag"
    r"|Wettbewerb|Antragsrunde)|(?:Bekanntmachung|Ausschreibung|Aufruf|Call)\w*\s+(?:werden\s+)?(?:\w+\s+)?jährlich"
    r"|annual call|every year|jedes Jahr neu|(?:eines\s+)?jeden\s+Jahres",
    re.I,
)

INFERRED_NOTE = "Jahr nicht angegeben; der nächste solche Termin ist angenommen"


def _is_deadline(clause: str, mention: DateMention, inherited: bool) -> bool:
    """A date is a deadline when the nearest marker before it is a deadline word, not a period word."""
    before = clause[: mention.start]
    cue = max((m.end() for m in _CUE_RE.finditer(before)), default=-1)
    block = max((m.end() for m in _BLOCK_RE.finditer(before)), default=-1)
    if _STAGE_BEFORE_RE.search(before) or _CUE_AFTER_RE.match(clause[mention.end :]):
        return block < mention.start - 40 or cue >= block
    return cue > block or (inherited and cue == block == -1)


def _kind(clause: str, start: int, previous_end: int) -> str:
    return "interest" if _INTEREST_RE.search(clause[previous_end:start]) else "application"


def _note(mentions: list[DateMention], as_of: dt.date) -> str | None:
    return INFERRED_NOTE if any(m.year is None for m in mentions) else None


def _single(kind: str, mention: DateMention, as_of: dt.date) -> Deadline | None:
    date = mention.resolve(as_of)
    return Deadline(kind=kind, date=date, note=_note([mention], as_of)) if date else None  # type: ignore[arg-type]


def _window(first: DateMention, last: DateMention, as_of: dt.date) -> Deadline | None:
    """A window; missing years come from the other end, or from the next close on or after ``as_of``."""
    if first.year is not None and last.year is None:
        opens = first.resolve(as_of)
        closes = _shift(last, opens.year, after=opens) if opens else None
    else:
        closes = last.resolve(as_of)
        opens = (
            (first.resolve(as_of) if first.year is not None else _shift(first, closes.year, before=closes))
            if closes
            else None
        )
    if opens is None or closes is None or closes < opens:
        return None
    return Deadline(kind="window", date=opens, end=closes, note=_note([first, last], as_of))


def _shift(
    mention: DateMention, year: int, *, after: dt.date | None = None, before: dt.date | None = None
) -> dt.date | None:
    """The day and month of a mention in ``year``, moved a year on or back to lie after/before a date."""
    date = DateMention(mention.day, mention.month, year, 0, 0).resolve(dt.date.min)
    if date and after and date < after:
        date = DateMention(mention.day, mention.month, year + 1, 0, 0).resolve(dt.date.min)
    if date and before and date > before:
        date = DateMention(mention.day, mention.month, year - 1, 0, 0).resolve(dt.date.min)
    return date


def _clause_deadlines(clause: str, as_of: dt.date) -> list[Deadline]:
    """Windows ('vom 1. Juli bis 30. September') and single deadlines of one clause, in order."""
    mentions, out = find_dates(clause), []
    i, previous_end, inherited = 0, 0, False
    while i < len(mentions):
        current = mentions[i]
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if nxt and _WINDOW_GAP_RE.match(clause[current.end : nxt.start]) and not _blocked(clause, current):
            found, used = _window(current, nxt, as_of), 2
        elif _is_deadline(clause, current, inherited):
            found, used = _single(_kind(clause, current.start, previous_end), current, as_of), 1
        else:
            found, used = None, 1
        out += [found] if found else []
        inherited = found is not None
        previous_end, i = mentions[i + used - 1].end, i + used
    return out


def _blocked(clause: str, mention: DateMention) -> bool:
    before = clause[max(0, mention.start - 30) : mention.start]
    return bool(_BLOCK_RE.search(before)) and not re.search(r"\bvom\b\s*$", before, re.I)


def _with_rolling(clause: str, found: list[Deadline]) -> list[Deadline]:
    """'laufend bis 15. Oktober' is one rolling deadline with an end; 'laufend' alone is rolling."""
    anytime = _ANYTIME_RE.search(clause) and _APPLICATION_WORD_RE.search(clause)
    if not (_ROLLING_RE.search(clause) or anytime):
        return found
    ends = [d for d in found if d.kind == "application"]
    if ends:
        rolling = Deadline(kind="rolling", end=ends[-1].date, note=ends[-1].note)
        return [d for d in found if d.kind != "application"] + [rolling]
    return found + [Deadline(kind="rolling")]


def extract_deadlines(text: str, *, as_of: dt.date) -> list[tuple[Deadline, str]]:
    """Every deadline a text states, each with its sentence; years left out are the next such date."""
    out: list[tuple[Deadline, str]] = []
    for sentence in sentences(text):
        found = [
            d for clause in clauses(sentence) for d in _with_rolling(clause, _clause_deadlines(clause, as_of))
        ]
        for deadline in found:
            if all(deadline != known for known, _ in out):
                out.append((deadline, quote(sentence)))
    return out


def extract_call_state(text: str) -> Fact[str] | None:
    """'closed' when the text says the deadline has passed, 'paused' for a budget freeze, else None."""
    for state, pattern in (("closed", _CLOSED_RE), ("paused", _PAUSED_RE)):
        for sentence in sentences(text):
            match = pattern.search(sentence)
            if match:
                return Fact(state, quote(sentence, match.start(), match.end()))
        match = pattern.search(" ".join(sentences(text)))
        if match:
            return Fact(state, quote(match.group(0)))
    return None


def extract_rhythm(text: str) -> Fact[str] | None:
    """'jährlich' when the text says calls recur every year."""
    for sentence in sentences(text):
        match = _RHYTHM_RE.search(sentence)
        if match:
            return Fact("jährlich", quote(sentence, match.start(), match.end()))
    return None
