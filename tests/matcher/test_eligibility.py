"""Eligibility rules: each rule's eligible/ineligible/unclear path and the adviser's dev cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from catalog.schema import ProgrammeIn
from matcher import eligibility as el
from matcher.eligibility import RuleContext, assess
from matcher.profile import Profile

TODAY = dt.date(2025, 6, 1)
CTX = RuleContext(today=TODAY, preparation_days=14)
URL = "https://example.org/programm"


def programme(rules: dict[str, Any] | None = None, **fields: Any) -> ProgrammeIn:
    base: dict[str, Any] = {
        "id": "test-programm",
        "source": "curated",
        "url": URL,
        "title": "Testprogramm",
        "funder": "Testgeber",
        "level": "bund",
        "summary": "Ein Programm, das nur für Tests existiert und nichts fördert.",
        "rules": rules or {},
    }
    return ProgrammeIn.model_validate(base | fields)


def profile(applicant: str = "kommune", partners: list[Any] | None = None, **project: Any) -> Profile:
    given = ["KE"] if partners is None else partners
    return Profile.model_validate(
        {
            "applicant": {"type": applicant},
            "partners": [p if isinstance(p, dict) else {"country": p} for p in given],
            "project": {"idea": "Gemeinsames Projekt mit der Partnerstadt."} | project,
        }
    )


def nakopa(**fields: Any) -> ProgrammeIn:
    """Nakopa as the SKEW pages describe it (curated by hand for these tests)."""
    rules = {
        "applicant_types": ["kommune", "landkreis"],
        "partner_rule": {"required": True, "lists": ["DAC"], "list_year": 2024},
        "min_partners": 1,
        "grant_min_eur": 50000,
        "grant_max_eur": 500000,
        "funding_rate": 0.9,
        "financing_type": "Anteilsfinanzierung",
        "own_funds": {"cash": True, "third_party": True, "land_cofunding": True, "in_kind": False},
        "admin_flat_rate": 0.07,
        "max_duration_months": 36,
    }
    evidence = {
        "funding_rate": {"quote": "gefördert werden bis zu 90 Prozent der zuwendungsfähigen Gesamtausgaben"},
        "partner_rule": {
            "quote": "Partnerkommune in einem Land der DAC-Liste",
            "url": "https://skew.example/nakopa",
        },
    }
    deadlines = [{"kind": "interest", "date": "2025-09-30"}, {"kind": "application", "date": "2025-12-15"}]
    base = {"id": "skew-nakopa", "title": "Nachhaltige Kommunalentwicklung durch Partnerschaftsprojekte"}
    return programme(
        rules, **(base | {"evidence": evidence, "deadlines": deadlines, "rhythm": "jährlich"} | fields)
    )


def kleinprojektefonds() -> ProgrammeIn:
    rules = {
        "applicant_types": ["kommune", "landkreis"],
        "partner_rule": {"required": False, "lists": ["DAC"]},
        "grant_min_eur": 1000,
        "grant_max_eur": 50000,
        "funding_rate": 0.9,
        "max_duration_months": 12,
    }
    return programme(rules, id="skew-kpf", title="Kleinprojektefonds Kommunale Entwicklungspolitik")


def one(rule: Any, prof: Profile, prog: ProgrammeIn) -> el.Check:
    return rule(prof, prog, CTX)


# --- applicant_type ---------------------------------------------------------------------------


def test_applicant_type_accepted():
    check = one(el.applicant_type, profile("landkreis"), nakopa())
    assert check.verdict == "eligible"
    assert check.evidence == "Antragsberechtigt: Kommunen und Landkreise"


def test_applicant_type_association_for_administrations_only_is_ineligible():
    check = one(el.applicant_type, profile("verein"), kleinprojektefonds())
    assert check.verdict == "ineligible"
    assert "nur Kommunen und Landkreise" in check.reason and "Vereine" in check.reason


def test_applicant_type_unknown_is_unclear():
    check = one(el.applicant_type, profile("verein"), programme())
    assert check.verdict == "unclear"
    assert "Vereine" in check.reason


# --- partner_country --------------------------------------------------------------------------


def test_partner_on_dac_list_is_eligible_with_quoted_evidence():
    check = one(el.partner_country, profile(partners=["Kenia"]), nakopa())
    assert check.verdict == "eligible"
    assert "Kenia" in check.reason
    assert check.evidence == "Partnerkommune in einem Land der DAC-Liste"
    assert check.source_url == "https://skew.example/nakopa"


def test_partner_outside_dac_list_is_ineligible_naming_country_list_and_year():
    check = one(el.partner_country, profile(partners=["FR"]), nakopa())
    assert check.verdict == "ineligible"
    assert "Frankreich" in check.reason and "DAC-Liste" in check.reason and "2024" in check.reason


def test_one_qualifying_partner_among_several_is_enough():
    check = one(el.partner_country, profile(partners=["FR", "KE"]), nakopa())
    assert check.verdict == "eligible"
    assert "Nicht zugelassen: Frankreich" in check.reason


def test_excluded_country_wins_over_open_list():
    prog = programme({"partner_rule": {"required": True, "excluded": ["RU"]}})
    assert one(el.partner_country, profile(partners=["RU"]), prog).verdict == "ineligible"
    assert one(el.partner_country, profile(partners=["PL"]), prog).verdict == "eligible"


def test_explicit_country_list():
    prog = programme({"partner_rule": {"required": True, "countries": ["PL"]}})
    assert one(el.partner_country, profile(partners=["Polen"]), prog).verdict == "eligible"
    check = one(el.partner_country, profile(partners=["CZ"]), prog)
    assert check.verdict == "ineligible" and "Polen" in check.reason


@pytest.mark.parametrize(
    ("required", "verdict"), [(True, "ineligible"), (False, "eligible"), (None, "unclear")]
)
def test_no_partner_depends_on_whether_one_is_required(required, verdict):
    prog = programme({"partner_rule": {"required": required, "lists": ["DAC"]}})
    check = one(el.partner_country, profile(partners=[]), prog)
    assert check.verdict == verdict
    if verdict != "eligible":
        assert "kein" in check.reason


def test_unknown_partner_rule_is_unclear():
    assert one(el.partner_country, profile(partners=["FR"]), programme()).verdict == "unclear"


def test_partner_without_country_is_unclear_not_ineligible():
    check = one(el.partner_country, profile(partners=[{"name": "Partnerstadt"}]), nakopa())
    assert check.verdict == "unclear"
    assert "Land" in check.reason


def test_misfit_partner_when_no_partner_is_required_is_unclear():
    check = one(el.partner_country, profile(partners=["FR"]), kleinprojektefonds())
    assert check.verdict == "unclear"
    assert "Frankreich" in check.reason


# --- partner_count (CERV Networks of Towns: >=4 applicants from >=4 countries) ----------------


def networks_of_towns() -> ProgrammeIn:
    rules = {
        "partner_rule": {"required": True, "lists": ["CERV_PARTICIPATING"]},
        "min_partners": 3,
        "min_countries": 4,
    }
    return programme(rules, level="eu")


def test_partner_count_counts_germany_among_the_countries():
    check = one(el.partner_count, profile(partners=["FR", "BE", "PL"]), networks_of_towns())
    assert check.verdict == "eligible"
    assert "4 Länder" in check.reason


def test_partner_count_too_few_partners_or_countries_is_ineligible():
    assert one(el.partner_count, profile(partners=["FR", "BE"]), networks_of_towns()).verdict == "ineligible"
    assert (
        one(el.partner_count, profile(partners=["FR", "FR", "BE"]), networks_of_towns()).verdict
        == "ineligible"
    )


def test_partner_count_with_a_partner_of_unknown_country_is_unclear():
    prof = profile(partners=["FR", "BE", {"name": "Partnerstadt"}])
    assert one(el.partner_count, prof, networks_of_towns()).verdict == "unclear"


def test_partner_count_without_stated_minimum_is_not_checked():
    assert one(el.partner_count, profile(), programme()) is None
    assert one(el.partner_count, profile(), kleinprojektefonds()) is None


# --- budget -----------------------------------------------------------------------------------


def test_budget_within_range_is_eligible():
    check = one(el.budget, profile(budget_eur=120000), nakopa())
    assert check.verdict == "eligible"
    assert "108.000 Euro" in check.reason
    assert check.evidence.startswith("gefördert werden bis zu 90 Prozent")
    assert check.source_url == URL  # evidence without its own URL falls back to the programme's


def test_budget_too_small_is_ineligible_naming_the_minimum():
    check = one(el.budget, profile(budget_eur=20000), nakopa())
    assert check.verdict == "ineligible"
    assert "zu klein" in check.reason and "50.000 Euro" in check.reason


def test_budget_above_maximum_is_eligible_but_capped():
    check = one(el.budget, profile(budget_eur=800000), nakopa())
    assert check.verdict == "eligible"
    assert "begrenzt" in check.reason and "500.000 Euro" in check.reason


def test_budget_missing_is_unclear():
    assert one(el.budget, profile(), nakopa()).verdict == "unclear"


def test_budget_with_unknown_rate_is_unclear_unless_even_full_funding_is_too_small():
    prog = programme({"grant_min_eur": 50000, "grant_max_eur": 100000})
    assert one(el.budget, profile(budget_eur=80000), prog).verdict == "unclear"
    assert one(el.budget, profile(budget_eur=30000), prog).verdict == "ineligible"


def test_budget_vollfinanzierung_without_rate_counts_as_full_rate():
    prog = programme({"financing_type": "Vollfinanzierung", "grant_min_eur": 1000, "grant_max_eur": 20000})
    check = one(el.budget, profile(budget_eur=10000), prog)
    assert check.verdict == "eligible" and "10.000 Euro" in check.reason


def test_budget_lump_sum_needs_participants():
    rules = {"financing_type": "Pauschale", "lump_sum_per_participant_eur": 100, "grant_max_eur": 60000}
    assert one(el.budget, profile(budget_eur=9000), programme(rules)).verdict == "unclear"
    check = one(el.budget, profile(budget_eur=9000, participants=70), programme(rules))
    assert check.verdict == "eligible" and "7.000 Euro" in check.reason


def test_budget_without_stated_limits_is_unclear():
    assert one(el.budget, profile(budget_eur=10000), programme({"funding_rate": 0.5})).verdict == "unclear"


def test_budget_of_no_grant_programme_is_not_judged():
    assert one(el.budget, profile(), programme({"no_grant": True})).verdict == "eligible"


# --- duration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "limit", "verdict"),
    [
        (24, 36, "eligible"),
        (36, 36, "eligible"),
        (48, 36, "ineligible"),
        (None, 36, "unclear"),
    ],
)
def test_duration(months, limit, verdict):
    prog = programme({"max_duration_months": limit})
    assert one(el.duration, profile(duration_months=months), prog).verdict == verdict


def test_duration_is_not_checked_without_a_stated_maximum():
    assert one(el.duration, profile(duration_months=24), programme({"max_duration_months": None})) is None


# --- deadline ---------------------------------------------------------------------------------


def with_deadlines(*deadlines: dict[str, Any], **fields: Any) -> ProgrammeIn:
    return programme(deadlines=list(deadlines), **fields)


def test_rolling_deadline_is_eligible():
    check = one(el.deadline, profile(), with_deadlines({"kind": "rolling"}))
    assert check.verdict == "eligible"


def test_future_deadline_beyond_preparation_time_is_eligible():
    check = one(el.deadline, profile(), with_deadlines({"kind": "application", "date": "2025-07-31"}))
    assert check.verdict == "eligible" and "31.07.2025" in check.reason


def test_deadline_closer_than_preparation_time_is_unclear():
    check = one(el.deadline, profile(), with_deadlines({"kind": "application", "date": "2025-06-10"}))
    assert check.verdict == "unclear" and "knapp" in check.reason


def test_two_stage_call_is_decided_by_the_sketch_date():
    sketch_past = with_deadlines(
        {"kind": "interest", "date": "2025-05-01"}, {"kind": "application", "date": "2025-09-30"}
    )
    assert one(el.deadline, profile(), sketch_past).verdict == "ineligible"
    sketch_open = with_deadlines(
        {"kind": "interest", "date": "2025-08-01"}, {"kind": "application", "date": "2025-09-30"}
    )
    check = one(el.deadline, profile(), sketch_open)
    assert check.verdict == "eligible" and "Interessenbekundung bis 01.08.2025" in check.reason


def test_past_deadlines_with_rhythm_expect_the_next_call():
    check = one(
        el.deadline,
        profile(),
        with_deadlines({"kind": "application", "date": "2024-10-15"}, rhythm="jährlich"),
    )
    assert check.verdict == "unclear"
    assert "nächste Ausschreibung" in check.reason and "jährlich" in check.reason


def test_past_deadlines_without_rhythm_ask_rather_than_exclude():
    check = one(el.deadline, profile(), with_deadlines({"kind": "application", "date": "2024-10-15"}))
    assert check.verdict == "unclear" and "abgelaufen" in check.reason and "nachfragen" in check.reason


def test_paused_programme_is_unclear_even_with_an_open_deadline():
    prog = with_deadlines({"kind": "application", "date": "2025-12-31"}, paused=True)
    assert one(el.deadline, profile(), prog).verdict == "unclear"


def test_no_deadline_known_is_unclear():
    assert one(el.deadline, profile(), programme()).verdict == "unclear"


def test_window_opening_later_is_eligible():
    prog = with_deadlines({"kind": "window", "date": "2025-09-01", "end": "2025-10-31"})
    assert one(el.deadline, profile(), prog).verdict == "eligible"


# --- special rules and no-grant programmes ----------------------------------------------------


def test_each_special_rule_asks_for_confirmation():
    rules = {
        "special_rules": [
            {"code": "joint_planning", "text": "Beide Partner planen gemeinsam."},
            {"code": "council_decision", "text": "Ein Ratsbeschluss liegt vor."},
        ]
    }
    checks = el.special_rules(profile(), programme(rules), CTX)
    assert [c.verdict for c in checks] == ["unclear", "unclear"]
    assert checks[1].criterion == "special_rule:council_decision"
    assert "Ratsbeschluss" in checks[1].reason


def test_no_grant_programme_says_there_is_no_money():
    (check,) = el.no_grant(profile(), programme({"no_grant": True}), CTX)
    assert check.verdict == "eligible" and "kein Geld" in check.reason
    assert el.no_grant(profile(), nakopa(), CTX) == []


# --- assess -----------------------------------------------------------------------------------


def test_assess_eligible_when_every_check_is():
    prog = kleinprojektefonds().model_copy(update={"deadlines": nakopa().deadlines})
    result = assess(profile(partners=["GH"], budget_eur=10000, duration_months=10), prog, CTX)
    assert result.verdict == "eligible", [c.reason for c in result.checks if c.verdict != "eligible"]


def test_assess_unclear_when_a_check_is_unclear():
    result = assess(profile(budget_eur=120000, duration_months=24), nakopa(rhythm=None, deadlines=[]), CTX)
    assert result.verdict == "unclear"
    assert {c.criterion for c in result.checks if c.verdict == "unclear"} == {"deadline"}


def test_missing_facts_never_give_ineligible():
    result = assess(profile("verein", partners=[]), programme(), CTX)
    assert result.verdict == "unclear"
    assert all(c.verdict != "ineligible" for c in result.checks)


def test_checks_serialise_for_the_api():
    check = assess(profile(), nakopa(), CTX).checks[0]
    assert set(check.as_dict()) == {"criterion", "verdict", "reason", "evidence", "source_url"}


# --- the adviser's dev cases (/work/shared/eval/dev_cases.yaml) -------------------------------


def test_de1_association_to_kleinprojektefonds_is_ineligible():
    prof = profile("verein", partners=[], budget_eur=9000)
    result = assess(prof, kleinprojektefonds(), CTX)
    assert result.verdict == "ineligible"
    assert [c.criterion for c in result.checks if c.verdict == "ineligible"] == ["applicant_type"]


def test_de2_french_partner_to_nakopa_is_ineligible():
    result = assess(profile("verein", partners=[{"country": "FR", "type": "verein"}]), nakopa(), CTX)
    assert result.verdict == "ineligible"
    failing = {c.criterion for c in result.checks if c.verdict == "ineligible"}
    assert failing == {"applicant_type", "partner_country"}


def test_de3_kenyan_partner_to_nakopa_is_not_ineligible():
    prof = profile(partners=[{"country": "KE", "type": "kommune"}], budget_eur=120000, duration_months=24)
    result = assess(prof, nakopa(), CTX)
    assert result.verdict != "ineligible"
    assert all(c.verdict == "eligible" for c in result.checks)


# --- applicant_state and how special rules count ---------------------------------------------


def test_applicant_state_paths():
    nrw_only = programme(states=["NW"])
    at_home = Profile.model_validate({"applicant": {"type": "kommune", "state": "NW"}, "project": {"idea": "x"}})
    elsewhere = Profile.model_validate({"applicant": {"type": "kommune", "state": "BY"}, "project": {"idea": "x"}})
    assert el.applicant_state(at_home, nrw_only, CTX).verdict == "eligible"
    check = el.applicant_state(elsewhere, nrw_only, CTX)
    assert check.verdict == "ineligible" and "Nordrhein-Westfalen" in check.reason and "Bayern" in check.reason
    assert el.applicant_state(profile(), nrw_only, CTX).verdict == "unclear"
    assert el.applicant_state(at_home, programme(), CTX) is None


def test_special_rules_are_listed_but_do_not_decide_the_verdict():
    rules = {"applicant_types": ["kommune"], "special_rules": [{"code": "partnership_agreement",
                                                                "text": "Eine Partnerschaftsvereinbarung ist nötig."}]}
    checks = (el.Check("applicant_type", "eligible", "ok"),) + tuple(el.special_rules(profile(), programme(rules), CTX))
    assert checks[-1].verdict == "unclear" and "Partnerschaftsvereinbarung" in checks[-1].reason
    assert el.combine(checks) == "eligible"
    assert el.combine(checks + (el.Check("deadline", "unclear", "?"),)) == "unclear"
