"""The polite fetcher and the raw archive, against a real HTTP server on 127.0.0.1 with injected faults."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from catalog.models import utcnow
from config.settings import Settings
from crawlers import archive
from crawlers.base import Page, SourceError
from crawlers.fetch import Fetcher, accepts, retry_after_s
from crawlers.models import RawPage, UrlState
from tests.sites.server import FixtureServer, serve_sites

HOST, OPEN_HOST = "www.foerderer.example", "open.example.org"
LIVE, OPEN = f"https://{HOST}", f"https://{OPEN_HOST}"
PAGE = b"<html><body><h1>Kommunale Partnerschaften</h1></body></html>"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FixtureServer]:
    root = tmp_path / "sites"
    (root / HOST / "intern").mkdir(parents=True)
    (root / OPEN_HOST).mkdir()
    files = {
        f"{HOST}/robots.txt": b"User-agent: *\nDisallow: /intern/\n",
        f"{HOST}/programme.html": PAGE,
        f"{HOST}/relaunch.html": b"<html><body><div class='neu'>Neues Layout</div></body></html>",
        f"{HOST}/intern/secret.html": b"<html>intern</html>",
        f"{HOST}/big.html": b"<html>" + b"x" * 5000 + b"</html>",
        f"{HOST}/data.json": b'{"programmes": []}',
        f"{HOST}/search.POST.json": b'{"results": [{"id": "CERV-2025"}]}',
        f"{OPEN_HOST}/index.html": PAGE,  # no robots.txt on this host: a 404 allows everything
    }
    for name, body in files.items():
        (root / name).write_bytes(body)
    with serve_sites(root=root) as s:
        yield s


def make(engine: Engine, settings: Settings, server: FixtureServer, **kw: Any) -> Fetcher:
    opts: dict[str, Any] = {"delay_s": 0.01, "backoff_s": 0.01, "rewrite": server.rewrite_for([HOST, OPEN_HOST])}
    return Fetcher(engine, settings, **(opts | kw))


def get(fetcher: Fetcher, *urls: str, **kw: Any) -> list[Page]:
    async def go() -> list[Page]:
        async with fetcher as fetch:
            return [await fetch(u, **kw) for u in urls]
    return asyncio.run(go())


def raw_files(settings: Settings) -> list[Path]:
    return sorted(p for p in (settings.data_dir / "raw").rglob("*") if p.is_file())


def recorder() -> tuple[list[float], Any]:
    """A sleep that notes the wait and barely waits, so tests see the backoff without spending it."""
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)
        await asyncio.sleep(0)
    return waits, sleep


def test_page_keeps_live_url_and_sends_user_agent(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    page, = get(make(engine, settings, server), f"{LIVE}/programme.html")
    assert (page.url, page.status, page.body, page.not_modified) == (f"{LIVE}/programme.html", 200, PAGE, False)
    assert page.content_type.startswith("text/html")
    sent = server.requests(f"/{HOST}/programme.html")
    assert [r.headers["user-agent"] for r in sent] == [settings.user_agent]
    assert "@" in settings.user_agent or "+http" in settings.user_agent  # identifying, with a contact
    assert archive.Archive(settings).read(page.sha256) == PAGE
    with Session(engine) as s:
        row = s.exec(select(RawPage)).one()
    assert (row.url, row.status, row.sha256, row.size) == (page.url, 200, page.sha256, len(PAGE))


def test_robots_disallow_is_obeyed_and_read_once(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    fetcher = make(engine, settings, server)
    with pytest.raises(SourceError, match="robots.txt"):
        get(fetcher, f"{LIVE}/programme.html", f"{LIVE}/intern/secret.html")
    assert server.requests("*/intern/*") == []
    assert len(server.requests(f"/{HOST}/robots.txt")) == 1
    page, = get(make(engine, settings, server), f"{OPEN}/")  # robots.txt 404: allowed
    assert page.body == PAGE


def test_robots_server_error_means_no_crawl(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault("*/robots.txt", "500")
    with pytest.raises(SourceError, match=r"robots\.txt: HTTP 500 after 2 attempts"):
        get(make(engine, settings, server, max_retries=1), f"{LIVE}/programme.html")
    assert server.requests(f"/{HOST}/programme.html") == []


def test_one_request_at_a_time_per_host_with_delay(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/*.html", "slow", seconds=0.05)
    fetcher = make(engine, settings, server, delay_s=0.05)

    async def together() -> None:
        async with fetcher as fetch:
            await asyncio.gather(*(fetch(f"{LIVE}/programme.html") for _ in range(4)))
    asyncio.run(together())
    assert server.max_in_flight[HOST] == 1
    assert len(server.requests(f"/{HOST}/robots.txt")) == 1
    arrivals = [r.at for r in server.requests(f"/{HOST}/*")]
    assert len(arrivals) == 5
    # Each request starts only after the previous one ended plus the delay (minus timer granularity).
    assert min(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.045


def test_conditional_get_returns_archived_body(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    first, = get(make(engine, settings, server), f"{LIVE}/programme.html")
    files = raw_files(settings)
    again = make(engine, settings, server)
    second, = get(again, f"{LIVE}/programme.html")
    assert (second.status, second.not_modified, second.body, second.sha256) == (304, True, PAGE, first.sha256)
    assert (again.not_modified, again.requests) == (1, 2)  # robots.txt and the page
    conditional = server.requests(f"/{HOST}/programme.html")[-1]
    assert conditional.status == 304 and conditional.headers["if-none-match"]
    assert raw_files(settings) == files
    with Session(engine) as s:
        assert [r.status for r in s.exec(select(RawPage).order_by(col(RawPage.id)))] == [200, 304]


def test_changed_page_is_stored_and_remembered(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    get(make(engine, settings, server), f"{LIVE}/programme.html")
    server.fault(f"/{HOST}/programme.html", "replace", with_path=f"/{HOST}/relaunch.html")
    changed, = get(make(engine, settings, server), f"{LIVE}/programme.html")
    assert changed.status == 200 and b"Neues Layout" in changed.body
    with Session(engine) as s:
        state = s.get(UrlState, f"{LIVE}/programme.html")
    assert state is not None and state.sha256 == changed.sha256 and state.etag
    assert len(raw_files(settings)) == 2


def test_retry_after_429_is_honoured(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/programme.html", "429", times=1, retry_after=2)
    waits, sleep = recorder()
    fetcher = make(engine, settings, server, sleep=sleep)
    page, = get(fetcher, f"{LIVE}/programme.html")
    assert page.body == PAGE and fetcher.retries == 1
    assert 2.0 in waits
    assert [r.status for r in server.requests(f"/{HOST}/programme.html")] == [429, 200]


def test_retry_after_is_capped(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/programme.html", "429", times=1, retry_after=86400)
    waits, sleep = recorder()
    get(make(engine, settings, server, sleep=sleep, max_wait_s=0.5), f"{LIVE}/programme.html")
    assert max(waits) == 0.5


def test_retry_after_header_forms() -> None:
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert retry_after_s("7", now) == 7.0
    assert retry_after_s("Mon, 02 Mar 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_s("Mon, 02 Mar 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_s("soon", now) is None and retry_after_s(None, now) is None


def test_server_errors_exhaust_retries(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/programme.html", "500")
    waits, sleep = recorder()
    fetcher = make(engine, settings, server, max_retries=2, delay_s=0, sleep=sleep)
    with pytest.raises(SourceError, match=rf"{LIVE}/programme.html: HTTP 500 after 3 attempts"):
        get(fetcher, f"{LIVE}/programme.html")
    assert len(server.requests(f"/{HOST}/programme.html")) == 3
    assert (fetcher.retries, waits) == (2, [0.01, 0.02])  # exponential backoff


def test_client_errors_fail_at_once(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        get(make(engine, settings, server), f"{LIVE}/gibt-es-nicht.html")
    assert len(server.requests(f"/{HOST}/gibt-es-nicht.html")) == 1


def test_slow_server_times_out(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/programme.html", "slow", seconds=5)
    quick = settings.model_copy(update={"crawl_timeout_s": 0.2})
    with pytest.raises(SourceError, match="Timeout.* after 2 attempts"):
        get(make(engine, quick, server, max_retries=1), f"{LIVE}/programme.html")


def test_retry_recovers_from_a_timeout(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/programme.html", "slow", seconds=5, times=1)
    quick = settings.model_copy(update={"crawl_timeout_s": 0.2})
    fetcher = make(engine, quick, server)
    page, = get(fetcher, f"{LIVE}/programme.html")
    assert page.body == PAGE and fetcher.retries == 1


def test_truncated_body_fails(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/big.html", "truncated")
    with pytest.raises(SourceError, match="after 2 attempts"):
        get(make(engine, settings, server, max_retries=1), f"{LIVE}/big.html")
    assert raw_files(settings) == []


def test_oversize_body_fails(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    small = settings.model_copy(update={"crawl_max_bytes": 1000})
    fetcher = make(engine, small, server)
    with pytest.raises(SourceError, match="larger than 1000 bytes"):
        get(fetcher, f"{LIVE}/big.html")
    assert raw_files(settings) == [] and len(server.requests(f"/{HOST}/big.html")) == 1


def test_wrong_content_type_fails(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    with pytest.raises(SourceError, match="content type 'application/json'"):
        get(make(engine, settings, server), f"{LIVE}/data.json")
    page, = get(make(engine, settings, server), f"{LIVE}/data.json", accept=("application/json",))
    assert json.loads(page.body) == {"programmes": []}
    assert accepts("text/html; charset=utf-8", ("text/*",)) and not accepts("text/plain", ("text/html",))


def test_empty_body_is_a_page(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    server.fault(f"/{HOST}/programme.html", "empty")
    page, = get(make(engine, settings, server), f"{LIVE}/programme.html")
    assert (page.status, page.body) == (200, b"")  # judging emptiness is the parser's job


def test_post_is_never_conditional(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    query = json.dumps({"bool": {"must": [{"terms": {"type": ["1", "2"]}}]}}).encode()
    files = {"query": ("blob", query, "application/json")}
    url = f"{LIVE}/search?apiKey=SEDIA&text=***"
    pages = get(make(engine, settings, server), url, url, method="POST", files=files, accept=("application/json",))
    assert [p.status for p in pages] == [200, 200] and pages[0].url == url
    posts = server.requests(f"/{HOST}/search", method="POST")
    assert [p.parts()["query"] for p in posts] == [query, query]
    assert posts[0].query == "apiKey=SEDIA&text=***"
    assert all("if-none-match" not in p.headers for p in posts)
    with Session(engine) as s:
        assert s.get(UrlState, url) is None


def test_rewrite_refuses_unmapped_urls(engine: Engine, settings: Settings, server: FixtureServer) -> None:
    with pytest.raises(SourceError, match="rewrite map"):
        get(make(engine, settings, server), "https://www.example.com/")
    assert server.log == []


def _row(s: Session, sha: str, fetched_at: dt.datetime) -> None:
    archive.record(s, url="https://x.example/", status=200, sha256=sha, content_type="text/html", size=1,
                   crawl_run_id=None, fetched_at=fetched_at)


def test_prune_keeps_files_still_referenced(engine: Engine, settings: Settings) -> None:
    store = archive.Archive(settings)
    gone, in_state, refetched = (store.put(b) for b in (b"gone", b"in state", b"refetched"))
    assert store.path(gone) == settings.data_dir / "raw" / gone[:2] / gone
    now = utcnow() + dt.timedelta(days=365)  # far enough that the files' mtimes are past the cutoff
    old, recent = now - dt.timedelta(days=200), now - dt.timedelta(days=1)
    with Session(engine) as s, s.begin():
        for sha in (gone, in_state, refetched):
            _row(s, sha, old)
        _row(s, refetched, recent)
        s.add(UrlState(url="https://x.example/state", sha256=in_state))
    assert archive.prune(engine, settings, now) == archive.Pruned(rows=3, files=1)
    assert not store.has(gone) and store.has(in_state) and store.has(refetched)
    with Session(engine) as s:
        assert [r.sha256 for r in s.exec(select(RawPage))] == [refetched]


def test_prune_spares_a_file_stored_after_the_cutoff(engine: Engine, settings: Settings) -> None:
    store = archive.Archive(settings)
    sha = store.put(b"just stored again")
    now = utcnow()
    with Session(engine) as s, s.begin():
        _row(s, sha, now - dt.timedelta(days=settings.raw_retention_days + 1))
    assert archive.prune(engine, settings, now) == archive.Pruned(rows=1, files=0)
    assert store.has(sha)
