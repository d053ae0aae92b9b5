"""SKEW source: the overview of funding offers, each offer's detail page and, where needed, its Merkblatt PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement
from pydantic import ValidationError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from catalog.schema import Deadline, Evidence, ProgrammeIn, Rules
from crawlers.base import CrawlResult, Fetch, Page, Source, SourceConfig, SourceError
from crawlers.extract import Extraction, extract_rules
from crawlers.extract.deadlines import INFERRED_NOTE
from crawlers.extract.text import sentences

DEFAULT_FUNDER = "BMZ über Engagement Global / Servicestelle Kommunen in der Einen Welt (SKEW)"
LISTING_HEADING = "Unsere Förderangebote"
MORE_LINK = "Mehr Informationen"
PDF = ("application/pdf",)
# The sentence every SKEW page opens with; it says nothing about any programme.
_BOILERPLATE_RE = re.compile(
    r"Wir bieten fundierte Beratung, Vernetzung und Förderung für Kommunen\s*[–—-]\s*"
    r"Ihr Rundum-Paket für kommunale Nachhaltigkeit und globale Verantwortung\.?\s*"
)
_PHOTO_RE = re.compile(r"\s*(?:©\s*)?Foto:[^\n]*$")
_CAPTION_MAX = 160  # a block ending in "Foto: …" and no longer than this is an image caption
_CALL_RE = re.compile(r"^Bekanntmachung\b")
_RULES_PDF_RE = re.compile(r"Merkblatt|Bekanntmachung|Förderleitlinie|Richtlinie", re.I)
_NO_GRANT_RE = re.compile(
    r"\bKein(?:en)? (?:Geld)?[Zz]uschuss|\bkeine (?:finanzielle |Geld)?Förderung|kostenneutral"
    r"|kostenfrei",
    re.I,
)
_INFERRED = INFERRED_NOTE.split(";")[0]  # the extractor's note on a date whose year it had to assume
_PAGE_NUMBER_RE = re.compile(r"^\s*Seite \d+ von \d+\s*$", re.M)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = (*_HEADINGS, "p", "li", "dt", "dd", "td", "th", "blockquote")
# Inside <main>: parts that are not the programme's text.
_CHROME = "|".join(f".//{tag}" for tag in ("script", "style", "nav", "aside", "form", "figure", "button", "noscript"))
_CHROME += "|.//*[contains(@class, 'cookie')]"


@dataclass(frozen=True)
class OverviewItem:
    """One offer of the overview: its title, category heading, keyed bullets and detail link (absolute)."""

    title: str
    category: str | None
    bullets: dict[str, str]
    link: str


@dataclass(frozen=True)
class DetailText:
    """A detail page (or one anchored section of it) as plain text, blocks separated by blank lines."""

    url: str
    title: str
    text: str
    calls: list[str] = field(default_factory=list)  # "Bekanntmachung 2024": the call's heading, kept apart from dates
    pdf_links: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _main(page: Page) -> HtmlElement:
    """The page's main content without navigation, banners, figures and scripts."""
    try:
        root = lxml.html.document_fromstring(page.body)
    except (ValueError, lxml.etree.ParserError) as e:
        raise SourceError(f"{page.url}: not an HTML page ({e})") from e
    main = next(iter(root.xpath("//main|//*[@role='main']")), None)
    if main is None:
        raise SourceError(f"{page.url}: layout changed, no <main> element")
    for element in main.xpath(_CHROME):
        element.drop_tree()
    return main


def _blocks(root: HtmlElement) -> list[str]:
    """Text of each outermost block element, boilerplate and photo credits removed."""
    out = []
    for element in root.iter(*_BLOCKS):
        if any(ancestor.tag in _BLOCKS for ancestor in element.iterancestors()):
            continue
        text = _BOILERPLATE_RE.sub("", _clean(element.text_content()))
        if _PHOTO_RE.search(text):
            text = "" if len(text) <= _CAPTION_MAX else _PHOTO_RE.sub("", text)
        if text:
            out.append(text)
    return out


