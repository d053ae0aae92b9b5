"""Country names and the named country lists (DAC, EU27, Erasmus+, CERV), loaded from config/countries/.

ISO codes and names come from pycountry (with its German translations); the lists are sourced CSV
copies whose provenance and year are in config/countries/README.md.
"""

from __future__ import annotations

import csv
import gettext
import unicodedata
from functools import cache
from pathlib import Path

import pycountry

COUNTRY_DIR = Path(__file__).with_name("countries")

# The year each list stands for (the DAC list is revised every three years).
LIST_YEARS = {"DAC": 2024, "EU27": 2021, "ERASMUS_PROGRAMME": 2021, "CERV_PARTICIPATING": 2023}

# Names people write that pycountry does not know in either language.
_ALIASES = {
    "kosovo": "XK",
    "tuerkei": "TR",
    "turkei": "TR",
    "turkey": "TR",
    "turkiye": "TR",
    "russland": "RU",
    "russia": "RU",
    "tschechien": "CZ",
    "czechia": "CZ",
    "czech republic": "CZ",
    "suedkorea": "KR",
    "south korea": "KR",
    "nordkorea": "KP",
    "north korea": "KP",
    "grossbritannien": "GB",
    "england": "GB",
    "vereinigtes koenigreich": "GB",
    "usa": "US",
    "vereinigte staaten": "US",
    "palaestina": "PS",
    "palaestinensische gebiete": "PS",
    "palestine": "PS",
    "westjordanland": "PS",
    "moldau": "MD",
    "moldawien": "MD",
    "moldova": "MD",
    "iran": "IR",
    "syrien": "SY",
    "syria": "SY",
    "tansania": "TZ",
    "tanzania": "TZ",
    "bolivien": "BO",
    "bolivia": "BO",
    "venezuela": "VE",
    "vietnam": "VN",
    "viet nam": "VN",
    "laos": "LA",
    "kongo": "CG",
    "demokratische republik kongo": "CD",
    "dr kongo": "CD",
    "elfenbeinkueste": "CI",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "kapverden": "CV",
    "cape verde": "CV",
    "griechenland": "GR",
    "el": "GR",  # the EU's own code for Greece
}


def _fold(text: str) -> str:
    """Lower-case, umlauts spelled out, accents dropped: 'Türkei' and 'Tuerkei' meet."""
    text = text.strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).replace("-", " ")


@cache
def _name_index() -> dict[str, str]:
    german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])
    index: dict[str, str] = {}
    for c in pycountry.countries:
        names = {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}
        names |= {german.gettext(n) for n in list(names)}
        for n in names:
            index[_fold(n)] = c.alpha_2
    index.update(_ALIASES)
    return index


def to_iso2(value: str) -> str | None:
    """An ISO 3166-1 alpha-2 code for a code or a German or English country name, else None."""
    raw = value.strip()
    if len(raw) == 2 and raw.isalpha():
        code = raw.upper()
        if code in ("EL", "UK"):  # the EU's own codes for Greece and the United Kingdom
            return "GR" if code == "EL" else "GB"
        if code == "XK" or pycountry.countries.get(alpha_2=code):
            return code
        return None
    return _name_index().get(_fold(raw))


@cache  # gettext.translation looks for its files on every call; eligibility asks per programme
def german_name(code: str) -> str:
    if code == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])
    return german.gettext(getattr(country, "common_name", None) or country.name)


def _codes(filename: str, status: str | None = None) -> frozenset[str]:
    with (COUNTRY_DIR / filename).open(encoding="utf-8") as f:
        return frozenset(row["iso2"] for row in csv.DictReader(f) if status is None or row["status"] == status)


@cache
def country_list(name: str) -> frozenset[str]:
    """Members of a named list: DAC, EU27, ERASMUS_PROGRAMME or CERV_PARTICIPATING."""
    files = {
        "DAC": ("dac-list.csv", None),
        "EU27": ("erasmus-countries.csv", "member_state"),
        "ERASMUS_PROGRAMME": ("erasmus-countries.csv", None),
        "CERV_PARTICIPATING": ("cerv-countries.csv", None),
    }
    if name not in files:
        raise KeyError(f"unknown country list {name!r}")
    return _codes(*files[name])


LIST_LABELS_DE = {
    "DAC": "DAC-Liste der OECD (Empfängerländer öffentlicher Entwicklungsleistungen)",
    "EU27": "EU-Mitgliedstaaten",
    "ERASMUS_PROGRAMME": "Erasmus+-Programmländer (EU-Mitgliedstaaten und assoziierte Drittländer)",
    "CERV_PARTICIPATING": "am CERV-Programm teilnehmende Länder",
}
