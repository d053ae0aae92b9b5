"""Partner-country rules (named lists, countries, exclusions) and minimum partners and countries."""

from __future__ import annotations

import re

from catalog.schema import PartnerRule
from config.countries import to_iso2
from crawlers.extract.text import WORD_NUMBER_RE, Fact, clauses, quote, sentences, word_or_number

_LISTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "DAC",
        re.compile(
            r"\bDAC\b|Empfängerl(?:and|änder)\w* öffentlicher Entwicklungs\w*|Globale[nr]? Süden\w*"
            r"|Global South|Entwicklungsländer\w*|developing countries|ODA[- ]recipient",
            re.I,
        ),
    ),
    (
        "EU27",
        re.compile(
            r"EU-?\s?(?:Mitgliedstaat\w*|Mitgliedsstaat\w*|member states?)|EU-?27\b"
            r"|Mitgliedstaaten der (?:EU|Europäischen Union)|member states? of the (?:EU|European Union)"
            r"|\bof them(?: an?)? EU\b",
            re.I,
        ),
    ),
    ("ERASMUS_PROGRAMME", re.compile(r"Programml(?:and|änder)\w*|programme countr(?:y|ies)", re.I)),
    (
        "CERV_PARTICIPATING",
        re.compile(
            r"associated to CERV|CERV[- ](?:participating|Teilnehmer)\w*"
            r"|am CERV-Programm teilnehmende",
            re.I,
        ),
    ),
)
_YEAR_NEAR_LIST_RE = re.compile(r"\b(20\d\d)\b")
_ADJECTIVES = {
    "ukrainisch": "UA",
    "polnisch": "PL",
    "französisch": "FR",
    "tschechisch": "CZ",
    "israelisch": "IL",
    "griechisch": "GR",
    "türkisch": "TR",
    "palästinensisch": "PS",
    "dänisch": "DK",
    "niederländisch": "NL",
    "österreichisch": "AT",
    "belgisch": "BE",
    "luxemburgisch": "LU",
    "italienisch": "IT",
    "spanisch": "ES",
    "britisch": "GB",
    "ungarisch": "HU",
    "rumänisch": "RO",
    "litauisch": "LT",
    "slowakisch": "SK",
    "finnisch": "FI",
    "schwedisch": "SE",
    "norwegisch": "NO",
    "chinesisch": "CN",
    "russisch": "RU",
    "georgisch": "GE",
    "armenisch": "AM",
    "moldauisch": "MD",
    "tunesisch": "TN",
    "marokkanisch": "MA",
    "ruandisch": "RW",
    "tansanisch": "TZ",
    "burundisch": "BI",
    "namibisch": "NA",
    "ghanaisch": "GH",
}
_ADJECTIVES_EN = {
    "ukrainian": "UA",
    "polish": "PL",
    "french": "FR",
    "czech": "CZ",
    "israeli": "IL",
    "greek": "GR",
    "turkish": "TR",
    "danish": "DK",
    "dutch": "NL",
    "austrian": "AT",
    "belgian": "BE",
    "italian": "IT",
    "spanish": "ES",
    "hungarian": "HU",
    "romanian": "RO",
    "moldovan": "MD",
    "georgian": "GE",
}
_ADJ = "|".join(_ADJECTIVES)
_ADJ_EN_PARTNER_RE = re.compile(
    rf"\b({'|'.join(_ADJECTIVES_EN)})\s+(?:partners?|municipalit\w+|towns?|cities|local authorities)", re.I
)
# German Land abbreviations that are also ISO codes: "(BW, BY)" names Länder, not Botswana and Belarus.
_LAND_CODES = frozenset("BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH".split())
_ADJ_COMPOUND_RE = re.compile(rf"\bdeutsch-({_ADJ})\w*")
_ADJ_PARTNER_RE = re.compile(
    rf"((?:{_ADJ})\w*(?:\s*(?:/|und|oder|,)\s*(?:{_ADJ})\w*)*)\s+(?:Partner|Nachbar|Kommune|Gemeinde|Stadt|Städte)"
)
_INFLECTED = {"palästinensischen gebiete": "PS", "palästinensische gebiete": "PS"}
_CODE_GROUP_RE = re.compile(r"\b[A-Z]{2}\b(?:\s*(?:,|/|und|and|or|oder)\s*\b[A-Z]{2}\b)+")
_WORD_RE = re.compile(r"[A-ZÄÖÜ][\wäöüßé'-]+")
_PARTNER_CUE_RE = re.compile(
    r"[Pp]artner|Begegnung|Austausch|exchange|twinning|Zusammenarbeit|cooperation|\bgrenz|Grenz|cross-border"
    r"|Kommunen\b|Gemeinden\b|municipalit|\btowns?\b|\bcities\b|Städte\b|\bLand\b|Länder|countr|Drittl"
    r"|Ziel(?:region|land)"
    r"|[Bb]ilateral|[Tt]rilateral"
)
_EXCLUDED_CLAUSE_RE = re.compile(
    r"[Aa]usgeschlossen|ausgenommen|[Kk]eine Projekte mit|nicht gefördert|\bexcluded\b|\bexcept\b"
    r"|not eligible"
)

