"""A worker crawling one source in a process of its own, stopping at a named step to wait there to be SIGKILLed.

Usage: python -m tests.crawlers.crawl_crash_child DB_URL STEP DATA_DIR REWRITE_JSON
STEP: none | mid_fetch | mid_apply | before_commit | after_commit
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlmodel import Session

from catalog import store
from catalog.db import make_engine
from config.settings import Settings
from crawlers import run
from crawlers.fetch import Fetcher
from crawlers.worker import Worker
from tests.processes import halt

SOURCE = "skew"
# mid_fetch: the overview and two detail pages (the second one changed) are fetched, archived and their validators
# committed, so the restart gets 304s for them and must use the archived copies.
PAGES_BEFORE_KILL = 3


def install(step: str) -> None:
    fetch, upsert, mark_missing, store_result = (Fetcher.__call__, store.upsert_programme, store.mark_missing,
                                                 run.store_result)
    fetched = 0

    async def fetch_then_halt(self: Fetcher, url: str, **kw: Any) -> Any:
        nonlocal fetched
        page = await fetch(self, url, **kw)
        fetched += 1
        if fetched == PAGES_BEFORE_KILL:
            halt(step)
        return page

    def upsert_then_halt(s: Session, *args: Any, **kw: Any) -> Any:
        outcome = upsert(s, *args, **kw)
        if outcome[0] == "changed":  # the first new version is in the run's transaction, the others are not yet
            s.flush()
            halt(step)
        return outcome

    def mark_missing_then_halt(s: Session, **kw: Any) -> list[str]:
        gone = mark_missing(s, **kw)
        s.flush()  # every write of the crawl is sent to the database; only the commit is missing
        halt(step)
        return gone

    def store_then_halt(*args: Any, **kw: Any) -> dict[str, Any]:
        counts = store_result(*args, **kw)  # committed; the CrawlRun is still "running"
        halt(step)
        return counts

    patches: dict[str, tuple[Any, str, Any]] = {
        "mid_fetch": (Fetcher, "__call__", fetch_then_halt),
        "mid_apply": (store, "upsert_programme", upsert_then_halt),
        "before_commit": (store, "mark_missing", mark_missing_then_halt),
        "after_commit": (run, "store_result", store_then_halt),
    }
    if step in patches:
        owner, name, fn = patches[step]
        setattr(owner, name, fn)


def main(db_url: str, step: str, data_dir: str, rewrite: str) -> None:
    settings = Settings(data_dir=Path(data_dir), database_url=db_url, crawl_rewrite=json.loads(rewrite))
    engine = make_engine(db_url)
    configs = {SOURCE: replace(run.load_source_configs()[SOURCE], delay_s=0.0)}
    install(step)
    # A short heartbeat makes the SQLite lease of a killed worker expire within seconds (lease = 4 heartbeats).
    worker = Worker(engine, settings, configs, heartbeat_s=0.5)
    began = time.monotonic()
    while not worker.lock.try_acquire():  # as the worker's heartbeat does, until the killed worker's lease expires
        if time.monotonic() - began > 30:
            sys.exit("never became the leader: the killed worker's lease does not expire")
        time.sleep(0.1)
    waited = time.monotonic() - began
    worker.run_sources([SOURCE])
    worker.lock.release()
    print(f"DONE waited {waited:.1f}s for the lease", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
