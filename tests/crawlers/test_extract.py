"""Fact extraction: tricky wordings, the labelled set of real snippets with a quality floor, robustness."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers import extract as ex
from crawlers.extract.text import normalise, parse_number, sentences
from crawlers.extract_eval import evaluate, load_cases

HERE = Path(__file__).parent
CASES = HERE / "extract_cases.yaml"
HOLDOUT = HERE / "extract_holdout.yaml"
REFERENCE = HERE.parents[2] / "shared" / "reference"
AS_OF = dt.date(2025, 6, 1)


def value(fact):
    return None if fact is None else fact.value


def grant(text: str) -> tuple[float | None, float | None]:
    low, high = ex.extract_grant_range(text)
    return value(low), value(high)


def deadlines(text: str, as_of: dt.date = AS_OF) -> list[tuple[str, dt.date | None, dt.date | None]]:
    return [(d.kind, d.date, d.end) for d, _ in ex.extract_deadlines(text, as_of=as_of)]


# ---------------------------------------------------------------- numbers and amounts
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.000", 1000),
        ("2,5", 2.5),
        ("8,455", 8455),
        ("15.000,00", 15000),
        ("1.5", 1.5),
        ("50 000", 50000),
        ("3.200.000", 3_200_000),
        ("30000", 30000),
    ],
)
def test_parse_number_reads_german_and_english_separators(raw: str, expected: float) -> None:
    assert parse_number(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Die Förderung liegt zwischen 1.000 und 20.000 Euro.", (1000, 20000)),
        ("Zuschüsse bis zu 50 000 € je Projekt.", (None, 50000)),
        ("Gefördert werden Vorhaben mit bis zu 2,5 Mio. Euro.", (None, 2_500_000)),
        ("maximal EUR 10.000", (None, 10000)),
        ("Zuschuss ab 2.001 Euro", (2001, None)),
        ("Der Zuschuss beträgt EUR 60 000.", (None, 60000)),
        ("Global-Programme: 1 - 5 Mio. Euro", (1_000_000, 5_000_000)),
        ("Vorhaben ab 50 Tsd. Euro", (50000, None)),
        ("Grants of up to €50,000 per project.", (None, 50000)),
        ("Cohort 2 offered up to €1.5 M per pilot", (None, 1_500_000)),
        ("Zwischen 1.000 und 20.000 Euro bzw. bis zu 50.000 Euro für Partnerschaftsprojekte", (1000, 50000)),
    ],
)
def test_grant_range_formats(text: str, expected: tuple[float | None, float | None]) -> None:
    assert grant(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Das Programmvolumen beträgt 180.000 Euro.",
        "Gefördert werden bis zu 950 Euro pro Person.",
        "Gesamtkosten max. 30.000 EUR.",
        "Bewilligungen z.B. 1.000 EUR bei 3.580 EUR Gesamtkosten.",
        "Kleinere Kommunen (unter 20.000 Einwohnern) stellen Gruppenanträge.",
        "Förderung 100.000 PLN.",
    ],
)
def test_budgets_costs_rates_per_person_and_examples_are_not_grants(text: str) -> None:
    assert grant(text) == (None, None)


def test_grant_fact_carries_its_sentence() -> None:
    low, high = ex.extract_grant_range(
        "Einleitung ohne Zahlen. Die Förderung beträgt höchstens 5.000 Euro. Ende."
    )
    assert low is None and high is not None
    assert high.quote == "Die Förderung beträgt höchstens 5.000 Euro."


# ---------------------------------------------------------------- rates and financing
@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("Gefördert werden bis zu 90 Prozent der zuwendungsfähigen Gesamtausgaben.", 0.9),
        ("Die Ko-Finanzierungsrate beträgt 90%.", 0.9),
        ("bis zu 90-prozentige Anteilsfinanzierung", 0.9),
        ("höchstens 75 Prozent der förderungsfähigen Gesamtausgaben", 0.75),
        ("Der Antragsteller trägt einen Eigenanteil von mindestens 10 %.", 0.9),
        ("Der Anteil der Eigenfinanzierung beträgt 25 Prozent.", 0.75),
        ("Der Zuschuss wird als Vollfinanzierung gewährt.", 1.0),
        ("Co-financing up to 60% of eligible costs in general, up to 75% for nature projects.", 0.6),
    ],
)
def test_funding_rate_as_fraction(text: str, rate: float) -> None:
    assert value(ex.extract_funding_rate(text)) == pytest.approx(rate)


@pytest.mark.parametrize(
    "text",
    [
        "Zusätzlich Verwaltungskostenpauschale von maximal 7 Prozent auf die Projektausgaben.",
        "Der Zuschuss vermindert sich jährlich um 10 Prozent.",
        "Abschlagszahlung bis 80 % der Planungssumme.",
        "36% of the payload is metadata.",
    ],
)
def test_percentages_that_are_not_funding_rates(text: str) -> None:
    assert ex.extract_funding_rate(text) is None


def test_admin_flat_rate() -> None:
    assert value(ex.extract_admin_flat_rate("Verwaltungskostenpauschale von maximal 7 Prozent")) == 0.07


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Die Förderung erfolgt im Wege einer Anteilsfinanzierung.", "Anteilsfinanzierung"),
        ("Anteilfinanzierung: gefördert werden bis zu 90 Prozent", "Anteilsfinanzierung"),
        ("Gewährt wird eine Fehlbedarfsfinanzierung.", "Fehlbedarfsfinanzierung"),
        ("(Festbetragsfinanzierung)", "Festbetrag"),
        ("als Vollfinanzierung gewährt", "Vollfinanzierung"),
        ("The call is a lump sum call.", "Pauschale"),
        ("Verwaltungskostenpauschale von 7 %; die Förderung ist eine Festbetragsfinanzierung.", "Festbetrag"),
    ],
)
def test_financing_type(text: str, kind: str) -> None:
    assert value(ex.extract_financing_type(text)) == kind


def test_admin_flat_rate_is_no_lump_sum() -> None:
    assert ex.extract_financing_type("Verwaltungskostenpauschale von maximal 7 Prozent") is None


def test_own_funds_kinds_and_negation() -> None:
    text = (
        "Mindestens 10 Prozent müssen in Form von Eigen- und/oder Drittmitteln erbracht werden. "
        "Kofinanzierungen aus Landesmitteln können auf den Eigenanteil angerechnet werden. "
        "Unbare Eigenleistungen sind grundsätzlich nicht anrechenbar."
    )
    assert value(ex.extract_own_funds(text)) == {
        "cash": True,
        "third_party": True,
        "land_cofunding": True,
        "in_kind": False,
    }


def test_own_funds_needs_a_financing_context_for_bare_third_party_money() -> None:
    assert ex.extract_own_funds("Entscheidung durch die Geschäftsstelle (Drittmittel bis 6.000 EUR).") is None
    assert ex.extract_own_funds("Kommunalverwaltungen inklusive ihrer Eigen- und Regiebetriebe") is None


# ---------------------------------------------------------------- applicants and partners
@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Antragsberechtigt sind Kommunalverwaltungen.", ["kommune", "landkreis"]),  # Kreise are Kommunen too
        ("Antragsberechtigt sind Städte, Gemeinden und Landkreise.", ["landkreis", "kommune"]),
        ("Antragsberechtigt sind Vereine und gemeinnützige Organisationen.", ["ngo", "verein"]),
        ("Antragsberechtigt sind Schulen und Hochschulen.", ["hochschule", "schule"]),
        (
            "Eligible applicants are local authorities, public bodies and non-profit organisations.",
            ["ngo", "kommune", "landkreis"],
        ),
        (
            "Antragsberechtigt sind kommunale Spitzenverbände und kommunale Unternehmen.",
            ["kommunaler_spitzenverband", "kommunales_unternehmen"],
        ),
    ],
)
def test_applicant_types(text: str, codes: list[str]) -> None:
    assert sorted(value(ex.extract_applicant_types(text))) == sorted(codes)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Kommunen sind nicht antragsberechtigt.", []),
        ("Die Kommunen im Globalen Süden profitieren vom Austausch.", []),  # nobody is said to apply
        (
            "Antragsberechtigt sind Kommunen in Deutschland; Partnerschaftsvereine als Kooperationspartner.",
            ["kommune", "landkreis"],
        ),
    ],
)
def test_applicant_types_not_from_negations_mentions_or_partners(text: str, codes: list[str]) -> None:
    assert (value(ex.extract_applicant_types(text)) or []) == codes


def test_partner_side_municipalities_are_not_applicants() -> None:
    text = "Antragsberechtigt: Partnerschaftsprojekte mit Kommunen aus dem Globalen Süden."
    assert ex.extract_applicant_types(text) is None


@pytest.mark.parametrize(
    ("text", "lists"),
    [
        ("Partnerkommune in einem Land der DAC-Liste", ["DAC"]),
        (
            "Partner in einem Land, das von der OECD als Empfängerland öffentlicher Entwicklungsgelder "
            "definiert ist",
            ["DAC"],
        ),
        ("Partnerschaften mit Kommunen im Globalen Süden", ["DAC"]),
        ("Partner aus mindestens zwei EU-Mitgliedstaaten", ["EU27"]),
        ("Partner aus Erasmus+-Programmländern", ["ERASMUS_PROGRAMME"]),
        (
            "legal entities in EU member states or in countries associated to CERV",
            ["EU27", "CERV_PARTICIPATING"],
        ),
    ],
)
def test_partner_lists(text: str, lists: list[str]) -> None:
    assert value(ex.extract_partner_rule(text)).lists == lists


def test_partner_countries_german_english_and_exclusions() -> None:
    rule = value(
        ex.extract_partner_rule(
            "Begegnungen mit Partnern in Polen, Tschechien und der Ukraine; "
            "keine Projekte mit Russland und Belarus."
        )
    )
    assert rule.countries == ["PL", "CZ", "UA"] and rule.excluded == ["RU", "BY"]
    english = value(ex.extract_partner_rule("Cities from Norway, Switzerland and Moldova were invited."))
    assert english.countries == ["NO", "CH", "MD"]


def test_germany_is_never_the_partner_and_land_codes_are_not_countries() -> None:
    rule = value(ex.extract_partner_rule("Deutschland (BW, BY) - Österreich; grenzüberschreitende Partner"))
    assert rule.countries == ["AT"]
    assert value(ex.extract_partner_rule("deutsch-polnische Partnerschaften")).countries == ["PL"]


def test_minimum_partners_and_countries() -> None:
    text = "Networks need at least 5 municipalities from at least 3 countries."
    assert value(ex.extract_min_partners(text)) == 5
    assert value(ex.extract_min_countries(text)) == 3
    assert value(ex.extract_min_countries("Partner aus mindestens zwei Ländern")) == 2
    assert ex.extract_min_partners("events with at least 50 direct participants") is None


# ---------------------------------------------------------------- deadlines, state, duration
def test_german_iso_and_numeric_dates() -> None:
    assert deadlines("Anträge bis zum 30. September 2026 einreichen.") == [
        ("application", dt.date(2026, 9, 30), None)
    ]
    assert deadlines("Frist: 31.07.2023") == [("application", dt.date(2023, 7, 31), None)]
    assert deadlines("Deadline: 2026-03-05") == [("application", dt.date(2026, 3, 5), None)]
    assert deadlines("Deadline 16 September 2025, 17:00 Brussels time") == [
        ("application", dt.date(2025, 9, 16), None)
    ]


def test_two_stage_procedure_gives_interest_then_application() -> None:
    text = "Interessenbekundung bis 31. Juli 2023; Antrag bis spätestens 30. September 2023."
    assert deadlines(text) == [
        ("interest", dt.date(2023, 7, 31), None),
        ("application", dt.date(2023, 9, 30), None),
    ]
    assert deadlines("Antragsentwurf bis 31. März 2026, Antrag bis 30. Juni 2026")[0][0] == "interest"


def test_window_and_year_left_out() -> None:
    assert deadlines("Bewerbung vom 1. Juli bis zum 30. September") == [
        ("window", dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    ]
    found = ex.extract_deadlines("Anträge bis zum 15. Oktober.", as_of=dt.date(2025, 11, 1))
    assert [(d.kind, d.date) for d, _ in found] == [("application", dt.date(2026, 10, 15))]
    assert "Jahr nicht angegeben" in (found[0][0].note or "")  # no crawl date in it: no daily new version


def test_an_open_window_stays_this_year() -> None:
    assert deadlines("Bewerbung vom 1. Juli bis 30. September", as_of=dt.date(2025, 8, 1)) == [
        ("window", dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    ]


@pytest.mark.parametrize("word", ["laufend", "jederzeit", "ganzjährig", "fortlaufend"])
def test_rolling(word: str) -> None:
    assert deadlines(f"Anträge können {word} gestellt werden.") == [("rolling", None, None)]


def test_rolling_until_a_date() -> None:
    assert deadlines("Anträge können laufend noch bis zum 15. Oktober eingereicht werden") == [
        ("rolling", None, dt.date(2025, 10, 15))
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Beginn frühestens 1. Januar 2025, Ende spätestens 30. Juni 2028",
        "Projektantrag mindestens drei Monate vor Beginn der Projektlaufzeit",
        "Publication of the call: 22/02/2024",
        "Förderung im laufenden Jahr",
    ],
)
def test_project_periods_lead_times_and_publication_dates_are_not_deadlines(text: str) -> None:
    assert deadlines(text) == []


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Die Frist zur Einreichung von Förderanträgen ist abgelaufen.", "closed"),
        ("Wegen vorläufiger Haushaltsführung sind neue Maßnahmen nur sehr beschränkt möglich.", "paused"),
        ("Das Förderfenster ist derzeit geschlossen.", "paused"),
        ("Die Förderung steht unter dem Vorbehalt der Verfügbarkeit von Haushaltsmitteln.", None),
    ],
)
def test_call_state(text: str, state: str | None) -> None:
    assert value(ex.extract_call_state(text)) == state


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Die Projekte dürfen eine maximale Laufzeit von bis zu 24 Monaten nicht überschreiten.", 24),
        ("max. 12 Monate", 12),
        ("Die Laufzeit beträgt maximal bis zu drei Jahren.", 36),
        ("Projects last up to 24 months.", 24),
        ("drei Jahren und drei Monaten, also insgesamt 39 Monaten", 39),
        ("Teilnehmende 16-30 Jahre; max. 12 Monate", 12),
    ],
)
def test_duration_in_months(text: str, months: int) -> None:
    assert value(ex.extract_duration(text)) == months


@pytest.mark.parametrize(
    "text", ["Teilnehmende 16-30 Jahre", "mindestens drei Monate vor Projektbeginn", "at least 18 months"]
)
def test_ages_lead_times_and_minimums_are_not_durations(text: str) -> None:
    assert ex.extract_duration(text) is None


# ---------------------------------------------------------------- combined extraction
def test_extract_rules_builds_rules_deadlines_and_evidence() -> None:
    text = (
        "Antragsberechtigt sind Kommunalverwaltungen. Partnerkommune in einem Land der DAC-Liste. "
        "Die Förderung erfolgt im Wege einer Anteilsfinanzierung. Gefördert werden bis zu 90 Prozent der "
        "zuwendungsfähigen Gesamtausgaben, zwischen 50.000 und 250.000 Euro. "
        "Interessenbekundung bis 31. Juli 2026; Antrag bis 30. September 2026. "
        "Die Bekanntmachung erfolgt jährlich. Die Aufrufe werden jährlich veröffentlicht."
    )
    result = ex.extract_rules(text, "https://example.org/nakopa", as_of=AS_OF)
    rules = result.rules
    assert rules.applicant_types == ["kommune", "landkreis"] and rules.partner_rule.lists == ["DAC"]
    assert (rules.grant_min_eur, rules.grant_max_eur, rules.funding_rate) == (50000, 250000, 0.9)
    assert rules.financing_type == "Anteilsfinanzierung"
    assert [d.kind for d in result.deadlines] == ["interest", "application"]
    assert result.rhythm == "jährlich" and result.paused is False and result.call_state is None
    assert result.evidence["funding_rate"].url == "https://example.org/nakopa"
    assert "90 Prozent" in result.evidence["funding_rate"].quote


def test_extract_rules_marks_a_budget_freeze_as_paused() -> None:
    text = "Wegen vorläufiger Haushaltsführung sind neue Maßnahmen nur sehr beschränkt möglich."
    result = ex.extract_rules(text, None, as_of=AS_OF)
    assert result.paused and result.call_state == "paused" and "paused" in result.evidence


def test_facts_are_frozen_and_quotes_short() -> None:
    fact = ex.extract_funding_rate("Gefördert werden bis zu 90 Prozent der Kosten. " + "Langer Text " * 60)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.value = 0.5  # type: ignore[misc]
    long_sentence = "Gefördert werden " + "sehr " * 100 + "bis zu 90 Prozent der Kosten."
    assert len(ex.extract_funding_rate(long_sentence).quote) <= 300


def test_sentences_keep_abbreviations_and_dates_together() -> None:
    assert sentences("Bis 30. September 2023 z.B. bei max. 5 Mio. Euro. Neuer Satz.") == [
        "Bis 30. September 2023 z.B. bei max. 5 Mio. Euro.",
        "Neuer Satz.",
    ]


# ---------------------------------------------------------------- labelled real snippets
def _scores(path: Path):
    cases, as_of = load_cases(path)
    return cases, evaluate(cases, as_of)


def test_labelled_set_is_large_and_covers_every_source() -> None:
    cases, _ = load_cases(CASES)
    assert len(cases) >= 70
    assert len({c["id"] for c in cases}) == len(cases)
    sources = {c["source"].split("/")[0] for c in cases}
    assert {
        "programmes-skew.yaml",
        "programmes-laender.yaml",
        "eu-portal.md",
        "eu",
        "foerderdatenbank",
    } <= sources


def _plain(text: str) -> str:
    """Source text as a reader sees it: markup, comment markers and emphasis gone, spaces collapsed."""
    text = html.unescape(html.unescape(text))
    text = re.sub(r"<script.*?</script>|<!\[CDATA\[|\]\]>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"(?m)^\s*#+ ?", " ", text)
    return re.sub(r"\s+", " ", normalise(text).replace("\n", " "))


@pytest.mark.parametrize("path", [CASES, HOLDOUT], ids=["labelled", "holdout"])
def test_every_snippet_is_verbatim_from_its_source(path: Path) -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference texts not found at {REFERENCE}")
    cases, _ = load_cases(path)
    sources = {
        c["source"]: _plain((REFERENCE / c["source"]).read_text(encoding="utf-8", errors="replace"))
        for c in cases
    }
    missing = [c["id"] for c in cases if _plain(c["text"]) not in sources[c["source"]]]
    assert missing == []


def test_labelled_set_quality_floor() -> None:
    """Per fact type with at least 5 labels; the floor sits a little below what the extractors reach."""
    _, scores = _scores(CASES)
    weak = {
        name: (round(s.precision, 2), round(s.recall, 2))
        for name, s in scores.items()
        if s.support >= 5 and (s.precision < 0.8 or s.recall < 0.8)
    }
    assert weak == {}


def test_holdout_quality_floor() -> None:
    """Snippets the rules were not written against: overall precision and recall over all atoms."""
    _, scores = _scores(HOLDOUT)
    tp = sum(s.tp for s in scores.values())
    precision = tp / (tp + sum(s.fp for s in scores.values()))
    recall = tp / (tp + sum(s.fn for s in scores.values()))
    assert precision >= 0.9 and recall >= 0.8


# ---------------------------------------------------------------- robustness
_TOKENS = st.sampled_from(
    [
        "bis zu",
        "zwischen",
        "und",
        "ab",
        "maximal",
        "Euro",
        "EUR",
        "€",
        "Mio.",
        "Tsd.",
        "Prozent",
        "%",
        "-",
        "–",
        "Eigenanteil",
        "Antragsberechtigt sind",
        "Kommunen",
        "laufend",
        "Frist",
        "31.",
        "Juli",
        "2026",
        "30.6.",
        "Monate",
        "Jahre",
        "mindestens",
        "Partner",
        "Polen",
        "DAC-Liste",
        "Interessenbekundung",
        ".",
        ",",
        ";",
        "0",
        "00",
        "999",
        "1.000",
        "2,5",
        "100",
        "101",
        "29. Februar",
        "vom",
        "Laufzeit",
        "(",
        ")",
        "\n",
        "z.B.",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_TOKENS | st.text(max_size=6), max_size=60).map(" ".join)))
def test_extractors_never_raise_and_stay_in_range(text: str) -> None:
    result = ex.extract_rules(text, "https://example.org", as_of=AS_OF)  # validates Rules and Deadlines
    rate = result.rules.funding_rate
    assert rate is None or 0 < rate <= 1
    assert all(x is None or x >= 0 for x in (result.rules.grant_min_eur, result.rules.grant_max_eur))
    assert result.rules.admin_flat_rate is None or 0 <= result.rules.admin_flat_rate <= 1
    assert all(len(e.quote) <= 300 for e in result.evidence.values())
    low, high = ex.extract_grant_range(text)
    assert all(f is None or f.value >= 0 for f in (low, high))
