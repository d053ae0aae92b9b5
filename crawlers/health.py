"""Per-source health: last success, last failure and why, counts, and whether the data is stale."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from catalog.models import CrawlRun, Programme, utcnow
from crawlers.base import SourceConfig


def _last(s: Session, source: str, status: str) -> CrawlRun | None:
    query = select(CrawlRun).where(CrawlRun.source == source, CrawlRun.status == status)
    return s.exec(query.order_by(col(CrawlRun.started_at).desc()).limit(1)).first()


def source_health(
    engine: Engine, configs: dict[str, SourceConfig], *, stale_after_days: int, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    now = now or utcnow()
    out = []
    with Session(engine) as s:
        for name, cfg in configs.items():
            ok, bad = _last(s, name, "ok"), _last(s, name, "failed")
            n = s.exec(
                select(func.count())
                .select_from(Programme)
                .where(Programme.source == name, col(Programme.gone_since).is_(None))
            ).one()
            last_ok = _aware(ok.finished_at or ok.started_at) if ok else None
            out.append(
                {
                    "source": name,
                    "enabled": cfg.enabled,
                    "programmes": n,
                    "last_success": last_ok,
                    "last_success_counts": ok.counts if ok else None,
                    "last_failure": _aware(bad.started_at) if bad else None,
                    "last_failure_reason": bad.reason if bad else None,
                    "failing": bool(bad and (not ok or _aware(bad.started_at) > _aware(ok.started_at))),
                    "stale": last_ok is None or now - last_ok > dt.timedelta(days=stale_after_days),
                }
            )
    return out


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without a zone; they were written in UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


# A run still "running" after this long was left by a killed process (crawls take minutes).
STALE_RUN = dt.timedelta(hours=6)


def mark_interrupted(runs: list[CrawlRun]) -> int:
    """Record runs a killed process left "running" as failed (their catalogue transaction never committed)."""
    for r in runs:
        r.status, r.reason, r.finished_at = "failed", "interrupted (the crawling process ended)", utcnow()
    return len(runs)


def reap_interrupted(engine: Engine, *, older_than: dt.timedelta = STALE_RUN) -> int:
    cutoff = utcnow() - older_than
    with Session(engine) as s, s.begin():
        running = s.exec(select(CrawlRun).where(CrawlRun.status == "running"))
        return mark_interrupted([r for r in running if _aware(r.started_at) < cutoff])
