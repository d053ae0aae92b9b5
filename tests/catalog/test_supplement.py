"""Curated supplements fill the gaps of crawled programmes and never overwrite what the source states."""

from catalog.supplement import fill_gaps
from tests.factories import programme


def test_gaps_filled_stated_facts_kept() -> None:
    curated = programme(
        rules={"funding_rate": 0.9, "applicant_types": ["kommune"], "own_funds": {"cash": True, "in_kind": False}},
        rhythm="jährlich", source_urls=["https://example.org/kuratiert"],
        evidence={"applicant_types": {"quote": "Antragsberechtigt sind Kommunen", "url": "https://example.org/k"},
                  "funding_rate": {"quote": "bis zu 90 Prozent", "url": "https://example.org/k"}},
    )
    crawled = programme(source="skew", rules={"funding_rate": 0.8, "own_funds": {"cash": True}},
                        evidence={"funding_rate": {"quote": "bis zu 80 Prozent", "url": "https://example.org/neu"}})
    merged = fill_gaps(crawled, curated)
    assert merged.rules.funding_rate == 0.8 and merged.evidence["funding_rate"].quote == "bis zu 80 Prozent"
    assert merged.rules.applicant_types == ["kommune"] and merged.evidence["applicant_types"].url == "https://example.org/k"
    assert merged.rules.own_funds == {"cash": True, "in_kind": False}
    assert merged.rhythm == "jährlich" and "https://example.org/kuratiert" in merged.source_urls
    assert merged.supplemented == ["rules.applicant_types", "rules.own_funds", "rhythm"]
    assert merged.source == "skew"
    assert merged.curated_description.startswith(curated.summary) and merged.text == crawled.text


def test_without_supplement_nothing_changes() -> None:
    crawled = programme(source="skew")
    assert fill_gaps(crawled, None) is crawled