_AT_LEAST = r"(?:mindestens|mind\.|wenigstens|at least|(?:a\s+)?minimum(?:\s+of)?|min\.|≥)\s*"
_NUM = rf"(\d{{1,2}}|{WORD_NUMBER_RE})"
_PARTNERS_RE = re.compile(
    rf"{_AT_LEAST}{_NUM}\s+(?:[\wäöü-]+\s+){{0,2}}?(?:[\wäöü-]*[Pp]artner\w*|participating organi[sz]ations"
    rf"|Kommunen|Gemeinden|Städte"
    rf"|municipalities|towns|cities|organi[sz]ations|applicants|Antragsteller\w*)\b"
    rf"|\b(\d{{1,2}})\s*[–-]\s*\d{{1,2}}\s+partners\b",
    re.I,
)
_COUNTRIES_RE = re.compile(
    rf"{_AT_LEAST}{_NUM}\s+(?:[\wäöü-]+\s+){{0,2}}?[\wäöü-]*?(?:Länder\w*|Staaten|staaten|countries|states)\b(?!/)"
    rf"|\b(?:aus|from)\s+{_NUM}\s+(?:verschiedenen\s+|unterschiedlichen\s+|different\s+)?(?:Ländern|countries)\b"
    rf"|\b(?:aus|from)\s+(?P<two>verschiedenen|unterschiedlichen|different)\s+(?:Ländern|countries)\b",
    re.I,
)


def _names_in(clause: str) -> list[str]:
    """ISO codes of the countries a clause names (German or English names, adjectives, code lists)."""
    codes = [c for c in (_ADJECTIVES[m.group(1)] for m in _ADJ_COMPOUND_RE.finditer(clause))]
    for match in _ADJ_PARTNER_RE.finditer(clause):
        codes += [_ADJECTIVES[a] for a in re.findall(_ADJ, match.group(1))]
    codes += [_ADJECTIVES_EN[m.group(1).lower()] for m in _ADJ_EN_PARTNER_RE.finditer(clause)]
    for group in _CODE_GROUP_RE.finditer(clause):
        raw = re.findall(r"[A-Z]{2}", group.group(0))
        found = [to_iso2(code) for code in raw]
        codes += [c for c in found if c] if all(found) and not set(raw) <= _LAND_CODES else []
    codes += [code for phrase, code in _INFLECTED.items() if phrase in clause.lower()]
    return codes + _country_words(clause)


def _country_words(clause: str) -> list[str]:
    """Country names among capitalised words, trying three, two and one words, then a genitive -s."""
    words = list(_WORD_RE.finditer(clause))
    codes, i = [], 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = clause[words[i].start() : words[min(i + size, len(words)) - 1].end()]
            code = _country_name(phrase) if size == 1 or " " in phrase else None
            if code:
                codes.append(code)
                i += size - 1
                break
        i += 1
    return codes


def _country_name(phrase: str) -> str | None:
    if len(phrase) < 4 or not re.fullmatch(r"[\wäöüßÄÖÜé' -]+", phrase):
        return None
    return to_iso2(phrase) or (to_iso2(phrase[:-1]) if phrase.endswith("s") and " " not in phrase else None)


def _rule_parts(text: str) -> tuple[list[str], list[str], list[str], int | None, str]:
    """Named lists, partner countries, excluded countries, list year and the first quote."""
    lists: list[str] = []
    countries: list[str] = []
    excluded: list[str] = []
    year, first = None, ""
    for sentence in sentences(text):
        for clause in clauses(sentence):
            named = [code for code in dict.fromkeys(_names_in(clause)) if code != "DE"]
            relevant = _PARTNER_CUE_RE.search(sentence) or len(named) >= 2
            target = excluded if _EXCLUDED_CLAUSE_RE.search(clause) else countries
            target += [c for c in named if relevant and c not in target]
            for name, pattern in _LISTS:
                match = pattern.search(clause)
                if match and not _EXCLUDED_CLAUSE_RE.search(clause[: match.start()]) and name not in lists:
                    lists.append(name)
                    year = year or _list_year(clause, match)
            if (lists or countries or excluded) and not first:
                first = quote(sentence)
    return lists, countries, excluded, year, first


def _list_year(clause: str, match: re.Match[str]) -> int | None:
    near = _YEAR_NEAR_LIST_RE.search(clause[match.end() : match.end() + 12])
    return int(near.group(1)) if near else None


def extract_partner_rule(text: str) -> Fact[PartnerRule] | None:
    """Which partner countries a programme accepts: named lists, countries and exclusions (ISO codes)."""
    lists, countries, excluded, year, first = _rule_parts(text)
    if not (lists or countries or excluded):
        return None
    rule = PartnerRule(lists=lists, list_year=year, countries=countries, excluded=excluded)  # type: ignore[arg-type]
    return Fact(rule, first)


def _largest(pattern: re.Pattern[str], text: str) -> Fact[int] | None:
    best: Fact[int] | None = None
    for sentence in sentences(text):
        for match in pattern.finditer(sentence):
            raw = next(g for g in match.groups() if g)
            value = 2 if match.groupdict().get("two") else word_or_number(raw)
            if value and (best is None or value > best.value):
                best = Fact(value, quote(sentence, match.start(), match.end()))
    return best


def extract_min_partners(text: str) -> Fact[int] | None:
    """The least number of partners (organisations, municipalities, applicants) a project needs."""
    return _largest(_PARTNERS_RE, text)


def extract_min_countries(text: str) -> Fact[int] | None:
    """The least number of countries a partnership must span."""
    return _largest(_COUNTRIES_RE, text)
