"""Polite HTTP fetching for the sources: robots.txt, per-host pacing, retries, limits, archive and conditional GET."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.models import utcnow
from config.settings import Settings
from crawlers import archive
from crawlers.base import Page, SourceError
from crawlers.models import UrlState


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes


def retry_after_s(value: str | None, now: dt.datetime) -> float | None:
    """The wait a Retry-After header asks for (delta-seconds or an HTTP date); None if absent or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def accepts(content_type: str, accept: tuple[str, ...]) -> bool:
    """Whether a response media type is one the caller can parse (``type/*`` and ``*/*`` allowed)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return any(a in (media, "*/*") or (a.endswith("/*") and media.startswith(a[:-1])) for a in accept)


def _retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"{url}: not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}".lower()


class Fetcher:
    """The ``Fetch`` of crawlers/base.py: one request at a time per host, archived, with counters for the summary."""

    def __init__(self, engine: Engine, settings: Settings, *, delay_s: float, rewrite: dict[str, str] | None = None,
                 crawl_run_id: int | None = None, max_retries: int = 3, client: httpx.AsyncClient | None = None,
                 backoff_s: float = 1.0, max_wait_s: float = 60.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.engine, self.settings, self.crawl_run_id = engine, settings, crawl_run_id
        self.delay_s, self.max_retries, self.backoff_s, self.max_wait_s = delay_s, max_retries, backoff_s, max_wait_s
        self.archive = archive.Archive(settings)
        # Longest prefix first, so a specific mapping wins over a general one.
        self._rewrite = None if rewrite is None else sorted(rewrite.items(), key=lambda kv: -len(kv[0]))
        self._client, self._own_client, self._sleep = client, client is None, sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}
        self._delay: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser] = {}
        self.requests = self.not_modified = self.bytes = self.retries = 0

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.crawl_timeout_s, follow_redirects=True)
        return self._client

    async def __call__(self, url: str, *, method: str = "GET", data: Any = None, files: Any = None,
                       accept: tuple[str, ...] = ("text/html",)) -> Page:
        origin = _origin(url)
        self._target(url)  # refuse unmapped URLs before anything, robots.txt included, goes out
        async with self._locks.setdefault(origin, asyncio.Lock()):
            robots = await self._robots_for(origin)
            if not robots.can_fetch(self.settings.user_agent, url):
                raise SourceError(f"{url}: disallowed by robots.txt")
            if method.upper() == "GET":
                return await self._get(url, origin, accept)
            # POST answers depend on the body, so they are never conditional and leave UrlState alone.
            reply = await self._request(method.upper(), url, origin, data=data, files=files)
            return self._keep(method.upper(), url, reply, accept, remember=False)

    async def _get(self, url: str, origin: str, accept: tuple[str, ...]) -> Page:
        state = self._state(url)
        headers = {}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        reply = await self._request("GET", url, origin, headers=headers)
        if reply.status == 304:
            return self._archived(url, state, accept)
        return self._keep("GET", url, reply, accept, remember=True)

    def _state(self, url: str) -> UrlState | None:
        """The validators of the last 200, but only while its body is still archived (a 304 needs it)."""
        with Session(self.engine) as s:
            state = s.get(UrlState, url)
        return state if state is not None and self.archive.has(state.sha256) else None

    def _archived(self, url: str, state: UrlState | None, accept: tuple[str, ...]) -> Page:
        if state is None:
            raise SourceError(f"{url}: 304 Not Modified without a conditional request")
        ctype = state.content_type or ""
        if not accepts(ctype, accept):
            raise SourceError(f"{url}: content type {ctype!r}, expected one of {', '.join(accept)}")
        body, now = self.archive.read(state.sha256), utcnow()
        self.not_modified += 1
        with Session(self.engine) as s, s.begin():
            archive.record(s, url=url, status=304, sha256=state.sha256, content_type=ctype, size=0,
                           crawl_run_id=self.crawl_run_id, fetched_at=now)
        return Page(url, 304, body, ctype, now, not_modified=True, sha256=state.sha256)

    def _keep(self, method: str, url: str, reply: _Reply, accept: tuple[str, ...], *, remember: bool) -> Page:
        """Check a final reply, archive its body and index it; on a GET remember its validators."""
        if not 200 <= reply.status < 300:
            raise SourceError(f"{method} {url}: HTTP {reply.status}")
        ctype = reply.headers.get("content-type", "")
        if not accepts(ctype, accept):
            raise SourceError(f"{url}: content type {ctype!r}, expected one of {', '.join(accept)}")
        sha, now = self.archive.put(reply.body), utcnow()
        with Session(self.engine) as s, s.begin():
            archive.record(s, url=url, status=reply.status, sha256=sha, content_type=ctype, size=len(reply.body),
                           crawl_run_id=self.crawl_run_id, fetched_at=now)
            if remember and len(url) <= archive.URL_MAX:
                s.merge(_url_state(url, reply.headers, sha, ctype))
        return Page(url, reply.status, reply.body, ctype, now, sha256=sha)

    async def _robots_for(self, origin: str) -> RobotFileParser:
        if origin not in self._robots:
            self._robots[origin] = await self._load_robots(origin)
        return self._robots[origin]

    async def _load_robots(self, origin: str) -> RobotFileParser:
        url = origin + "/robots.txt"
        reply = await self._request("GET", url, origin)  # a 5xx still failing after retries raises: no crawl
        robots = RobotFileParser(url)
        if reply.status in (401, 403):
            robots.parse(["User-agent: *", "Disallow: /"])  # as urllib.robotparser.read: a locked file locks the site
        elif 400 <= reply.status < 500:
            robots.parse([])  # no robots.txt: everything allowed
        elif reply.status == 200:
            robots.parse(reply.body.decode("utf-8", errors="replace").splitlines())
        else:
            raise SourceError(f"{url}: HTTP {reply.status}, not crawling without a readable robots.txt")
        asked = robots.crawl_delay(self.settings.user_agent)
        if asked:
            self._delay[origin] = max(self.delay_s, min(float(asked), self.max_wait_s))
        return robots

    async def _request(self, method: str, url: str, origin: str, **kw: Any) -> _Reply:
        """Send with retries on 408/429/5xx and transport errors; other statuses go back to the caller."""
        attempts, target = self.max_retries + 1, self._target(url)
        for attempt in range(attempts):
            cause: Exception | None = None
            try:
                reply = await self._send(method, target, url, origin, **kw)
            except httpx.TransportError as e:  # refused, reset, timed out, or a body cut short
                cause, problem, asked = e, f"{type(e).__name__} {e}".strip(), None
            else:
                if not _retryable(reply.status):
                    return reply
                problem, asked = f"HTTP {reply.status}", reply.headers.get("retry-after")
            if attempt + 1 < attempts:
                self.retries += 1
                await self._sleep(self._wait_s(attempt, asked))
        raise SourceError(f"{method} {url}: {problem} after {attempts} attempts") from cause

    def _wait_s(self, attempt: int, retry_after: str | None) -> float:
        asked = retry_after_s(retry_after, utcnow())
        return min(asked if asked is not None else self.backoff_s * 2**attempt, self.max_wait_s)

    async def _send(self, method: str, target: str, url: str, origin: str, *, headers: dict[str, str] | None = None,
                    data: Any = None, files: Any = None) -> _Reply:
        await self._pace(origin)
        self.requests += 1
        headers = {"User-Agent": self.settings.user_agent, **(headers or {})}
        try:
            async with self.client.stream(method, target, headers=headers, data=data, files=files) as r:
                return _Reply(r.status_code, r.headers, await self._read_limited(r, url))
        finally:
            self._last[origin] = time.monotonic()

    async def _read_limited(self, r: httpx.Response, url: str) -> bytes:
        # Counted after decompression, so a small gzip bomb hits the limit too; Content-Length is not trusted.
        limit, size, chunks = self.settings.crawl_max_bytes, 0, []
        async for chunk in r.aiter_bytes():
            size += len(chunk)
            self.bytes += len(chunk)
            if size > limit:
                raise SourceError(f"{url}: response larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _pace(self, origin: str) -> None:
        last = self._last.get(origin)
        if last is not None:
            wait = last + self._delay.get(origin, self.delay_s) - time.monotonic()
            if wait > 0:
                await self._sleep(wait)

    def _target(self, url: str) -> str:
        if self._rewrite is None:
            return url
        for prefix, replacement in self._rewrite:
            if url.startswith(prefix):
                return replacement + url[len(prefix):]
        # With a rewrite map we are under test: a URL outside it would reach the internet.
        raise SourceError(f"{url}: not covered by the rewrite map")


def _url_state(url: str, headers: httpx.Headers, sha: str, ctype: str) -> UrlState:
    etag, modified = headers.get("etag"), headers.get("last-modified")
    # A cut validator would never match again; better none than a wrong one.
    return UrlState(url=url, etag=etag if etag and len(etag) <= 500 else None,
                    last_modified=modified if modified and len(modified) <= 100 else None,
                    sha256=sha, content_type=ctype[:200] or None, updated_at=utcnow())
