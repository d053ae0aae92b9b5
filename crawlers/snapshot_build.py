"""Regenerating the bundled catalogue: crawl the fixture sites into a scratch database, add the curated entries.

The crawled sources are the source of record for their programmes; config/programmes/ holds the rest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from sqlmodel import Session

from catalog import snapshot, store
from catalog.curated import load_dir
from catalog.db import open_database
from catalog.schema import ProgrammeIn
from config.settings import Settings
from crawlers.run import RunSummary, crawl_source, load_source_configs

SITES = Path(__file__).resolve().parent.parent / "tests" / "sites"


def crawl_fixture_sites(settings: Settings, today: dt.date) -> tuple[list[ProgrammeIn], list[RunSummary]]:
    if str(SITES.parents[1]) not in sys.path:  # the fixture server ships with the tests, not the package
        sys.path.insert(0, str(SITES.parents[1]))
    from tests.sites.server import serve_sites

    configs = load_source_configs()
    engine = open_database(settings.db_url)
    summaries = []
    with serve_sites(root=SITES) as server:
        hosts = sorted(p.name for p in SITES.iterdir() if p.is_dir() and "." in p.name)
        rewrite = server.rewrite_for(hosts)
        for cfg in configs.values():
            fast = cfg.__class__(**{**cfg.__dict__, "delay_s": 0.0})
            summaries.append(asyncio.run(crawl_source(engine, settings, fast, rewrite=rewrite, today=today)))
    with Session(engine) as s:
        crawled = [p for _, p in store.all_programmes(s)]
    engine.dispose()
    return crawled, summaries


def build_snapshot(out: Path = snapshot.BUNDLED, today: dt.date | None = None) -> tuple[int, list[RunSummary]]:
    """Writes the snapshot and, beside it, the date it was built for (deadlines without a year depend on it)."""
    today = today or dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=None)
        crawled, summaries = crawl_fixture_sites(settings, today)
    failed = [s for s in summaries if s.status != "ok"]
    if failed:
        raise RuntimeError(f"crawl of {failed[0].source} failed: {failed[0].reason}")
    curated = load_dir()
    clash = {p.id for p in crawled} & {p.id for p in curated}
    if clash:
        raise RuntimeError(f"ids both crawled and curated (move them to config/supplements/): {sorted(clash)}")
    snapshot.write_snapshot(crawled + curated, out)
    out.with_name("snapshot-meta.json").write_text(json.dumps({"built_for": today.isoformat()}) + "\n")
    return len(crawled) + len(curated), summaries
