"""The EU portal source: real captures parse, filtering, de-duplication, paging, the multipart query, ids."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from catalog.status import status
from crawlers.base import Page, SourceConfig, SourceError
from crawlers.eu_portal import EuPortalSource, parse_results, to_programme, topic_budget, topic_deadlines, topic_id
from crawlers.eu_search import SearchOptions, deduplicate, first, json_field, parse_page, search_query, strings, wanted
from tests.sites.build_eu_search import CAPTURE, RECONSTRUCTED, TARGET, build

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = CAPTURE.parent
CONFIG = yaml.safe_load((ROOT / "config" / "sources.yaml").read_text())["eu_portal"]
OPTIONS = SearchOptions.from_config(SourceConfig(name="eu_portal", **CONFIG))
TODAY = dt.date(2024, 3, 1)  # the reconstructed CERV topics are open then
TT, NT = "CERV-2024-CITIZENS-TOWN-TT", "CERV-2024-CITIZENS-TOWN-NT"


def real_results() -> list[dict[str, Any]]:
    return parse_page(CAPTURE.read_bytes(), 100).results


def cerv(identifier: str) -> dict[str, Any]:
    rows = json.loads(RECONSTRUCTED.read_bytes())["results"]
    return copy.deepcopy(next(r for r in rows if r["reference"] == identifier))


def with_horizon(**changes: Any) -> SearchOptions:
    options = SearchOptions.from_config(SourceConfig(name="eu_portal", **copy.deepcopy(CONFIG)))
    programmes = {**options.programmes, "HORIZON": "43108390"}
    return SearchOptions(**{**options.__dict__, "programmes": programmes, **changes})


def test_the_fixture_answer_is_built_from_the_captures() -> None:
    assert TARGET.read_bytes() == build(), "run tests/sites/build_eu_search.py"


def test_the_real_raw_capture_parses_with_its_json_in_string_fields() -> None:
    page = parse_page(CAPTURE.read_bytes(), 100)
    assert (len(page.results), page.total, page.page_size) == (5, 21030, 5)
    topics = [r["metadata"] for r in page.results if first(r["metadata"], "type") == "1"]
    assert [first(m, "language") for m in topics] == ["sv", "cs", "en"]
    for meta in topics:
        actions, budget, infos = (json_field(meta, n) for n in ("actions", "budgetOverview", "latestInfos"))
        assert actions[0]["status"] == {"id": 31094503, "abbreviation": "Closed", "description": "Closed"}
        assert len(budget["budgetTopicActionMap"]) == 7 and "HORIZON-CL4-2025-04" in infos[0]["content"]


def test_the_second_real_capture_holds_only_grant_updates_and_none_is_wanted() -> None:
    page = parse_page((CAPTURES / "sedia-search_text-identifier_api-2.143.3.json").read_bytes(), 10)
    assert len(page.results) == 10 and {first(r["metadata"], "type") for r in page.results} == {"6"}
    everything = with_horizon(statuses=("31094501", "31094502", "31094503"))
    assert not any(wanted(r, everything) for r in page.results)


def test_status_and_programme_are_filtered_on_the_client() -> None:
    assert parse_results(real_results(), OPTIONS, today=TODAY).programmes == []  # Horizon, closed
    assert parse_results(real_results(), with_horizon(), today=TODAY).programmes == []  # closed
    closed_too = with_horizon(statuses=("31094501", "31094502", "31094503"))
    assert [p.id for p in parse_results(real_results(), closed_too, today=TODAY).programmes] == [
        "eu-horizon-cl4-2025-04-data-03"
    ]


def test_a_real_topic_becomes_one_programme_from_its_english_copy() -> None:
    closed_too = with_horizon(statuses=("31094501", "31094502", "31094503"))
    (p,) = parse_results(real_results(), closed_too, today=TODAY).programmes
    assert p.title == "Software Engineering for AI and generative AI (RIA) (AI/Data/Robotics Partnership)"
    assert p.language == "en" and p.level == "eu" and p.source_key == "HORIZON-CL4-2025-04-DATA-03"
    assert p.url.endswith("/topic-details/HORIZON-CL4-2025-04-DATA-03")
    # budgetOverview lists every topic of the call; this topic's entry is 4-6 million, not DATA-02's 6-8.
    assert (p.rules.grant_min_eur, p.rules.grant_max_eur) == (4_000_000, 6_000_000)
    assert "HORIZON-CL4-2025-04-DATA-03 - HORIZON-RIA" in p.evidence["grant_max_eur"].quote
    assert [(d.kind, d.date, d.end) for d in p.deadlines] == [("window", dt.date(2025, 6, 10), dt.date(2025, 10, 2))]
    assert "deadlineDate: 2025-10-02" in p.evidence["deadlines"].quote


def test_deduplication_keeps_the_richest_copy_per_identifier() -> None:
    rows = json.loads(RECONSTRUCTED.read_bytes())["results"]
    assert [first(r["metadata"], "identifier") for r in rows].count(TT) == 3
    kept = deduplicate([r for r in rows if wanted(r, OPTIONS)])
    assert [r["reference"] for r in kept] == ["TT2024TOPICSen", "NT2024TOPICSen"]  # not the stub, not "de"


def test_json_in_string_helpers() -> None:
    meta = cerv("TT2024TOPICSen")["metadata"]
    assert strings(meta, "keywords") == [TT, "Town Twinning"]  # a JSON array inside one string
    assert json_field({"actions": ["not json"]}, "actions") is None and json_field({}, "actions") is None
    assert first({"status": []}, "status") is None


def test_cerv_topics_map_to_the_catalogue_ids() -> None:
    # Once crawled, the curated entries of these ids live on as supplements (catalog/supplement.py).
    curated = {p["id"] for p in yaml.safe_load((ROOT / "config" / "supplements" / "eu.yaml").read_text())}
    assert topic_id("CERV-2026-CITIZENS-TOWN-TT", OPTIONS.ids) == "eu-cerv-town-twinning" in curated
    assert topic_id("CERV-2025-CITIZENS-TOWN-NT", OPTIONS.ids) == "eu-cerv-networks-of-towns" in curated
    assert topic_id("CERV-2025-CITIZENS-TOWN-TT-X", OPTIONS.ids) == "eu-cerv-2025-citizens-town-tt-x"
    assert topic_id("LIFE-2024-SAP-ENV", OPTIONS.ids) == "eu-life-2024-sap-env"


def test_town_twinning_carries_what_the_topic_states() -> None:
    p = to_programme(cerv("TT2024TOPICSen"), OPTIONS, today=TODAY)
    assert (p.id, p.title, p.level) == ("eu-cerv-town-twinning", "Town Twinning", "eu")
    assert p.funder == "European Commission, Citizens, Equality, Rights and Values Programme (CERV)"
    assert p.summary.startswith("An increase in and encouragement of mutual understanding")
    assert (p.rules.grant_min_eur, p.rules.grant_max_eur) == (8455, 50745)
    assert p.rules.min_countries == 2 and p.rules.partner_rule is not None
    assert "CERV_PARTICIPATING" in p.rules.partner_rule.lists
    assert [(d.kind, d.date, d.end) for d in p.deadlines] == [("window", dt.date(2024, 2, 22), dt.date(2024, 9, 19))]
    assert status(p, TODAY) == "open"


def test_the_country_list_comes_from_the_programme_only_when_the_topic_refers_to_it() -> None:
    nt = to_programme(cerv("NT2024TOPICSen"), OPTIONS, today=TODAY)
    assert nt.rules.partner_rule is not None and nt.rules.partner_rule.lists == ["CERV_PARTICIPATING"]
    assert nt.evidence["partner_rule"].quote == "1. Eligible countries as described in the Call document"
    assert nt.rules.grant_min_eur is None and "grant_min_eur" not in nt.evidence  # null contributions
    life = cerv("NT2024TOPICSen")
    life["metadata"]["frameworkProgramme"] = ["43252405"]
    assert to_programme(life, OPTIONS, today=TODAY).rules.partner_rule is None


def test_forthcoming_and_two_stage_deadlines() -> None:
    row = cerv("TT2024TOPICSen")
    meta = row["metadata"]
    meta["status"], meta["startDate"] = ["31094501"], ["2024-05-02T00:00:00.000+0000"]
    p = to_programme(row, OPTIONS, today=TODAY)
    assert status(p, TODAY) == "forthcoming" and p.deadlines[0].date == dt.date(2024, 5, 2)
    meta["deadlineModel"], meta["deadlineDate"] = ["two-stage"], ["2024-09-19T00:00:00.000", "2025-01-15T00:00:00"]
    deadlines, _ = topic_deadlines(meta)
    assert [(d.kind, d.end or d.date, d.note) for d in deadlines] == [
        ("window", dt.date(2024, 9, 19), "first stage"),
        ("application", dt.date(2025, 1, 15), "second stage"),
    ]


def test_budget_of_an_unknown_topic_is_unknown() -> None:
    assert topic_budget(cerv("TT2024TOPICSen")["metadata"], "CERV-2024-CITIZENS-TOWN") == (None, None, None)


def test_next_years_topic_of_the_same_programme_is_merged() -> None:
    later = cerv("TT2024TOPICSen")
    meta = later["metadata"]
    meta["identifier"], meta["status"] = ["CERV-2025-CITIZENS-TOWN-TT"], ["31094501"]
    meta["startDate"], meta["deadlineDate"] = ["2025-04-09T00:00:00.000+0000"], ["2025-09-16T00:00:00.000+0000"]
    (p,) = parse_results([later, cerv("TT2024TOPICSen")], OPTIONS, today=TODAY).programmes[:1]
    assert p.source_key == TT  # the open topic carries the programme
    assert [d.end for d in p.deadlines] == [dt.date(2024, 9, 19), dt.date(2025, 9, 16)]


def test_the_multipart_query_matches_the_documented_one() -> None:
    real = json.loads((CAPTURES / "sedia-query_types-1-2-8_status-forthcoming-open.json").read_bytes())
    query = search_query(OPTIONS)
    assert query["bool"]["must"][:2] == real["bool"]["must"]
    assert query["bool"]["must"][2] == {
        "terms": {"frameworkProgramme": ["43251589", "43353764", "43254037", "43252405"]}
    }


class FakeSearch:
    """Answers the search endpoint with pages cut from a list of results, recording every request."""

    def __init__(self, results: list[dict[str, Any]], total: int | None = None, page_size: int = 100) -> None:
        self.results, self.total, self.page_size = results, total, page_size
        self.calls: list[dict[str, Any]] = []

    async def __call__(
        self,
        url: str,
        *,
        method: str = "GET",
        data: Any = None,
        files: Any = None,
        accept: tuple[str, ...] = ("text/html",),
    ) -> Page:
        self.calls.append({"url": url, "method": method, "files": files, "accept": accept})
        number = int(parse_qs(urlsplit(url).query)["pageNumber"][0])
        rows = self.results[(number - 1) * self.page_size : number * self.page_size]
        total = len(self.results) if self.total is None else self.total
        body = json.dumps({"totalResults": total, "pageSize": self.page_size, "results": rows}).encode()
        return Page(
            url=url,
            status=200,
            body=body,
            content_type="application/json",
            fetched_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        )


def config(**options: Any) -> SourceConfig:
    return SourceConfig(name="eu_portal", base_url=CONFIG["base_url"], options={**CONFIG["options"], **options})


def crawl(fetch: FakeSearch, **options: Any) -> Any:
    return asyncio.run(EuPortalSource().crawl(fetch, config(**options), today=TODAY))


def test_the_request_is_a_post_with_query_params_and_json_file_parts() -> None:
    fetch = FakeSearch([])
    crawl(fetch)
    (call,) = fetch.calls
    parts = urlsplit(call["url"])
    assert parts.netloc == "api.tech.ec.europa.eu" and parts.path == "/search-api/prod/rest/search"
    assert parse_qs(parts.query) == {"apiKey": ["SEDIA"], "text": ["***"], "pageSize": ["100"], "pageNumber": ["1"]}
    assert call["method"] == "POST" and call["accept"] == ("application/json",)
    name, body, ctype = call["files"]["query"]
    assert (name, ctype) == ("query.json", "application/json") and json.loads(body) == search_query(OPTIONS)
    assert call["files"]["languages"] == ("languages.json", b'["en"]', "application/json")


def test_paging_reads_until_total_results() -> None:
    rows = [cerv("NT2024TOPICSen") for _ in range(250)]
    fetch = FakeSearch(rows)
    result = crawl(fetch)
    assert [parse_qs(urlsplit(c["url"]).query)["pageNumber"] for c in fetch.calls] == [["1"], ["2"], ["3"]]
    assert result.pages == 3 and len(result.programmes) == 1 and result.warnings == []


def test_paging_stops_at_max_pages_and_on_an_empty_page() -> None:
    fetch = FakeSearch([cerv("NT2024TOPICSen")] * 500)
    result = crawl(fetch, max_pages=2)
    assert len(fetch.calls) == 2 and "stopped after 2 pages" in result.warnings[0]
    liar = FakeSearch([cerv("NT2024TOPICSen")] * 100, total=10_000)  # claims more than it has
    assert crawl(liar).pages == 2


def test_a_broken_answer_is_a_source_error() -> None:
    with pytest.raises(SourceError):
        parse_page(b"<html>maintenance</html>", 100)
    with pytest.raises(SourceError):
        parse_page(b'{"totalResults": 3}', 100)


class FixtureSite:
    """Serves the fixture answer for the live search URL, as the fixture server does for any POST."""

    async def __call__(self, url: str, **_: Any) -> Page:
        assert url.startswith("https://api.tech.ec.europa.eu/search-api/prod/rest/search?")
        return Page(
            url=url,
            status=200,
            body=TARGET.read_bytes(),
            content_type="application/json",
            fetched_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        )


def test_crawl_of_the_fixture_site() -> None:
    result = asyncio.run(EuPortalSource().crawl(FixtureSite(), config(), today=TODAY))
    assert result.pages == 1 and result.warnings == []
    assert sorted(p.id for p in result.programmes) == ["eu-cerv-networks-of-towns", "eu-cerv-town-twinning"]
