"""The contract every source module fulfils, and the page type the fetcher hands to parsers."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol

from catalog.schema import ProgrammeIn


class SourceError(Exception):
    """A source misbehaved (network, status, parse, layout): the crawl fails, the catalogue stays."""


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    body: bytes
    content_type: str
    fetched_at: dt.datetime
    not_modified: bool = False  # a 304: body is the archived copy of the last 200
    sha256: str = ""

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Fetch(Protocol):
    """What a source may call to get a page; polite fetching, archiving and 304s live behind it."""

    async def __call__(self, url: str, *, method: str = "GET", data: Any = None, files: Any = None,
                       accept: tuple[str, ...] = ("text/html",)) -> Page: ...


@dataclass(frozen=True)
class SourceConfig:
    """One entry of config/sources.yaml."""

    name: str
    base_url: str
    cron: str = "0 4 * * *"
    delay_s: float = 1.0
    min_programmes: int = 1
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class CrawlResult:
    programmes: list[ProgrammeIn]
    pages: int = 0
    warnings: list[str] = field(default_factory=list)


class Source(ABC):
    """A source module: ``crawl`` does the I/O through ``fetch``; parsing stays in pure functions."""

    name: str

    @abstractmethod
    async def crawl(self, fetch: Fetch, config: SourceConfig, *, today: dt.date) -> CrawlResult: ...
