"""Crawling the fixture sites (tests/sites, served on loopback): a full crawl, then a re-crawl without changes.

Every source in config/sources.yaml runs as `foerdermatch crawl` runs it (conditional GET, archive, store),
against the local fixture server, with the politeness delay set to 0 as in the tests: the time measured
is the crawler's own work. At the configured delays (about 1 s between requests to a host) a crawl takes
at least requests x delay; that figure is given beside it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import catalogue_db
from bench.common import TODAY, load_average, settings
from catalog.db import open_database
from crawlers.run import crawl_source, load_source_configs
from tests.sites.server import SITES, serve_sites


def _round(engine: Any, cfg_settings: Any, configs: dict[str, Any], server: Any,
           rewrite: dict[str, str]) -> dict[str, Any]:
    server.log.clear()
    per_source, polite_s = {}, 0.0
    t0 = time.perf_counter()
    for name, cfg in configs.items():
        t1 = time.perf_counter()
        summary = asyncio.run(crawl_source(engine, cfg_settings, dataclasses.replace(cfg, delay_s=0.0),
                                           rewrite=rewrite, today=TODAY))
        counts = summary.counts
        per_source[name] = {"status": summary.status, "seconds": round(time.perf_counter() - t1, 2),
                            **{k: counts.get(k) for k in ("requests", "not_modified", "bytes", "new", "changed",
                                                          "unchanged")}}
        polite_s += (counts.get("requests") or 0) * cfg.delay_s
    statuses = Counter(str(r.status) for r in server.log)
    return {"seconds": round(time.perf_counter() - t0, 2), "requests": sum(statuses.values()),
            "by_status": dict(statuses), "bytes": sum(s["bytes"] or 0 for s in per_source.values()),
            "at_configured_delays_min_s": round(polite_s), "sources": per_source}


def run(work: Path) -> dict[str, Any]:
    folder = work / "crawl"
    url = catalogue_db.fresh_sqlite(folder)
    cfg_settings = settings(data_dir=folder, database_url=url)
    engine = open_database(url)
    configs = load_source_configs()
    out: dict[str, Any] = {}
    with serve_sites(root=SITES) as server:
        hosts = sorted(p.name for p in SITES.iterdir() if p.is_dir() and "." in p.name)
        rewrite = server.rewrite_for(hosts)
        for label in ("full", "recrawl"):
            print(f"  crawl: {label} ...", flush=True)
            out[label] = _round(engine, cfg_settings, configs, server, rewrite)
    engine.dispose()
    out["load_average"] = load_average()
    return out
