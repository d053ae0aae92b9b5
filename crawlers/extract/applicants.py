"""Who may apply (applicant codes of catalog.schema) from German and English programme text."""

from __future__ import annotations

import re

from crawlers.extract.text import Fact, clauses, quote, with_previous

KOMMUNAL = "kommunal"  # a word for all local authorities: expands to kommune and landkreis

# Order matters where phrases overlap: the more specific code is listed first and wins its span.
_TYPES: tuple[tuple[str, str], ...] = (
    (
        "kommunaler_spitzenverband",
        r"kommunale[nr]? Spitzenverb\w*|Städtetag\w*|Landkreistag\w*"
        r"|Städte- und Gemeindebund\w*"
        r"|(?:federations?|associations?)(?:\s*/\s*(?:federations?|associations?))?"
        r" of (?:local|municipal) (?:authorities|governments)",
    ),
    (
        "kommunales_unternehmen",
        r"kommunale[nr]? Unternehmen|Eigen- und Regiebetrieb\w*|Eigenbetrieb\w*"
        r"|Stadtwerke\b|(?<=und )-unternehmen\b|municipal (?:companies|enterprises)",
    ),
    ("landkreis", r"\bLandkreis\w*|\bKreise\b|\bKreisverwaltung\w*|\bcounties\b"),
    ("hochschule", r"\w*[Hh]ochschule\w*|Universität\w*|universit(?:y|ies)\b"),
    (
        "kirche",
        r"Kirchengemeinde\w*|\bKirchen\b|religiöse Organisation\w*|churches|religious organi[sz]ations?",
    ),
    (
        "ngo",
        r"gemeinnützige\w*(?:,?\s+[\wäöü]+){0,3}\s+Organisation\w*|Nichtregierungsorganisation\w*|\bNGOs?\b"
        r"|\bgGmbHs?\b|zivilgesellschaftliche\w* (?:Organisation|Akteur)\w*|non-?profit organi[sz]ations?"
        r"|civil society organi[sz]ations?|not-for-profit organi[sz]ations?",
    ),
    (
        "verein",
        r"[\wäöü]*[Vv]erein(?:e|en|s)?\b|Vereinigung(?:en)?\b|Partnerschaftskomitee\w*"
        r"|twinning committees?|\bclubs\b",
    ),
    ("schule", r"[\wäöü]*(?<!och)[Ss]chule(?:n)?\b|Berufskolleg\w*|\bschools?\b"),
    ("stiftung", r"\bStiftungen\b|\bfoundations\b"),
    # "Kommunen", "Kommunalverwaltungen", "local authorities": in German law the Landkreise are Kommunen too.
    (
        KOMMUNAL,
        r"Kommunalverwaltung\w*|Kommunalverb(?:and|ände)\w*|\bKommunen?\b|Gebietskörperschaft\w*"
        r"|local (?:authorit\w+|governments?)|(?:local|regional)\s*/\s*regional authorities",
    ),
    (
        "kommune",
        r"\bGemeinden?\b|\bStädte\b|\bStadt\b|Stadtverwaltung\w*|städtischen Bezirke|Bezirksverwaltung\w*"
        r"|Bezirksämter|Bezirksamt|Verbandsgemeinde\w*|Jugendämter|Jugendamt"
        r"|\btowns?\b|municipalit(?:y|ies)\b|\bcit(?:y|ies)\b",
    ),
    (
        "unternehmen",
        r"(?<!kommunale )(?<!kommunalen )\bUnternehmen\b|Arbeitgeber\w*|\bcompanies\b|\bKMU\b|\bSMEs?\b",
    ),
    ("privatperson", r"Einzelpersonen|natürliche Personen|Privatperson(?:en)?\b|\bindividuals\b"),
)
_TYPE_RES = tuple((code, re.compile(pattern)) for code, pattern in _TYPES)

