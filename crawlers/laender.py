"""Länder ministries' and bilateral funds' programme pages: one configured page per programme, facts quoted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast, get_args

import lxml.etree
import lxml.html
import trafilatura
from pydantic import ValidationError

from catalog.schema import LEVELS, Bundesland, Level, ProgrammeIn
from crawlers.base import CrawlResult, Fetch, Page, Source, SourceConfig, SourceError
from crawlers.extract import extract_rules
from crawlers.extract.text import sentences

MIN_TEXT = 200  # characters: less main text than this means the extraction missed the page's content
SUMMARY_MAX = 400
_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "td", "th", "blockquote")
# An H1 in the page chrome (logo, navigation) is not the programme's title.
_TITLE_XPATH = "//h1[not(ancestor::header or ancestor::nav or ancestor::footer or ancestor::aside)]"


@dataclass(frozen=True)
class PageEntry:
    """One item of ``laender.options.pages``: which page to read and what the page itself does not say."""

    id: str
    url: str
    funder: str
    level: Level
    title: str
    states: tuple[Bundesland, ...] = ()
    selector: str | None = None  # XPath of the main content, used when the generic extraction finds too little

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> PageEntry:
        missing = [key for key in ("id", "url", "funder", "level", "title") if not raw.get(key)]
        unknown = set(raw) - {"id", "url", "funder", "level", "title", "states", "selector"}
        states = tuple(raw.get("states") or ())
        invalid = [s for s in states if s not in get_args(Bundesland)]
        invalid += [raw.get("level")] if raw.get("level") not in LEVELS else []
        if missing or unknown or invalid:
            raise SourceError(f"laender page {raw.get('id', '?')}: missing {missing}, unknown keys {sorted(unknown)}, "
                              f"unknown level or states {invalid}")  # fmt: skip
        return cls(
            id=raw["id"], url=raw["url"], funder=raw["funder"], level=cast(Level, raw["level"]), title=raw["title"],
            states=cast(tuple[Bundesland, ...], states), selector=raw.get("selector"),
        )  # fmt: skip


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _selected_text(html: str, selector: str) -> str:
    """Block texts (one per line) inside the elements an XPath selects."""
    try:
        nodes = lxml.html.document_fromstring(html).xpath(selector)
    except (lxml.etree.XPathError, lxml.etree.ParserError, ValueError) as e:
        raise SourceError(f"selector {selector!r} unusable: {e}") from e
    lines = []
    for node in (n for n in nodes if isinstance(n, lxml.html.HtmlElement)):
        for element in node.iter(*_BLOCKS):
            if not any(a.tag in _BLOCKS for a in element.iterancestors()):
                lines.append(_clean(element.text_content()))
    return "\n".join(line for line in lines if line)


def main_text(html: str, selector: str | None = None) -> str:
    """The page's main content as blocks separated by blank lines: trafilatura first (it drops navigation,
    cookie banners and footers), the configured XPath selector where that finds too little."""
    text = trafilatura.extract(html, output_format="txt", include_tables=True, include_comments=False,
                               favor_precision=True) or ""  # fmt: skip
    if len(text) < MIN_TEXT and selector:
        text = _selected_text(html, selector)
    blocks = [_clean(line) for line in text.splitlines() if line.strip()]
    return "\n\n".join(blocks)


def _title(html: str) -> str | None:
    try:
        found = lxml.html.document_fromstring(html).xpath(_TITLE_XPATH)
    except (lxml.etree.ParserError, ValueError):
        return None
    title = _clean(found[0].text_content()) if found else ""
    return title or None


def _summary(text: str, title: str) -> str:
    """The first sentences of the first paragraph (a block ending in a full stop), at most SUMMARY_MAX long."""
    paragraphs = [b for b in text.split("\n\n") if b != title and b.rstrip().endswith((".", "!", "?"))]
    if not paragraphs:
        return ""
    summary = ""
    for sentence in sentences(paragraphs[0])[:2]:
        if summary and len(summary) + len(sentence) + 1 > SUMMARY_MAX:
            break
        summary = f"{summary} {sentence}".strip()
    return summary if len(summary) <= SUMMARY_MAX else summary[: SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"


def parse_page(page: Page, entry: PageEntry | Mapping[str, Any], today: dt.date) -> ProgrammeIn:
    """The programme one ministry or fund page describes; too little main text raises SourceError."""
    entry = entry if isinstance(entry, PageEntry) else PageEntry.from_config(entry)
    html = page.text()
    text = main_text(html, entry.selector)
    if len(text) < MIN_TEXT:
        raise SourceError(f"{entry.id}: {entry.url} has no main content ({len(text)} characters); layout changed?")
    title = _title(html) or entry.title
    summary = _summary(text, title)
    if len(summary) < 20:
        raise SourceError(f"{entry.id}: {entry.url} has no paragraph to summarise; layout changed?")
    facts = extract_rules(text, entry.url, as_of=today)
    return ProgrammeIn(
        id=entry.id, source="laender", source_key=entry.id, url=entry.url, language="de", title=title,
        funder=entry.funder, level=entry.level, states=list(entry.states), summary=summary, text=text,
        rules=facts.rules, deadlines=facts.deadlines, rhythm=facts.rhythm, paused=facts.paused,
        evidence=facts.evidence, source_urls=[entry.url], as_of=today,
    )  # fmt: skip


class LaenderSource(Source):
    name = "laender"

    async def crawl(self, fetch: Fetch, config: SourceConfig, *, today: dt.date) -> CrawlResult:
        entries = [PageEntry.from_config(raw) for raw in config.options.get("pages") or []]
        if not entries:
            raise SourceError("laender: no pages configured (laender.options.pages)")
        ids = [e.id for e in entries]
        if len(set(ids)) != len(ids):
            raise SourceError(f"laender: ids configured twice: {sorted({i for i in ids if ids.count(i) > 1})}")
        programmes = []
        # One failing page fails the whole crawl: a partial result would look like programmes had ended.
        for entry in entries:
            page = await fetch(entry.url)
            if page.status >= 400 or not page.body:
                raise SourceError(f"{entry.id}: {entry.url} answered HTTP {page.status} with {len(page.body)} bytes")
            try:
                programmes.append(parse_page(page, entry, today))
            except ValidationError as e:
                raise SourceError(f"{entry.id}: the page does not make a valid programme: {e}") from e
        return CrawlResult(programmes, pages=len(entries))
