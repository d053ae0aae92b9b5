"""Whole crawls against the fixture sites on a real local server: changes kept, faults change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from catalog import store
from catalog.models import CrawlRun, ProgrammeEvent, ProgrammeVersion
from crawlers.run import RunSummary, crawl_source, load_source_configs
from tests.sites.server import SITES, FixtureServer, serve_sites

TODAY = dt.date(2026, 11, 24)
CONFIGS = load_source_configs()
SOURCES = [name for name in ("foerderdatenbank", "eu_portal", "skew", "laender") if name in CONFIGS]
# The page whose failure must fail the whole source, per source.
ENTRY = {
    "foerderdatenbank": "/www.foerderdatenbank.de/FDB/WS/export",
    "eu_portal": "/api.tech.ec.europa.eu/search-api/*",
    "skew": "/skew.engagement-global.de/kommunale-foerderung.html",
    "laender": "/sez.de/*",
}


@pytest.fixture
def sites(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of the fixture sites, so a test may change a page."""
    root = tmp_path / "sites"
    shutil.copytree(SITES, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with serve_sites(root=root) as server:
        yield server


def crawl(engine, settings, server: FixtureServer, name: str) -> RunSummary:  # type: ignore[no-untyped-def]
    hosts = [p.name for p in server.root.iterdir() if p.is_dir() and "." in p.name]
    config = replace(CONFIGS[name], delay_s=0.0)
    return asyncio.run(crawl_source(engine, settings, config, rewrite=server.rewrite_for(hosts), today=TODAY))


def catalogue(engine) -> dict[str, tuple[str, object, int]]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return {r.id: (r.content_hash, r.gone_since, r.version) for r, _ in store.all_programmes(s, include_gone=True)}


def count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def quick(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"crawl_timeout_s": 0.5, "crawl_backoff_s": 0.05, "crawl_max_retries": 2})


@pytest.mark.parametrize("name", SOURCES)
def test_crawl_then_unchanged_recrawl(engine, quick, sites, name) -> None:  # type: ignore[no-untyped-def]
    first = crawl(engine, quick, sites, name)
    assert first.status == "ok", first.reason
    assert first.counts["new"] >= CONFIGS[name].min_programmes
    versions = count(engine, ProgrammeVersion)
    sites.log.clear()
    second = crawl(engine, quick, sites, name)
    assert second.status == "ok", second.reason
    assert second.counts["new"] == second.counts["changed"] == 0
    assert count(engine, ProgrammeVersion) == versions  # nothing new written
    pages = [r for r in sites.requests(method="GET") if not r.path.endswith("/robots.txt")]
    assert all(r.status == 304 for r in pages)  # every page request was conditional and answered 304
    assert second.counts["not_modified"] == len(pages)
    # The EU search API takes POST queries, which HTTP cannot make conditional: that source only re-reads.
    assert pages or name == "eu_portal"


FAULTS = [("500", {}), ("slow", {"seconds": 2}), ("truncated", {}), ("empty", {})]


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize(("kind", "options"), FAULTS, ids=[f[0] for f in FAULTS])
def test_faults_change_nothing(engine, quick, sites, name, kind, options) -> None:  # type: ignore[no-untyped-def]
    assert crawl(engine, quick, sites, name).status == "ok"
    before = catalogue(engine)
    for _ in range(3):  # even repeated failures never count as "missing"
        sites.fault(ENTRY[name], kind, **options)
        result = crawl(engine, quick, sites, name)
        sites.clear_faults()
        assert result.status == "failed" and result.reason
    assert catalogue(engine) == before
    with Session(engine) as s:
        runs = s.exec(select(CrawlRun).where(CrawlRun.source == name).order_by(CrawlRun.id)).all()
    assert [r.status for r in runs] == ["ok", "failed", "failed", "failed"]


@pytest.mark.parametrize("name", SOURCES)
def test_retry_after_429_then_success(engine, quick, sites, name) -> None:  # type: ignore[no-untyped-def]
    sites.fault(ENTRY[name], "429", times=1, retry_after=1)
    result = crawl(engine, quick, sites, name)
    assert result.status == "ok", result.reason
    assert result.counts["retries"] >= 1


@pytest.mark.skipif("eu_portal" not in SOURCES, reason="EU source not configured")
def test_gone_only_after_three_successful_crawls_without_it(engine, quick, sites) -> None:  # type: ignore[no-untyped-def]
    assert crawl(engine, quick, sites, "eu_portal").status == "ok"
    path = _eu_topics_file(sites)
    data = json.loads(path.read_text(encoding="utf-8"))
    with Session(engine) as s:
        by_key = {p.source_key: p.id for _, p in store.all_programmes(s) if p.source == "eu_portal"}
    victim = next(r["metadata"]["identifier"][0] for r in data["results"] if r["metadata"]["identifier"][0] in by_key)
    data["results"] = [r for r in data["results"] if r["metadata"]["identifier"][0] != victim]
    data["totalResults"] = len(data["results"])
    path.write_text(json.dumps(data), encoding="utf-8")
    for n in range(1, 4):
        assert crawl(engine, quick, sites, "eu_portal").status == "ok"
        gone = catalogue(engine)[by_key[victim]][1]
        assert (gone is not None) == (n == 3)
    with Session(engine) as s:
        events = s.exec(select(ProgrammeEvent).where(ProgrammeEvent.programme_id == by_key[victim])).all()
    assert events[-1].kind == "gone"


def _eu_topics_file(server: FixtureServer) -> Path:
    return server.root / "api.tech.ec.europa.eu/search-api/prod/rest/search.POST.json"


@pytest.mark.skipif("skew" not in SOURCES, reason="SKEW source not configured")
@pytest.mark.parametrize("page", ["skew-changed-layout.html", "skew-empty-listing.html"])
def test_changed_layout_or_empty_listing_changes_nothing(engine, quick, sites, page) -> None:  # type: ignore[no-untyped-def]
    assert crawl(engine, quick, sites, "skew").status == "ok"
    before = catalogue(engine)
    sites.fault(ENTRY["skew"], "replace", with_path=f"/_faults/{page}")
    result = crawl(engine, quick, sites, "skew")
    assert result.status == "failed" and "SourceError" in (result.reason or "")
    assert catalogue(engine) == before


@pytest.mark.skipif("skew" not in SOURCES, reason="SKEW source not configured")
def test_changed_deadline_is_one_new_version_with_its_diff(engine, quick, sites) -> None:  # type: ignore[no-untyped-def]
    assert crawl(engine, quick, sites, "skew").status == "ok"
    page = sites.root / "skew.engagement-global.de" / "unterstuetzung-durch-nakopa.html"
    html = page.read_text(encoding="utf-8")
    assert "30. September 2023" in html
    page.write_text(html.replace("30. September 2023", "30. September 2027"), encoding="utf-8")
    result = crawl(engine, quick, sites, "skew")
    assert result.status == "ok" and result.counts["changed"] == 1
    with Session(engine) as s:
        latest = store.versions(s, "skew-nakopa")[0]
    assert set(latest.changed_fields) == {"deadlines", "text"}  # the page text changed with it
    assert "2027-09-30" in json.dumps(latest.diff["deadlines"][1])
