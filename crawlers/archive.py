"""The raw page archive: bodies stored content-addressed on disk, a RawPage row per fetch, pruned by age."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.settings import Settings
from crawlers.models import RawPage, UrlState

URL_MAX = 2000  # the column width of RawPage.url and UrlState.url


class Archive:
    """Files under ``<data_dir>/raw/<sha[:2]>/<sha>``; the same body fetched twice is stored once."""

    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.data_dir) / "raw"

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def read(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()

    def put(self, body: bytes) -> str:
        """Store ``body`` and return its sha256; a crash mid-write never leaves a half file under the name."""
        sha = hashlib.sha256(body).hexdigest()
        target = self.path(sha)
        if target.exists():
            # A fresh mtime tells a concurrent prune that this file is in use again.
            os.utime(target)
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, target)
        return sha


def record(s: Session, *, url: str, status: int, sha256: str | None, content_type: str | None, size: int,
           crawl_run_id: int | None, fetched_at: dt.datetime) -> RawPage:
    """Add the index row of one fetch to the caller's transaction."""
    row = RawPage(url=url[:URL_MAX], status=status, sha256=sha256, content_type=(content_type or "")[:200] or None,
                  size=size, crawl_run_id=crawl_run_id, fetched_at=fetched_at)
    s.add(row)
    return row


@dataclass(frozen=True)
class Pruned:
    rows: int
    files: int


def prune(engine: Engine, settings: Settings, now: dt.datetime) -> Pruned:
    """Forget fetches older than ``raw_retention_days``; delete their files unless something still needs them."""
    cutoff = now - dt.timedelta(days=settings.raw_retention_days)
    old = col(RawPage.fetched_at) < cutoff
    with Session(engine) as s, s.begin():
        still_used = (
            select(RawPage.sha256).where(~old, col(RawPage.sha256).is_not(None))
            .union(select(UrlState.sha256))
        )
        doomed = s.exec(
            select(RawPage.sha256).distinct()
            .where(old, col(RawPage.sha256).is_not(None), col(RawPage.sha256).not_in(still_used))
        ).all()
        rows = s.exec(delete(RawPage).where(old)).rowcount  # type: ignore[call-overload]
    # Files go only after the rows are committed: a failed transaction must not leave rows without files.
    archive = Archive(settings)
    files = sum(_unlink_if_older(archive.path(sha), cutoff) for sha in doomed if sha)
    return Pruned(rows=rows or 0, files=files)


def _unlink_if_older(path: Path, cutoff: dt.datetime) -> bool:
    # A file written or re-stored after the cutoff belongs to a fetch that may not be committed yet.
    try:
        if path.stat().st_mtime >= cutoff.timestamp():
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True
