"""Länder and bilateral-fund pages: main-content extraction, facts with quotes, crawl, failure, curated agreement."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from catalog.curated import load_dir
from catalog.supplement import load_supplements
from crawlers import laender
from crawlers.base import Page, SourceConfig, SourceError
from crawlers.laender import LaenderSource, PageEntry, main_text, parse_page
from crawlers.run import load_source_configs

SITES = Path(__file__).resolve().parents[1] / "sites"
TODAY = dt.date(2025, 6, 1)
CONFIG = load_source_configs()["laender"]
ENTRIES = {raw["id"]: PageEntry.from_config(raw) for raw in CONFIG.options["pages"]}
CHROME = ("Wir verwenden Cookies", "Zum Inhalt springen", "Startseite", "Impressum", "Datenschutz",
          "Newsletter abonnieren", "Das könnte Sie auch interessieren", "Suchen")  # fmt: skip


def fixture_file(url: str) -> Path:
    parts = urlsplit(url)
    file = SITES / parts.netloc / unquote(parts.path).lstrip("/")
    return file / "index.html" if file.is_dir() else file


class FakeFetch:
    """Serves tests/sites/<host>/<path> for live URLs; ``status`` overrides the answer for single URLs."""

    def __init__(self, status: dict[str, int] | None = None) -> None:
        self.status = status or {}
        self.calls: list[str] = []

    async def __call__(self, url: str, *, method: str = "GET", data: Any = None, files: Any = None,
                       accept: tuple[str, ...] = ("text/html",)) -> Page:  # fmt: skip
        self.calls.append(url)
        file = fixture_file(url)
        status = self.status.get(url, 200 if file.is_file() else 404)
        body = file.read_bytes() if status == 200 else b"not found"
        return Page(url, status, body, "text/html; charset=utf-8", dt.datetime.now(dt.UTC))


def page_for(programme_id: str) -> Page:
    url = ENTRIES[programme_id].url
    return Page(url, 200, fixture_file(url).read_bytes(), "text/html", dt.datetime.now(dt.UTC))


def crawl(fetch: FakeFetch, cfg: SourceConfig = CONFIG) -> Any:
    return asyncio.run(LaenderSource().crawl(fetch, cfg, today=TODAY))


def test_config_covers_at_least_ten_curated_programmes_under_their_ids_and_urls() -> None:
    curated = {p.id: p for p in [*load_dir(), *load_supplements().values()]}
    assert len(ENTRIES) >= 10
    for entry in ENTRIES.values():
        assert entry.id in curated, entry.id
        assert entry.url == curated[entry.id].url
        assert (entry.level, list(entry.states)) == (curated[entry.id].level, curated[entry.id].states)
        assert fixture_file(entry.url).is_file(), entry.url
        assert (SITES / urlsplit(entry.url).netloc / "robots.txt").is_file()


@pytest.mark.parametrize("programme_id", sorted(ENTRIES))
def test_main_text_keeps_the_content_and_drops_navigation_banner_and_footer(programme_id: str) -> None:
    html = page_for(programme_id).text()
    text = main_text(html)
    for chrome in CHROME:
        assert chrome in html and chrome not in text, chrome
    assert len(text) > 600 and "\n\n" in text


def test_facts_come_with_quotes_and_the_page_url() -> None:
    p = parse_page(page_for("be-lez-bezirksfonds"), ENTRIES["be-lez-bezirksfonds"], TODAY)
    url = ENTRIES["be-lez-bezirksfonds"].url
    assert p.title == "Bezirksfonds: Förderung entwicklungspolitischer Projekte der Berliner Bezirke"
    assert p.rules.applicant_types == ["kommune"]
    assert p.evidence["applicant_types"].quote == "Jedes Bezirksamt darf höchstens zwei Anträge pro Jahr stellen."
    assert p.rules.funding_rate == 0.9 and "bis zu 90 Prozent der Kosten" in p.evidence["funding_rate"].quote
    assert p.rules.own_funds == {"third_party": True}
    assert [d.kind for d in p.deadlines] == ["rolling"]
    assert {e.url for e in p.evidence.values()} == {url}
    assert (p.source, p.source_key, p.url, p.states, p.level) == ("laender", "be-lez-bezirksfonds", url, ["BE"], "land")
    assert p.summary.startswith("Mit dem Bezirksfonds stärkt die Landesstelle") and len(p.summary) <= 400
    assert not any(chrome in p.text for chrome in CHROME)


def test_negated_applicants_and_excluded_amounts() -> None:
    p = parse_page(page_for("stiftung-nord-sued-bruecken"), ENTRIES["stiftung-nord-sued-bruecken"], TODAY)
    assert p.rules.applicant_types == ["verein"]  # "Kommunen sind nicht antragsberechtigt."
    assert p.rules.grant_max_eur == 25000  # not the Projektsumme 33.333 nor the average 6.000
    assert p.rules.funding_rate == 0.75


def test_title_falls_back_to_the_configured_one() -> None:
    html = page_for("st-kommunalpartnerschaften").body.replace(b"<h1>", b"<p>").replace(b"</h1>", b"</p>")
    page = Page(ENTRIES["st-kommunalpartnerschaften"].url, 200, html, "text/html", dt.datetime.now(dt.UTC))
    p = parse_page(page, ENTRIES["st-kommunalpartnerschaften"], TODAY)
    assert p.title == ENTRIES["st-kommunalpartnerschaften"].title


def test_selector_is_the_fallback_when_trafilatura_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(laender.trafilatura, "extract", lambda *a, **k: None)
    entry = dataclasses.replace(ENTRIES["sdpz-projektfoerderung"], selector="//main")
    p = parse_page(page_for("sdpz-projektfoerderung"), entry, TODAY)
    assert p.rules.grant_max_eur == 21800 and "Impressum" not in p.text
    with pytest.raises(SourceError, match="no main content"):
        parse_page(page_for("sdpz-projektfoerderung"), ENTRIES["sdpz-projektfoerderung"], TODAY)


def test_a_page_without_content_raises() -> None:
    empty = Page(ENTRIES["bw-bwirkt"].url, 200, b"<html><body><nav>Startseite</nav></body></html>", "text/html",
                 dt.datetime.now(dt.UTC))  # fmt: skip
    with pytest.raises(SourceError, match="bw-bwirkt"):
        parse_page(empty, ENTRIES["bw-bwirkt"], TODAY)


def test_crawl_reads_every_configured_page() -> None:
    fetch = FakeFetch()
    result = crawl(fetch)
    assert [p.id for p in result.programmes] == list(ENTRIES)
    assert fetch.calls == [e.url for e in ENTRIES.values()]
    assert result.pages == len(ENTRIES) and len(result.programmes) >= CONFIG.min_programmes
    assert all(p.funder == ENTRIES[p.id].funder and p.as_of == TODAY for p in result.programmes)


def test_one_failing_page_fails_the_whole_crawl() -> None:
    with pytest.raises(SourceError, match="tandem-jugendbegegnungen.*HTTP 503"):
        crawl(FakeFetch(status={ENTRIES["tandem-jugendbegegnungen"].url: 503}))
    with pytest.raises(SourceError, match="no pages configured"):
        crawl(FakeFetch(), dataclasses.replace(CONFIG, options={"pages": []}))
    with pytest.raises(SourceError, match=r"unknown level or states \['XX', 'kreis'\]"):
        PageEntry.from_config({**CONFIG.options["pages"][0], "level": "kreis", "states": ["XX"]})
    twice = [*CONFIG.options["pages"], CONFIG.options["pages"][0]]
    with pytest.raises(SourceError, match="configured twice"):
        crawl(FakeFetch(), dataclasses.replace(CONFIG, options={"pages": twice}))


# Where crawled and curated facts differ, and why (see the report). The test fails when one disappears (remove
# it here) or a new one appears; the fixtures state what the curated entries' own texts say.
KNOWN_DIFFERENCES = {
    # "Bildungseinrichtungen" is not mapped to schule/hochschule by the extractor.
    ("bw-bwirkt", "applicant_types"): "curated also: schule",
    ("interreg-ibk-kleinprojektefonds", "applicant_types"): "curated also: hochschule, schule",
    ("sdpz-projektfoerderung", "applicant_types"): "curated also: hochschule, schule",
    # "öffentlich-rechtliche Körperschaften einschließlich der Kommunen" and "nicht kommerzielle Organisationen".
    ("mv-internationale-beziehungen", "applicant_types"): "curated also: ngo",
    # "Stadt- und Kreisjugendringe, Jugendhäuser und kommunale Träger": only "Stadt-" is recognised.
    ("conact-jugendaustausch-israel", "applicant_types"): "curated also: landkreis, ngo, verein",
    # Two tiers: 15.000 Euro, 20.000 Euro for joint projects; the extractor takes the highest tier (as the curated
    # SKEW entries do), this curated entry the standard one.
    ("be-lez-bezirksfonds", "grant_max_eur"): "crawled 20000.0, curated 15000.0",
    # Two tiers: 80 % up to 30.000 PLN, 50 % above; the extractor takes the first rate it reads.
    ("sdpz-projektfoerderung", "funding_rate"): "crawled 0.8, curated 0.5",
}
# Facts the curated entry states and the crawl does not find on the page.
KNOWN_MISSING = {
    # "Träger der kommunalen Jugendarbeit", "Jugendverbände": no applicant type recognised.
    ("tandem-jugendbegegnungen", "applicant_types"),
}
COMPARED = ("applicant_types", "funding_rate", "grant_min_eur", "grant_max_eur")


def test_crawled_facts_agree_with_the_curated_entries() -> None:
    curated = {p.id: p for p in [*load_dir(), *load_supplements().values()]}
    differences: dict[tuple[str, str], str] = {}
    missing: set[tuple[str, str]] = set()
    for p in crawl(FakeFetch()).programmes:
        for name in COMPARED:
            mine, theirs = getattr(p.rules, name), getattr(curated[p.id].rules, name)
            if theirs is not None and mine is None:
                missing.add((p.id, name))
            if mine is None or theirs is None or mine == theirs:
                continue
            if name != "applicant_types":
                differences[(p.id, name)] = f"crawled {float(mine)}, curated {float(theirs)}"
            elif set(mine) != set(theirs):
                assert set(mine) <= set(theirs), (p.id, "crawled an applicant type the curated entry lacks", mine)
                differences[(p.id, name)] = "curated also: " + ", ".join(sorted(set(theirs) - set(mine)))
    assert differences == KNOWN_DIFFERENCES
    assert missing == KNOWN_MISSING
