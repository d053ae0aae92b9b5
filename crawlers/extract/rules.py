"""All extractors over one text: a Rules object, deadlines and evidence (quote and URL) per field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from catalog.schema import Deadline, Evidence, Rules
from crawlers.extract.amounts import extract_grant_range
from crawlers.extract.applicants import extract_applicant_types
from crawlers.extract.deadlines import extract_call_state, extract_deadlines, extract_rhythm
from crawlers.extract.duration import extract_duration
from crawlers.extract.own_funds import extract_own_funds
from crawlers.extract.partners import extract_min_countries, extract_min_partners, extract_partner_rule
from crawlers.extract.rates import extract_admin_flat_rate, extract_financing_type, extract_funding_rate
from crawlers.extract.text import Fact


@dataclass(frozen=True)
class Extraction:
    """What one text says about a programme. ``call_state`` is 'closed', 'paused' or None;
    ``paused`` feeds ProgrammeIn.paused (a closed call needs no flag: status follows from deadlines)."""

    rules: Rules
    deadlines: list[Deadline]
    evidence: dict[str, Evidence] = field(default_factory=dict)
    rhythm: str | None = None
    paused: bool = False
    call_state: str | None = None


def _rule_facts(text: str) -> dict[str, Fact[Any] | None]:
    """Facts keyed by the Rules field each one fills."""
    grant_min, grant_max = extract_grant_range(text)
    if grant_min and grant_max and grant_min.value > grant_max.value:
        grant_min = grant_max = None  # contradictory tiers: unknown rather than a guess
    return {
        "applicant_types": extract_applicant_types(text),
        "partner_rule": extract_partner_rule(text),
        "min_partners": extract_min_partners(text),
        "min_countries": extract_min_countries(text),
        "grant_min_eur": grant_min,
        "grant_max_eur": grant_max,
        "funding_rate": extract_funding_rate(text),
        "financing_type": extract_financing_type(text),
        "own_funds": extract_own_funds(text),
        "admin_flat_rate": extract_admin_flat_rate(text),
        "max_duration_months": extract_duration(text),
    }


def _rules(facts: dict[str, Fact[Any] | None]) -> Rules:
    values = {name: fact.value for name, fact in facts.items() if fact is not None}
    rule = values.get("partner_rule")
    if rule is not None and (values.get("min_countries", 0) >= 2 or values.get("min_partners", 0) >= 1):
        values["partner_rule"] = rule.model_copy(update={"required": True})
    return Rules(**values)


def _evidence(
    facts: dict[str, Fact[Any] | None], deadlines: list[tuple[Deadline, str]], url: str | None
) -> dict[str, Evidence]:
    evidence = {
        name: Evidence(quote=fact.quote, url=url) for name, fact in facts.items() if fact and fact.quote
    }
    if deadlines:
        evidence["deadlines"] = Evidence(quote=deadlines[0][1], url=url)
    return evidence


def extract_rules(text: str, url: str | None, *, as_of: dt.date) -> Extraction:
    """Every fact the text states, with the sentence and URL that back each one."""
    facts = _rule_facts(text)
    deadlines = extract_deadlines(text, as_of=as_of)
    state, rhythm = extract_call_state(text), extract_rhythm(text)
    paused = bool(state and state.value == "paused")
    evidence = _evidence(facts, deadlines, url)
    for name, fact in (("rhythm", rhythm), ("paused" if paused else "call_state", state)):
        if fact:
            evidence[name] = Evidence(quote=fact.quote, url=url)
    return Extraction(
        rules=_rules(facts),
        deadlines=[deadline for deadline, _ in deadlines],
        evidence=evidence,
        rhythm=rhythm.value if rhythm else None,
        paused=paused,
        call_state=state.value if state else None,
    )