def _keyed_bullets(ul: HtmlElement) -> dict[str, str]:
    """'Key: value' for each list item that starts with a bold key ending in a colon."""
    bullets = {}
    for li in ul.iterchildren("li"):
        bold = next(li.iterchildren("strong", "b"), None)
        text = _clean(li.text_content())
        if bold is not None and _clean(bold.text_content()).endswith(":") and ":" in text:
            key, value = text.split(":", 1)
            bullets[key.strip()] = value.strip()
    return bullets


def parse_overview(page: Page) -> list[OverviewItem]:
    """Every offer listed under 'Unsere Förderangebote'; a page without them raises SourceError."""
    main = _main(page)
    elements = list(main.iter())
    start = next(
        (i for i, e in enumerate(elements) if e.tag in _HEADINGS and _clean(e.text_content()) == LISTING_HEADING), None
    )
    if start is None:
        raise SourceError(f"{page.url}: layout changed, heading {LISTING_HEADING!r} not found")
    items: list[dict[str, Any]] = []
    headings: dict[int, str] = {}
    fresh_title = False
    for element in elements[start + 1 :]:
        if element.tag in _HEADINGS:
            level = int(element.tag[1])
            headings = {lv: text for lv, text in headings.items() if lv < level}
            headings[level] = _clean(element.text_content())
            fresh_title = True
        elif element.tag == "ul" and (bullets := _keyed_bullets(element)):
            if not fresh_title or not headings:
                raise SourceError(f"{page.url}: layout changed, a bullet list without its own title heading")
            levels = sorted(headings)
            category = headings[levels[-2]] if len(levels) > 1 else None
            items.append({"title": headings[levels[-1]], "category": category, "bullets": bullets, "link": None})
            fresh_title = False
        elif element.tag == "a" and items and items[-1]["link"] is None and _clean(element.text_content()) == MORE_LINK:
            items[-1]["link"] = urljoin(page.url, element.get("href", ""))
    if not items:
        raise SourceError(f"{page.url}: layout changed, no funding offer found under {LISTING_HEADING!r}")
    for item in items:
        if "Beschreibung" not in item["bullets"] or not item["link"]:
            raise SourceError(f"{page.url}: layout changed, offer {item['title']!r} lacks 'Beschreibung:' or its link")
    return [OverviewItem(**item) for item in items]


def _section(main: HtmlElement, url: str, fragment: str) -> HtmlElement:
    found = main.xpath(".//*[@id=$id]", id=fragment)
    if not found:
        raise SourceError(f"{url}: layout changed, section #{fragment} not found")
    return found[0]


def parse_detail(page: Page, *, fragment: str | None = None, exclude: tuple[str, ...] = ()) -> DetailText:
    """The detail page's text (or only the section with id ``fragment``; sections in ``exclude`` left out)."""
    main = _main(page)
    for other in exclude:
        _section(main, page.url, other).drop_tree()
    root = _section(main, page.url, fragment) if fragment else main
    first_heading = next(root.iter("h1") if not fragment else root.iter(*_HEADINGS), None)
    if first_heading is None:
        raise SourceError(f"{page.url}: layout changed, no title heading")
    blocks = _blocks(root)
    if len(blocks) < 2:
        raise SourceError(f"{page.url}: layout changed, no text below the title")
    calls = [_clean(h.text_content()) for h in root.iter(*_HEADINGS) if _CALL_RE.match(_clean(h.text_content()))]
    pdf_links = [
        urljoin(page.url, a.get("href", ""))
        for a in root.iter("a")
        if urlsplit(a.get("href", "")).path.lower().endswith(".pdf")
        and _RULES_PDF_RE.search(_clean(a.text_content()) + " " + a.get("href", ""))
    ]
    url = f"{page.url}#{fragment}" if fragment else page.url
    return DetailText(url, _clean(first_heading.text_content()), "\n\n".join(blocks), calls, pdf_links)


