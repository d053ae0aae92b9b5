"""Running one source's crawl as a unit: all of its results are stored, or nothing is.

The failure rules: a source that errors, answers badly or returns suspiciously little never deletes,
blanks or marks programmes gone; the run is recorded as failed with the reason and the catalogue keeps its
last good data. Programmes go only after N consecutive successful crawls without them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from catalog import store
from catalog.models import CrawlRun, Programme, utcnow
from catalog.supplement import fill_gaps, load_supplements
from config.settings import Settings
from crawlers.base import CrawlResult, SourceConfig, SourceError
from crawlers.fetch import Fetcher
from crawlers.health import mark_interrupted
from crawlers.registry import SOURCES, get_source

log = logging.getLogger(__name__)
SOURCES_FILE = Path(__file__).resolve().parent.parent / "config" / "sources.yaml"


def load_source_configs(path: Path = SOURCES_FILE) -> dict[str, SourceConfig]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(raw) - set(SOURCES)
    if unknown:
        raise ValueError(f"{path.name}: unknown sources {', '.join(sorted(unknown))}")
    return {name: SourceConfig(name=name, **(entry or {})) for name, entry in raw.items()}


@dataclass
class RunSummary:
    source: str
    status: str
    reason: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)


def _start(engine: Engine, source: str) -> int:
    with Session(engine) as s, s.begin():
        _close_interrupted(s, source)
        run = CrawlRun(source=source)
        s.add(run)
        s.flush()
        assert run.id is not None
        return run.id


def _close_interrupted(s: Session, source: str) -> None:
    """A run of this source still "running" when a new one starts was left by a killed process: a source is
    crawled by one process at a time (the worker's leader lock; the desk refuses while a run is recorded). Should
    such a run be alive after all, its own ``_finish`` overwrites this."""
    mark_interrupted(list(s.exec(select(CrawlRun).where(CrawlRun.source == source, CrawlRun.status == "running"))))


def _finish(engine: Engine, run_id: int, status: str, reason: str | None, counts: dict[str, Any]) -> None:
    with Session(engine) as s, s.begin():
        run = s.get(CrawlRun, run_id)
        assert run is not None
        run.status, run.reason, run.counts, run.finished_at = status, reason, counts, utcnow()


def check_result(result: CrawlResult, config: SourceConfig) -> None:
    """Refuse results that look like a broken source rather than a changed catalogue."""
    n = len(result.programmes)
    if n < config.min_programmes:
        raise SourceError(f"suspiciously small result: {n} programmes, at least {config.min_programmes} expected")
    ids = [p.id for p in result.programmes]
    if len(ids) != len(set(ids)):
        raise SourceError("the source produced the same programme id twice")


def apply_id_policy(result: CrawlResult, options: dict[str, Any]) -> CrawlResult:
    """``rename``: a source's own id -> the catalogue's stable id; ``defer``: ids whose source of record is
    another source (e.g. a Land programme the Förderdatenbank repeats), left out of this source's result."""
    rename, defer = options.get("rename") or {}, set(options.get("defer") or [])
    kept = []
    for p in result.programmes:
        p = p.model_copy(update={"id": rename[p.id]}) if p.id in rename else p
        if p.id in defer:
            result.warnings.append(f"{p.id}: left to its source of record")
        else:
            kept.append(p)
    result.programmes = kept
    return result


def store_result(engine: Engine, settings: Settings, source: str, result: CrawlResult, run_id: int) -> dict[str, Any]:
    """One transaction: new versions for changed programmes, misses counted for the unseen ones."""
    counts: dict[str, Any] = {"new": 0, "changed": 0, "unchanged": 0, "gone": 0}
    with Session(engine) as s, s.begin():
        taken = _owned_elsewhere(s, source, [p.id for p in result.programmes])
        if taken:
            raise SourceError(f"ids already kept by another source: {', '.join(sorted(taken))}")
        for p in result.programmes:
            outcome, _ = store.upsert_programme(s, p, crawl_run_id=run_id)
            counts[outcome] += 1
        gone = store.mark_missing(s, source=source, seen_ids=[p.id for p in result.programmes],
                                  threshold=settings.gone_after_missed_crawls, crawl_run_id=run_id)
        counts["gone"] = len(gone)
    return counts


def _owned_elsewhere(s: Session, source: str, ids: list[str]) -> set[str]:
    """A programme has one source of record; only curated entries may be taken over by a crawler."""
    rows = s.exec(select(Programme).where(col(Programme.id).in_(ids)))
    return {r.id for r in rows if r.source not in (source, "curated")}


async def crawl_source(engine: Engine, settings: Settings, config: SourceConfig, *,
                       rewrite: dict[str, str] | None = None, today: dt.date | None = None) -> RunSummary:
    run_id = _start(engine, config.name)
    counts: dict[str, Any] = {}
    try:
        source = get_source(config.name)
        async with Fetcher(engine, settings, delay_s=config.delay_s, rewrite=rewrite, crawl_run_id=run_id,
                           max_retries=settings.crawl_max_retries, backoff_s=settings.crawl_backoff_s) as fetch:
            try:
                result = await source.crawl(fetch, config, today=today or dt.date.today())
            finally:
                counts.update(requests=fetch.requests, not_modified=fetch.not_modified, bytes=fetch.bytes,
                              retries=fetch.retries)
        result = apply_id_policy(result, config.options)
        check_result(result, config)
        supplements = load_supplements()
        result.programmes = [fill_gaps(p, supplements.get(p.id)) for p in result.programmes]
        counts.update(store_result(engine, settings, config.name, result, run_id), pages=result.pages)
    except Exception as e:  # noqa: BLE001 - any failure of a source must leave the catalogue as it was
        reason = f"{e.__class__.__name__}: {e}"
        log.warning("crawl of %s failed: %s", config.name, reason)
        _finish(engine, run_id, "failed", reason, counts)
        return RunSummary(config.name, "failed", reason, counts)
    _finish(engine, run_id, "ok", None, counts)
    return RunSummary(config.name, "ok", None, counts)
