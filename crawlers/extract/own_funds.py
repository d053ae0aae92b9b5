"""Which kinds of money may make up the Eigenanteil (cash, third-party, Land co-funding, in-kind)."""

from __future__ import annotations

import re

from crawlers.extract.text import Fact, quote, with_previous

# Each kind, and whether a mention needs a sentence about covering the own share to count.
_KINDS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    (
        "cash",
        re.compile(
            r"Eigen-\s*(?:und|oder|bzw\.)?\s*/?\s*(?:oder\s*)?(?:Dritt|Fremd)mittel"
            r"|Eigenmittel\w*|aus eigenen\b|eigenen Mitteln"
            r"|finanzielle Eigenleistung\w*|own (?:funds|resources)\b",
            re.I,
        ),
        False,
    ),
    (
        "third_party",
        re.compile(
            r"Drittmittel\w*|Spenden\b|Teilnehm\w*beiträge|anderen Quellen"
            r"|third[- ]party|donations",
            re.I,
        ),
        True,
    ),
    ("land_cofunding", re.compile(r"Landesmittel\w*|Mittel des Landes|Landeszuschu\w*", re.I), True),
    (
        "in_kind",
        re.compile(
            r"(?<!finanzielle )(?:[Uu]nbare )?Eigenleistung\w*|Einsatz eigenen Personals"
            r"|\bin-kind\b|ehrenamtliche (?:Arbeit|Leistung)\w*",
            re.I,
        ),
        False,
    ),
)
# Words that show a sentence is about financing the rest of the project.
_CONTEXT_RE = re.compile(
    r"Eigenanteil|Eigenfinanzierung|Eigen-|Eigenmittel|angerechnet|anrechenbar|gedeckt|deckbar|erbracht"
    r"|finanziert|aufgebracht|eingesetzt|erwünscht|\bRest\b|restliche|Kofinanzierung|co-financ"
    r"|own contribution"
    r"|count towards",
    re.I,
)
_NEGATION_RE = re.compile(r"\b(?:nicht|kein\w*|not|no)\b(?!-)", re.I)


def _comma_clause(sentence: str, start: int, end: int) -> str:
    """The part of a sentence between the commas or semicolons around a span."""
    left = max(sentence.rfind(",", 0, start), sentence.rfind(";", 0, start)) + 1
    right_candidates = [i for i in (sentence.find(",", end), sentence.find(";", end)) if i >= 0]
    return sentence[left : min(right_candidates, default=len(sentence))]


def _kinds_in(previous: str, sentence: str) -> list[tuple[str, bool, int, int]]:
    """(kind, counts, start, end) for each kind of money a sentence mentions."""
    has_context = bool(_CONTEXT_RE.search(sentence) or _CONTEXT_RE.search(previous))
    found = []
    for kind, pattern, needs_context in _KINDS:
        for match in pattern.finditer(sentence):
            if needs_context and not has_context:
                continue
            clause = _comma_clause(sentence, match.start(), match.end())
            found.append((kind, not _NEGATION_RE.search(clause), match.start(), match.end()))
    return found


def extract_own_funds(text: str) -> Fact[dict[str, bool]] | None:
    """Kinds of money the text says may (True) or may not (False) count towards the Eigenanteil.

    The quote is the first sentence that produced a kind; the first statement per kind wins."""
    kinds: dict[str, bool] = {}
    first_quote = ""
    for previous, sentence in with_previous(text):
        for kind, counts, start, end in _kinds_in(previous, sentence):
            if kind not in kinds:
                kinds[kind] = counts
                first_quote = first_quote or quote(sentence, start, end)
    return Fact(kinds, first_quote) if kinds else None