def pdf_text(data: bytes) -> str:
    """The text of a PDF (pages separated by blank lines, page numbers dropped); unreadable ones raise."""
    try:
        pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    except (PyPdfError, ValueError, OSError, KeyError) as e:
        raise SourceError(f"unreadable PDF ({e.__class__.__name__}: {e})") from e
    text = "\n\n".join(_PAGE_NUMBER_RE.sub("", page).strip() for page in pages).strip()
    if not text:
        raise SourceError("PDF without a text layer")
    return text


def _bullet_text(item: OverviewItem) -> str:
    return "\n\n".join(f"{key}: {value}" for key, value in item.bullets.items())


_RANGE = ("grant_min_eur", "grant_max_eur")


def _stated(value: Any) -> bool:
    return value is not None and value is not False and value != [] and value != {}


def _merge_rules(extractions: list[Extraction]) -> tuple[Rules, dict[str, Evidence]]:
    """Each fact from the first text that states it (overview, then detail page, then PDFs); the grant range
    comes as one pair from one text, so tiers of different texts never mix."""
    values: dict[str, Any] = {}
    evidence: dict[str, Evidence] = {}
    ranged = next((ex for ex in extractions if any(getattr(ex.rules, n) is not None for n in _RANGE)), None)
    for ex in extractions:
        for name in Rules.model_fields:
            value = getattr(ex.rules, name)
            if name in values or not _stated(value) or (name in _RANGE and ex is not ranged):
                continue
            values[name] = value
            if name in ex.evidence:
                evidence[name] = ex.evidence[name]
    return Rules(**values), evidence


def _deadlines(
    extractions: list[Extraction], detail_index: int, calls: list[str], evidence: dict[str, Evidence]
) -> list[Deadline]:
    """All deadlines in text order; after 'Frist abgelaufen', dates whose year was only inferred are dropped."""
    closed = any(ex.call_state == "closed" for ex in extractions)
    out: list[Deadline] = []
    for i, ex in enumerate(extractions):
        for deadline in ex.deadlines:
            if closed and deadline.note and deadline.note.startswith(_INFERRED):
                continue
            if i == detail_index and len(calls) == 1 and deadline.note is None:
                deadline = deadline.model_copy(update={"note": calls[0]})
            if deadline not in out:
                out.append(deadline)
                if "deadlines" not in evidence and "deadlines" in ex.evidence:
                    evidence["deadlines"] = ex.evidence["deadlines"]
    return out


def _summary(item: OverviewItem, detail: DetailText) -> str:
    summary = item.bullets.get("Beschreibung", "")
    if len(summary) < 80:
        summary = " ".join([summary, *sentences(detail.text)[1:3]]).strip()
    return summary


def build_programme(item: OverviewItem, detail: DetailText, pdf_texts: list[tuple[str, str]], today: dt.date, *,
                    programme_id: str, overview_url: str, funder: str = DEFAULT_FUNDER) -> ProgrammeIn:  # fmt: skip
    """The programme an overview entry, its detail text and its PDFs (url, text) describe, facts quoted."""
    texts = [(_bullet_text(item), overview_url), (detail.text, detail.url), *((t, u) for u, t in pdf_texts)]
    extractions = [extract_rules(text, url, as_of=today) for text, url in texts]
    rules, evidence = _merge_rules(extractions)
    amount = item.bullets.get("Antragshöhe", "")
    no_grant = _NO_GRANT_RE.search(amount)
    if no_grant and rules.funding_rate is None and rules.grant_max_eur is None:
        rules = rules.model_copy(update={"no_grant": True})
        evidence["no_grant"] = Evidence(quote=f"Antragshöhe: {amount}", url=overview_url)
    deadlines = _deadlines(extractions, 1, detail.calls, evidence)
    for name in ("rhythm", "call_state", "paused"):
        quote = next((ex.evidence[name] for ex in extractions if name in ex.evidence), None)
        if quote:
            evidence[name] = quote
    return ProgrammeIn(
        id=programme_id, source="skew", source_key=_key(item.link), url=detail.url, language="de", title=item.title,
        funder=funder, level="bund", summary=_summary(item, detail), text="\n\n".join(text for text, _ in texts),
        rules=rules, deadlines=deadlines, rhythm=next((ex.rhythm for ex in extractions if ex.rhythm), None),
        paused=any(ex.paused for ex in extractions), evidence=evidence,
        source_urls=[overview_url, urldefrag(detail.url)[0], *(u for u, _ in pdf_texts)], as_of=today,
    )  # fmt: skip


