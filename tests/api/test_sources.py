"""Source health (/api/v1/sources, /quellen) and the admin's crawl trigger, run for real against the fixture sites."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlmodel import Session

from catalog.models import CrawlRun
from crawlers.run import load_source_configs
from tests.api.desk_helpers import audit_actions, bearer, csrf_from, login, make_user
from tests.sites.server import FixtureServer, serve_sites

SOURCE = "eu_portal"  # one search request: the quickest whole crawl
SEARCH = "/api.tech.ec.europa.eu/search-api/*"


@pytest.fixture
def sites() -> Iterator[FixtureServer]:
    with serve_sites() as server:
        yield server


@pytest.fixture
def app(client, sites):  # type: ignore[no-untyped-def]
    """The app crawling the fixture sites: configs without politeness delay, hosts rewritten to the server."""
    app = client.app
    app.state.source_configs = {name: replace(cfg, delay_s=0.0) for name, cfg in load_source_configs().items()}
    app.state.crawl_rewrite = sites.rewrite_for(["api.tech.ec.europa.eu"])
    app.state.settings = app.state.settings.model_copy(
        update={"crawl_timeout_s": 5.0, "crawl_backoff_s": 0.05, "crawl_max_retries": 1})
    return app


def health(client) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    r = client.get("/api/v1/sources")
    assert r.status_code == 200
    return {row["source"]: row for row in r.json()}


def finish(app, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    app.state.crawl_jobs.wait(SOURCE, timeout_s)
    assert not app.state.crawl_jobs.running(app.state.engine, SOURCE), "the crawl did not end in time"


def test_sources_are_readable_by_anyone(client) -> None:  # type: ignore[no-untyped-def]
    rows = health(client)
    assert set(rows) == set(load_source_configs())
    eu = rows[SOURCE]
    assert eu["last_success"] is None and eu["stale"] is True and eu["programmes"] == 0 and eu["running"] is False


def test_admin_crawl_runs_for_real_and_shows_in_health(client, engine, app, sites) -> None:  # type: ignore[no-untyped-def]
    admin = bearer(make_user(engine, "admin@example.org", "admin"))
    r = client.post(f"/api/v1/sources/{SOURCE}/crawl", headers=admin)
    assert r.status_code == 202
    run_id = r.json()["run_id"]
    assert isinstance(run_id, int)
    finish(app)
    with Session(engine) as s:
        run = s.get(CrawlRun, run_id)
        assert run is not None and run.source == SOURCE and run.status == "ok", run and run.reason
    assert sites.requests(SEARCH, method="POST"), "the crawl never reached the fixture server"
    eu = health(client)[SOURCE]
    assert eu["last_success"] is not None and eu["stale"] is False and eu["failing"] is False
    assert eu["programmes"] == run.counts["new"] > 0
    assert audit_actions(engine, f"source:{SOURCE}") == ["source.crawl"]
    page = client.get("/quellen").text
    assert "EU Funding &amp; Tenders Portal" in page and f"<td>{eu['programmes']}</td>" in page


def test_failed_crawl_shows_its_reason(client, engine, app, sites) -> None:  # type: ignore[no-untyped-def]
    sites.fault(SEARCH, "500")
    admin = bearer(make_user(engine, "admin@example.org", "admin"))
    assert client.post(f"/api/v1/sources/{SOURCE}/crawl", headers=admin).status_code == 202
    finish(app)
    eu = health(client)[SOURCE]
    assert eu["failing"] is True and eu["last_success"] is None and "500" in eu["last_failure_reason"]
    assert "letzter Abruf fehlgeschlagen" in client.get("/quellen").text


def test_second_trigger_while_running_is_409(client, engine, app, sites) -> None:  # type: ignore[no-untyped-def]
    sites.fault(SEARCH, "slow", seconds=1.5)
    admin = bearer(make_user(engine, "admin@example.org", "admin"))
    assert client.post(f"/api/v1/sources/{SOURCE}/crawl", headers=admin).status_code == 202
    assert health(client)[SOURCE]["running"] is True
    again = client.post(f"/api/v1/sources/{SOURCE}/crawl", headers=admin)
    assert again.status_code == 409 and "läuft bereits" in again.json()["detail"]
    finish(app)
    assert audit_actions(engine, f"source:{SOURCE}") == ["source.crawl"]  # the refused one is not recorded


def test_a_crawl_running_in_the_worker_also_blocks(client, engine, app) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s, s.begin():
        s.add(CrawlRun(source=SOURCE))  # "running", as the worker process leaves it while it crawls
    admin = bearer(make_user(engine, "admin@example.org", "admin"))
    assert client.post(f"/api/v1/sources/{SOURCE}/crawl", headers=admin).status_code == 409


def test_crawl_trigger_access(client, engine, app) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"/api/v1/sources/{SOURCE}/crawl").status_code == 401
    for role in ("coordinator", "desk"):
        who = bearer(make_user(engine, f"{role}@example.org", role))
        assert client.post(f"/api/v1/sources/{SOURCE}/crawl", headers=who).status_code == 403
    admin = bearer(make_user(engine, "admin@example.org", "admin"))
    assert client.post("/api/v1/sources/gibtsnicht/crawl", headers=admin).status_code == 404
    assert audit_actions(engine, f"source:{SOURCE}") == []


def test_desk_page_button_for_admins_with_csrf(client, engine, app) -> None:  # type: ignore[no-untyped-def]
    assert "Jetzt abrufen" not in client.get("/quellen").text
    make_user(engine, "admin@example.org", "admin")
    login(client, "admin@example.org")
    page = client.get("/quellen").text
    assert f'action="/quellen/{SOURCE}/abrufen"' in page and "Jetzt abrufen" in page
    assert client.post(f"/quellen/{SOURCE}/abrufen", follow_redirects=False).status_code == 403  # no CSRF token
    r = client.post(f"/quellen/{SOURCE}/abrufen", data={"csrf_token": csrf_from(page)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/quellen?gestartet={SOURCE}&lauf=")
    finish(app)
    assert "Abruf der Quelle „eu_portal“ gestartet" in client.get(r.headers["location"]).text
    assert health(client)[SOURCE]["last_success"] is not None
    assert audit_actions(engine, f"source:{SOURCE}") == ["source.crawl"]
