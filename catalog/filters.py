"""Catalogue filters as pure predicates (used by the API's programme list and the desk search)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from catalog.schema import PartnerRule, ProgrammeIn
from catalog.status import status
from config.countries import country_list


def allows_country(rule: PartnerRule | None, code: str) -> bool | None:
    """Whether a partner from ``code`` fits the rule; None when the rule is unknown."""
    if rule is None:
        return None
    if code in rule.excluded:
        return False
    if not rule.lists and not rule.countries:
        return True
    return code in rule.countries or any(code in country_list(name) for name in rule.lists)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def text_matches(p: ProgrammeIn, q: str) -> bool:
    """Every word of the query occurs somewhere in the programme (accents and case ignored)."""
    hay = _fold(" ".join([p.title, p.short_name or "", p.funder, p.summary, " ".join(p.themes), p.text]))
    return all(w in hay for w in re.findall(r"\w+", _fold(q)))


def keep(p: ProgrammeIn, *, q: str | None = None, level: str | None = None, applicant_type: str | None = None,
         partner_country: str | None = None, status_: str | None = None, source: str | None = None,
         today: dt.date) -> bool:
    """A programme stays unless a given filter rules it out; unknown facts never rule out."""
    if level and p.level != level:
        return False
    if source and p.source != source:
        return False
    if applicant_type and p.rules.applicant_types is not None and applicant_type not in p.rules.applicant_types:
        return False
    if partner_country and allows_country(p.rules.partner_rule, partner_country) is False:
        return False
    if status_ and status(p, today) != status_:
        return False
    return not q or text_matches(p, q)
