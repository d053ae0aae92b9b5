"""A tiny language guess for queries (German or English): enough to decide whether lexical fusion helps."""

from __future__ import annotations

import re

_DE = set("und der die das mit für wir unsere unser ein eine einen wollen möchten eines zur zum von im den dem "
          "ist sind auch nicht bei aus gemeinsam partnerstadt stadt gemeinde jugendliche über".split())
_EN = set("the and with for we our a an to of in on is are want would like town city partner youth "
          "young people from project together about".split())


def detect_language(text: str) -> str:
    """'de' or 'en'; umlauts and ß count for German. Ties go to German, the catalogue's language."""
    words = re.findall(r"[a-zäöüß]+", text.lower())
    de = sum(w in _DE for w in words) + 2 * len(re.findall(r"[äöüß]", text.lower()))
    en = sum(w in _EN for w in words)
    return "en" if en > de else "de"
