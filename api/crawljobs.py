"""Crawls started from the desk: one background thread per source at a time; the run id is read back from the DB."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from catalog.models import CrawlRun, utcnow
from config.settings import Settings
from crawlers.base import SourceConfig
from crawlers.health import STALE_RUN
from crawlers.run import SOURCES_FILE, crawl_source, load_source_configs

log = logging.getLogger(__name__)
_create_lock = threading.Lock()


class AlreadyRunning(RuntimeError):
    """A crawl of this source is under way (in this process or in the worker)."""


def source_configs(app: FastAPI) -> dict[str, SourceConfig]:
    """Tests put their own configs on ``app.state.source_configs``; otherwise the sources file."""
    injected = getattr(app.state, "source_configs", None)
    if injected is not None:
        return injected
    path = getattr(app.state.settings, "sources_file", None) or SOURCES_FILE
    return load_source_configs(path)


def rewrite_map(app: FastAPI) -> dict[str, str] | None:
    """URL prefixes live -> mirror: ``app.state.crawl_rewrite`` (tests: the fixture server), else the settings."""
    return getattr(app.state, "crawl_rewrite", None) or getattr(app.state.settings, "crawl_rewrite", None) or None


def _running_in_db(engine: Engine, source: str) -> bool:
    since = utcnow() - STALE_RUN
    with Session(engine) as s:
        rows = s.exec(select(CrawlRun.started_at).where(CrawlRun.source == source, CrawlRun.status == "running"))
        return any((t if t.tzinfo else t.replace(tzinfo=dt.UTC)) > since for t in rows)


def _last_run_id(engine: Engine, source: str) -> int:
    with Session(engine) as s:
        return s.exec(select(func.max(CrawlRun.id)).where(CrawlRun.source == source)).one() or 0


def _wait_for_run(engine: Engine, source: str, after: int, timeout_s: float = 10.0) -> int | None:
    """crawl_source records its run first thing; wait for that row to learn its id."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Session(engine) as s:
            query = select(CrawlRun.id).where(CrawlRun.source == source, col(CrawlRun.id) > after)
            found = s.exec(query.order_by(col(CrawlRun.id)).limit(1)).first()
        if found is not None:
            return found
        time.sleep(0.02)
    return None


class CrawlJobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def running(self, engine: Engine, source: str) -> bool:
        thread = self._threads.get(source)
        return (thread is not None and thread.is_alive()) or _running_in_db(engine, source)

    def start(self, engine: Engine, settings: Settings, config: SourceConfig, rewrite: dict[str, str] | None
              ) -> int | None:
        """Start the crawl in a thread and return its run id; AlreadyRunning if one is under way."""
        with self._lock:
            if self.running(engine, config.name):
                raise AlreadyRunning(config.name)
            before = _last_run_id(engine, config.name)
            thread = threading.Thread(target=self._run, args=(engine, settings, config, rewrite), daemon=True,
                                      name=f"crawl-{config.name}")
            self._threads[config.name] = thread
            thread.start()
        return _wait_for_run(engine, config.name, before)

    def _run(self, engine: Engine, settings: Settings, config: SourceConfig, rewrite: dict[str, str] | None) -> None:
        try:
            summary = asyncio.run(crawl_source(engine, settings, config, rewrite=rewrite))
            log.info("crawl %s (desk): %s %s", config.name, summary.status, summary.counts or summary.reason)
        except Exception:  # crawl_source records its own failures; this is for what happens before it can
            log.exception("crawl %s (desk) could not run", config.name)

    def wait(self, source: str, timeout_s: float | None = None) -> None:
        thread = self._threads.get(source)
        if thread is not None:
            thread.join(timeout_s)


def jobs(app: FastAPI) -> CrawlJobs:
    """The app's one registry, made on first use."""
    with _create_lock:
        if getattr(app.state, "crawl_jobs", None) is None:
            app.state.crawl_jobs = CrawlJobs()
        return app.state.crawl_jobs
