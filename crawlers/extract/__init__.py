"""Fact extraction from German and English programme text: pure functions, each fact with its quote."""

from crawlers.extract.amounts import extract_grant_range
from crawlers.extract.applicants import extract_applicant_types
from crawlers.extract.deadlines import extract_call_state, extract_deadlines, extract_rhythm
from crawlers.extract.duration import extract_duration
from crawlers.extract.own_funds import extract_own_funds
from crawlers.extract.partners import extract_min_countries, extract_min_partners, extract_partner_rule
from crawlers.extract.rates import extract_admin_flat_rate, extract_financing_type, extract_funding_rate
from crawlers.extract.rules import Extraction, extract_rules
from crawlers.extract.text import Fact

__all__ = [
    "Extraction",
    "Fact",
    "extract_admin_flat_rate",
    "extract_applicant_types",
    "extract_call_state",
    "extract_deadlines",
    "extract_duration",
    "extract_financing_type",
    "extract_funding_rate",
    "extract_grant_range",
    "extract_min_countries",
    "extract_min_partners",
    "extract_own_funds",
    "extract_partner_rule",
    "extract_rhythm",
    "extract_rules",
]
