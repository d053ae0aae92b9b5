"""Own contribution arithmetic, the note on countable money, and co-funding hints."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.schema import ProgrammeIn
from matcher.contribution import cofunding_candidates, own_contribution
from matcher.profile import Profile

ALL_FUNDS = {"cash": True, "third_party": True, "land_cofunding": True, "in_kind": False}


def programme(rules: dict[str, Any] | None = None, **fields: Any) -> ProgrammeIn:
    base: dict[str, Any] = {
        "id": "test-programm",
        "source": "curated",
        "url": "https://example.org/programm",
        "title": "Testprogramm",
        "funder": "Testgeber",
        "level": "bund",
        "summary": "Ein Programm, das nur für Tests existiert und nichts fördert.",
        "rules": rules or {},
    }
    return ProgrammeIn.model_validate(base | fields)


def profile(applicant: str = "kommune", partners: tuple[str, ...] = ("KE",), **project: Any) -> Profile:
    return Profile.model_validate(
        {
            "applicant": {"type": applicant},
            "partners": [{"country": c} for c in partners],
            "project": {"idea": "Gemeinsames Projekt mit der Partnerstadt."} | project,
        }
    )


def nakopa(**rules: Any) -> ProgrammeIn:
    base = {
        "applicant_types": ["kommune", "landkreis"],
        "partner_rule": {"required": True, "lists": ["DAC"]},
        "grant_min_eur": 50000,
        "grant_max_eur": 500000,
        "funding_rate": 0.9,
        "financing_type": "Anteilsfinanzierung",
        "own_funds": ALL_FUNDS,
        "admin_flat_rate": 0.07,
    }
    return programme(base | rules, id="skew-nakopa", title="Nakopa")


# --- own_contribution -------------------------------------------------------------------------


def test_nakopa_120000_at_90_percent():
    oc = own_contribution(profile(budget_eur=120000), nakopa())
    assert (oc.eligible_costs_eur, oc.grant_eur, oc.own_eur, oc.rate) == (120000, 108000, 12000, 0.9)
    assert "108.000 Euro" in oc.note and "12.000 Euro" in oc.note


def test_note_names_countable_money_and_the_admin_flat_rate_assumption():
    note = own_contribution(profile(budget_eur=120000), nakopa()).note
    assert "Auf den Eigenanteil anrechenbar: Eigenmittel, Drittmittel und Landesmittel." in note
    assert "Nicht anrechenbar: unbare Eigenleistungen." in note
    assert "Verwaltungskostenpauschale von bis zu 7 %" in note and "8.400 Euro" in note


def test_unstated_kinds_of_money_are_named_as_not_stated():
    note = own_contribution(profile(budget_eur=10000), programme({"funding_rate": 0.5})).note
    assert "Nicht angegeben: Eigenmittel, Drittmittel, Landesmittel und unbare Eigenleistungen." in note


def test_budget_above_maximum_caps_the_grant():
    oc = own_contribution(profile(budget_eur=800000), nakopa())
    assert (oc.grant_eur, oc.own_eur) == (500000, 300000)
    assert "Höchstbetrag" in oc.note


def test_grant_below_minimum_is_flagged():
    oc = own_contribution(profile(budget_eur=20000), nakopa())
    assert oc.grant_eur == 18000
    assert "Mindestbetrag von 50.000 Euro" in oc.note


def test_vollfinanzierung_leaves_no_own_share():
    oc = own_contribution(profile(budget_eur=15000), programme({"financing_type": "Vollfinanzierung"}))
    assert (oc.grant_eur, oc.own_eur, oc.rate) == (15000, 0, 1.0)


def test_lump_sum_per_participant():
    rules = {"financing_type": "Pauschale", "lump_sum_per_participant_eur": 100, "grant_max_eur": 60000}
    oc = own_contribution(profile(budget_eur=10000, participants=70), programme(rules))
    assert (oc.grant_eur, oc.own_eur, oc.rate) == (7000, 3000, None)
    assert "70 Personen" in oc.note


def test_lump_sum_is_capped_and_needs_participants():
    rules = {"financing_type": "Festbetrag", "lump_sum_per_participant_eur": 100, "grant_max_eur": 5000}
    assert own_contribution(profile(participants=70), programme(rules)).grant_eur == 5000
    oc = own_contribution(profile(budget_eur=10000), programme(rules))
    assert (oc.grant_eur, oc.own_eur) == (None, None)
    assert "Teilnehmendenzahl" in oc.note


def test_no_budget_gives_no_amounts_and_says_what_to_enter():
    oc = own_contribution(profile(), nakopa())
    assert (oc.eligible_costs_eur, oc.grant_eur, oc.own_eur) == (None, None, None)
    assert "Gesamtbudget" in oc.note


def test_unknown_rate_gives_no_amounts():
    oc = own_contribution(profile(budget_eur=50000), programme({"grant_max_eur": 100000}))
    assert (oc.grant_eur, oc.own_eur, oc.rate) == (None, None, None)
    assert "Förderquote" in oc.note


def test_no_grant_programme_pays_nothing_and_has_no_own_share():
    oc = own_contribution(profile(budget_eur=5000), programme({"no_grant": True}))
    assert (oc.grant_eur, oc.own_eur) == (0, None)
    assert "Kein Zuschuss" in oc.note


def test_contribution_serialises_for_the_api():
    keys = set(own_contribution(profile(), nakopa()).as_dict())
    assert keys == {"eligible_costs_eur", "grant_eur", "own_eur", "rate", "note"}


# --- cofunding_candidates ---------------------------------------------------------------------


def land(
    pid: str, level: str = "land", applicants: list[str] | None = None, **partner_rule: Any
) -> ProgrammeIn:
    rule = partner_rule or {"required": True, "lists": ["DAC"]}
    rules = {"applicant_types": applicants or ["kommune"], "partner_rule": rule, "funding_rate": 0.5}
    return programme(rules, id=pid, level=level)


CATALOGUE = [
    land("bund-programm", level="bund"),
    land("land-nur-vereine", applicants=["verein"]),
    land("land-nur-eu", lists=["EU27"], required=True),
    programme({"applicant_types": ["kommune"]}, id="land-partner-unbekannt", level="land"),
    land("land-dac"),
    land("stiftung-dac", level="stiftung"),
    land("stiftung-alle", level="stiftung", required=True),
    land("land-zweites", required=True, countries=["KE"]),
]


def test_large_own_share_suggests_fitting_land_and_foundation_programmes():
    ids = cofunding_candidates(profile(budget_eur=300000), nakopa(), CATALOGUE)
    assert ids == ["land-dac", "stiftung-dac", "stiftung-alle"]


def test_share_of_twenty_percent_counts_as_large():
    prog = nakopa(funding_rate=0.75, grant_min_eur=1000)
    assert cofunding_candidates(profile(budget_eur=40000), prog, CATALOGUE) != []


def test_small_own_share_gives_no_hint():
    assert cofunding_candidates(profile(budget_eur=120000), nakopa(), CATALOGUE) == []


@pytest.mark.parametrize("funds", [{"cash": True, "in_kind": True}, {}])
def test_no_hint_when_land_or_third_party_money_may_not_count(funds):
    assert cofunding_candidates(profile(budget_eur=300000), nakopa(own_funds=funds), CATALOGUE) == []


def test_no_hint_without_budget():
    assert cofunding_candidates(profile(), nakopa(), CATALOGUE) == []
