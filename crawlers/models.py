"""Crawl bookkeeping tables: the raw page archive index and per-URL validators for conditional GET."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from catalog.models import utcnow


class RawPage(SQLModel, table=True):
    """One fetch: what came back, stored content-addressed under <data_dir>/raw/<sha256[:2]>/<sha256>."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(index=True, max_length=2000)
    fetched_at: dt.datetime = Field(default_factory=utcnow, index=True)
    status: int
    sha256: str | None = Field(default=None, max_length=64)
    content_type: str | None = Field(default=None, max_length=200)
    size: int = 0
    crawl_run_id: int | None = Field(default=None, foreign_key="crawlrun.id")


class UrlState(SQLModel, table=True):
    """Validators of the last good (200) response of a URL, for If-None-Match / If-Modified-Since."""

    url: str = Field(primary_key=True, max_length=2000)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    sha256: str = Field(max_length=64)
    content_type: str | None = Field(default=None, max_length=200)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class WorkerLease(SQLModel, table=True):
    """The leader lease of the worker on databases without advisory locks (SQLite)."""

    name: str = Field(primary_key=True, max_length=60)
    holder: str = Field(max_length=200)
    expires_at: dt.datetime