def _key(link: str) -> str:
    """The id-map key of a detail link: its path, plus '#fragment' where one page holds two offers."""
    base, fragment = urldefrag(link)
    return urlsplit(base).path + (f"#{fragment}" if fragment else "")


def _programme_id(key: str, ids: dict[str, str]) -> str:
    """The curated id of a detail link, else one made from its path (the crawl warns about it)."""
    return ids.get(key) or "skew-" + re.sub(r"[^a-z0-9]+", "-", re.sub(r"\.html?", "", key.lower())).strip("-")


async def _programme(fetch: Fetch, item: OverviewItem, detail: DetailText, pdfs: dict[str, str], today: dt.date,
                     **kwargs: str) -> ProgrammeIn:  # fmt: skip
    """Built from overview and detail page; the linked Merkblatt PDFs are read only when those state no rate."""
    try:
        programme = build_programme(item, detail, [], today, **kwargs)
        if programme.rules.funding_rate is not None or programme.rules.no_grant or not detail.pdf_links:
            return programme
        for link in detail.pdf_links:
            if link not in pdfs:  # several offers may link the same PDF: read it once
                pdfs[link] = pdf_text((await _get(fetch, link, accept=PDF)).body)
        return build_programme(item, detail, [(link, pdfs[link]) for link in detail.pdf_links], today, **kwargs)
    except ValidationError as e:
        raise SourceError(f"{item.link}: offer {item.title!r} does not make a valid programme: {e}") from e


async def _get(fetch: Fetch, url: str, accept: tuple[str, ...] = ("text/html",)) -> Page:
    page = await fetch(url, accept=accept)
    if page.status >= 400 or not page.body:
        raise SourceError(f"{url}: HTTP {page.status}, {len(page.body)} bytes")
    return page


class SkewSource(Source):
    name = "skew"

    async def crawl(self, fetch: Fetch, config: SourceConfig, *, today: dt.date) -> CrawlResult:
        overview_url = urljoin(config.base_url, config.options.get("overview_path", "/kommunale-foerderung.html"))
        items = parse_overview(await _get(fetch, overview_url))
        ids: dict[str, str] = config.options.get("ids") or {}
        funder = config.options.get("funder") or DEFAULT_FUNDER
        pages: dict[str, Page] = {}
        pdfs: dict[str, str] = {}
        programmes: list[ProgrammeIn] = []
        warnings: list[str] = []
        for item in items:
            base, fragment = urldefrag(item.link)
            if base not in pages:
                pages[base] = await _get(fetch, base)
            siblings = tuple(f for b, f in (urldefrag(o.link) for o in items) if b == base and f and f != fragment)
            detail = parse_detail(pages[base], fragment=fragment or None, exclude=() if fragment else siblings)
            key, programme_id = _key(item.link), _programme_id(_key(item.link), ids)
            if key not in ids:
                warnings.append(f"offer {item.title!r} ({key}) has no id in skew.options.ids; using {programme_id}")
            kwargs = {"programme_id": programme_id, "overview_url": overview_url, "funder": funder}
            programmes.append(await _programme(fetch, item, detail, pdfs, today, **kwargs))
        seen = [p.id for p in programmes]
        if len(set(seen)) != len(seen):
            raise SourceError(f"two offers map to one programme id: {sorted(i for i in seen if seen.count(i) > 1)}")
        warnings += [f"curated id {i} not found on the overview" for i in sorted(set(ids.values()) - set(seen))]
        return CrawlResult(programmes, pages=1 + len(pages) + len(pdfs), warnings=warnings)