# A sentence that says who may apply; without one, type words are only mentioned.
_CUE_RE = re.compile(
    r"antragsberechtigt\w*|Antragsteller\w*|antragstellend\w*|Förderberechtigte|Zuwendungsempfänger"
    r"|Gruppenanträge|(?:Förder)?[Aa]ntr(?:ag|äge)\b.{0,80}\bstellen|können\s+sich\s+bewerben"
    r"|[Ww]er\s+(?:kann|darf|wird gefördert)|können\s.{0,80}\b(?:gefördert|finanziert|mitfinanziert)\s+werden"
    r"|förderfähig\b(?!e)|teilnahmeberechtigt|\beligible\b|\bapplicants?\b|may apply|can apply|open to"
    r"|\ballowed\b|may join",
    re.I,
)
_PRONOUN_START_RE = re.compile(r"^(?:They|These|Sie|Diese)\b")
# "Kommunen bis zu 40.000 Euro", "40.000 Euro für Kommunen": the grant names its recipient.
_RECIPIENT_RE = re.compile(r"(?:€|EUR|Euro)\s+für\s+|^\s*\S+\s+bis\s+(?:zu\s+|maximal\s+)?\d")
_NEGATED_CLAUSE_RE = re.compile(
    r"\b(?:not|nicht)\s+(?:\w+\s+)?(?:listed|eligible|antragsberechtigt|zugelassen|förderfähig)|ausgeschlossen"
    r"|als\s+(?:Kooperations)?[Pp]artner",
    re.I,
)
# Type words for the partner side: "Kommunen aus dem Globalen Süden", "municipalities from at least 2".
_PARTNER_AFTER_RE = re.compile(
    r"^\s+(?:aus|in|im|from|in the)\s+(?:dem\s+|der\s+|den\s+)?"
    r"(?:Globalen|Ausland|[\wäöü]+(?:en|ischen)\s+Länder"
    r"|Partnerl|Global South|abroad|partner countr|at least|mindestens|≥|\d)"
)
_NEGATION_BEFORE_RE = re.compile(r"\b(?:nicht|not|kein\w*|no|außer|except|ausgenommen)\b[^,;]{0,25}$", re.I)


def _is_applicant_sentence(previous: str, sentence: str) -> bool:
    if _CUE_RE.search(sentence):
        return True
    return bool(_PRONOUN_START_RE.match(sentence) and _CUE_RE.search(previous))


def _types_in(clause: str) -> list[tuple[str, int, int]]:
    """(code, start, end) of each applicant type a clause names, overlapping phrases counted once."""
    taken: list[tuple[int, int]] = []
    found = []
    for code, pattern in _TYPE_RES:
        for match in pattern.finditer(clause):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            partner_side = _PARTNER_AFTER_RE.match(clause[match.end() :])
            if not partner_side and not _NEGATION_BEFORE_RE.search(clause[: match.start()]):
                found.append((code, match.start(), match.end()))
    return found


def _recipient_clauses(sentence: str) -> list[str]:
    """Comma parts of a sentence in which a grant amount names who receives it."""
    return [part for part in re.split(r",\s*", sentence) if _RECIPIENT_RE.search(part)]


def extract_applicant_types(text: str) -> Fact[list[str]] | None:
    """Applicant codes of catalog.schema for everyone the text says may apply, in order of mention."""
    codes: list[str] = []
    first_quote = ""
    for previous, sentence in with_previous(text):
        parts = (
            clauses(sentence) if _is_applicant_sentence(previous, sentence) else _recipient_clauses(sentence)
        )
        for part in parts:
            if _NEGATED_CLAUSE_RE.search(part):
                continue
            for found, start, end in _types_in(part):
                for code in ("kommune", "landkreis") if found == KOMMUNAL else (found,):
                    if code not in codes:
                        codes.append(code)
                        offset = sentence.find(part)
                        first_quote = first_quote or quote(sentence, offset + start, offset + end)
    return Fact(codes, first_quote) if codes else None
