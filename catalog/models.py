"""Database tables of the catalogue: programmes, their versions and events, crawl runs, corrections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Programme(SQLModel, table=True):
    """The current state of one programme. ``data`` holds a ``ProgrammeIn`` as JSON (as the source
    said it); corrections are kept apart and laid over it when read."""

    id: str = Field(primary_key=True, max_length=120)
    source: str = Field(index=True, max_length=60)
    source_key: str | None = Field(default=None, max_length=300)
    level: str = Field(index=True, max_length=20)
    title: str
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    as_of: dt.date | None = None
    first_seen: dt.datetime = Field(default_factory=utcnow)
    last_seen: dt.datetime = Field(default_factory=utcnow)
    # Indexed: the matcher asks for max(last_changed) before every match to know whether to re-index.
    last_changed: dt.datetime = Field(default_factory=utcnow, index=True)
    gone_since: dt.datetime | None = None
    missed_crawls: int = 0
    version: int = 1


class ProgrammeVersion(SQLModel, table=True):
    """Every state a programme has had; ``diff`` maps each changed field to [old, new]."""

    __table_args__ = (UniqueConstraint("programme_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: str = Field(index=True, foreign_key="programme.id", max_length=120)
    version: int
    created_at: dt.datetime = Field(default_factory=utcnow)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawlrun.id")
    content_hash: str = Field(max_length=64)
    changed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    diff: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class ProgrammeEvent(SQLModel, table=True):
    """What happened to a programme in a crawl or load: new, changed (fields), gone, back."""

    id: int | None = Field(default=None, primary_key=True)
    programme_id: str = Field(index=True, foreign_key="programme.id", max_length=120)
    kind: str = Field(max_length=20)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawlrun.id")


class CrawlRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True, max_length=60)
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    status: str = Field(default="running", max_length=20)  # running | ok | failed
    reason: str | None = None
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Correction(SQLModel, table=True):
    """An adviser's fix of one programme field, laid over crawled data until withdrawn."""

    id: int | None = Field(default=None, primary_key=True)
    programme_id: str = Field(index=True, foreign_key="programme.id", max_length=120)
    field: str = Field(max_length=80)  # a ProgrammeIn field or "rules.<name>"
    value: Any = Field(default=None, sa_column=Column(JSON))
    reason: str
    author: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)
    active: bool = True
    needs_review: bool = False
    review_note: str | None = None


class PassageVector(SQLModel, table=True):
    """An embedded passage; reused while the passage text and the model stay the same."""

    __table_args__ = (UniqueConstraint("model_id", "text_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: str = Field(max_length=200)
    text_hash: str = Field(max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
