"""EU Funding & Tenders Portal: forthcoming and open grant topics of the programmes that fund towns."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from catalog.schema import Deadline, Evidence, PartnerRule, ProgrammeIn, Rules
from crawlers.base import CrawlResult, Fetch, Source, SourceConfig
from crawlers.eu_search import (
    OPEN,
    SearchOptions,
    deduplicate,
    first,
    json_field,
    parse_page,
    programme_key,
    search_files,
    search_url,
    strings,
    wanted,
)
from crawlers.extract import extract_rules
from crawlers.extract.text import sentences
from crawlers.html_text import html_to_text

_COUNTRY_LIST_CUE_RE = re.compile(r"\b(?:eligible|participating) countries\b", re.I)


def topic_id(identifier: str, table: tuple[tuple[str, str], ...]) -> str:
    """The catalogue id: a configured stable id for a recurring call, else ``eu-<identifier in lower case>``."""
    for pattern, catalogue_id in table:
        if re.search(pattern, identifier):
            return catalogue_id
    return "eu-" + re.sub(r"[^a-z0-9]+", "-", identifier.lower()).strip("-")


def _date(raw: str | None) -> dt.date | None:
    return dt.date.fromisoformat(raw[:10]) if raw and re.match(r"\d{4}-\d\d-\d\d", raw) else None


def _call_dates(meta: dict[str, Any]) -> tuple[dt.date | None, list[dt.date]]:
    """(opening, deadlines) from the metadata, else from the ``actions`` JSON."""
    opens, closes = _date(first(meta, "startDate")), [_date(d) for d in strings(meta, "deadlineDate")]
    actions = json_field(meta, "actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        opens = opens or _date(actions[0].get("plannedOpeningDate"))
        closes = closes or [_date(d) for d in actions[0].get("deadlineDates") or []]
    return opens, sorted({d for d in closes if d})


def topic_deadlines(meta: dict[str, Any]) -> tuple[list[Deadline], str | None]:
    """Opening and deadline(s) as catalogue deadlines, and the quote that states them.

    The first deadline with an opening date is a window (a forthcoming topic opens in the future); a two-stage
    call's first deadline is for the first-stage proposal; later dates are further cut-offs or the second stage.
    """
    opens, closes = _call_dates(meta)
    if not closes:
        return [], None
    model = first(meta, "deadlineModel") or ""
    two_stage = "two-stage" in model
    out: list[Deadline] = []
    for i, date in enumerate(closes):
        note = ("first stage" if i == 0 else "second stage") if two_stage else (model or None)
        if i == 0 and opens and opens <= date:
            out.append(Deadline(kind="window", date=opens, end=date, note=note))
        else:
            out.append(Deadline(kind="interest" if two_stage and i == 0 else "application", date=date, note=note))
    raw = {name: ", ".join(strings(meta, name)) for name in ("startDate", "deadlineDate", "deadlineModel")}
    return out, "; ".join(f"{name}: {value}" for name, value in raw.items() if value) or None


def topic_budget(meta: dict[str, Any], identifier: str) -> tuple[float | None, float | None, str | None]:
    """Minimum and maximum EU contribution per grant from ``budgetOverview`` (which lists every topic of the
    call: the entry whose action starts with this topic's identifier)."""
    overview = json_field(meta, "budgetOverview")
    actions = (overview or {}).get("budgetTopicActionMap") if isinstance(overview, dict) else None
    for entries in (actions or {}).values():
        for entry in entries if isinstance(entries, list) else []:
            action = str(entry.get("action", ""))
            if action == identifier or action.startswith(identifier + " "):
                low, high = entry.get("minContribution"), entry.get("maxContribution")
                low = float(low) if isinstance(low, int | float) and low > 0 else None
                high = float(high) if isinstance(high, int | float) and high > 0 else None
                if low is not None and high is not None and low > high:
                    return None, None, None
                said = {k: entry.get(k) for k in ("action", "minContribution", "maxContribution")}
                return low, high, json.dumps(said, ensure_ascii=False)
    return None, None, None


def _with_country_list(rules: Rules, text: str, name: str | None) -> tuple[Rules, str | None]:
    """A programme whose calls admit a named country list: the list, when the topic refers to it."""
    parts = sentences(text) if name else []
    at = next((i for i, s in enumerate(parts) if _COUNTRY_LIST_CUE_RE.search(s)), None)
    rule = rules.partner_rule or PartnerRule()
    if name is None or at is None or name in rule.lists:
        return rules, None
    # A heading ("1. Eligible countries") is quoted with the line that follows it.
    quote = " ".join(parts[at : at + 2]) if len(parts[at]) < 40 else parts[at]
    rule = PartnerRule.model_validate({**rule.model_dump(), "lists": [*rule.lists, name]})  # checks the name
    return rules.model_copy(update={"partner_rule": rule}), quote


def _summary(description: str, title: str) -> str:
    prose = [line.lstrip("-• ") for line in description.split("\n") if len(line) >= 40]
    text = prose[0] if prose else title
    return text if len(text) <= 400 else text[: text.rfind(" ", 0, 400)] + " …"


def _facts(
    meta: dict[str, Any], text: str, identifier: str, url: str, key: str, options: SearchOptions, today: dt.date
) -> tuple[Rules, list[Deadline], dict[str, Evidence], Any]:
    """Rules and deadlines: structured metadata first (dates, budget), the text for the rest."""
    found = extract_rules(text, url, as_of=today)
    evidence = dict(found.evidence)
    rules, cue = _with_country_list(found.rules, text, options.country_lists.get(key))
    if cue:
        evidence.setdefault("partner_rule", Evidence(quote=cue, url=url))
    low, high, said = topic_budget(meta, identifier)
    if said and (low is not None or high is not None):
        rules = rules.model_copy(update={"grant_min_eur": low, "grant_max_eur": high})
        for name in ("grant_min_eur", "grant_max_eur"):
            evidence[name] = Evidence(quote=said, url=url)
    deadlines, dates_said = topic_deadlines(meta)
    if dates_said:
        evidence["deadlines"] = Evidence(quote=dates_said, url=url)
    return rules, deadlines or found.deadlines, evidence, found


def to_programme(result: dict[str, Any], options: SearchOptions, *, today: dt.date) -> ProgrammeIn:
    """One topic (a search result) as catalogue content."""
    meta = result["metadata"]
    identifier = first(meta, "identifier") or ""
    key = programme_key(meta, options) or ""
    url = options.topic_url.format(identifier=identifier)
    description = html_to_text(first(meta, "descriptionByte"))
    text = "\n\n".join(t for t in (description, html_to_text(first(meta, "topicConditions"))) if t)
    title = " ".join((first(meta, "title") or result.get("summary") or identifier).split())
    rules, deadlines, evidence, found = _facts(meta, text, identifier, url, key, options, today)
    return ProgrammeIn(
        id=topic_id(identifier, options.ids),
        source="eu_portal",
        source_key=identifier,
        url=url,
        language="en",
        title=title,
        short_name=identifier,
        funder=options.funders.get(key) or f"European Commission ({key})",
        level="eu",
        summary=_summary(description, title),
        text=text,
        themes=strings(meta, "tags")[:12],
        rules=rules,
        deadlines=deadlines,
        rhythm=found.rhythm,
        paused=found.paused,
        evidence=evidence,
        source_urls=[url],
    )


def _merge(programmes: list[tuple[bool, ProgrammeIn]]) -> list[ProgrammeIn]:
    """Topics mapped to one catalogue id (this year's and next year's call): the open one, else the first,
    carries the programme; the others add their deadlines."""
    by_id: dict[str, list[tuple[bool, ProgrammeIn]]] = {}
    for is_open, p in programmes:
        by_id.setdefault(p.id, []).append((is_open, p))
    merged = []
    for group in by_id.values():
        main = next((p for is_open, p in group if is_open), group[0][1])
        extra = [d for _, p in group if p is not main for d in p.deadlines if d not in main.deadlines]
        merged.append(main.model_copy(update={"deadlines": main.deadlines + extra}) if extra else main)
    return merged


def parse_results(results: list[dict[str, Any]], options: SearchOptions, *, today: dt.date) -> CrawlResult:
    """Wanted, de-duplicated topics as programmes; a topic that does not fit the schema is a warning."""
    converted, warnings = [], []
    for result in deduplicate([r for r in results if wanted(r, options)]):
        try:
            converted.append((first(result["metadata"], "status") == OPEN, to_programme(result, options, today=today)))
        except ValueError as exc:  # pydantic's ValidationError included
            warnings.append(f"{first(result['metadata'], 'identifier')}: skipped ({exc})".splitlines()[0])
    return CrawlResult(programmes=_merge(converted), warnings=warnings)


class EuPortalSource(Source):
    name = "eu_portal"

    async def crawl(self, fetch: Fetch, config: SourceConfig, *, today: dt.date) -> CrawlResult:
        options = SearchOptions.from_config(config)
        results: list[dict[str, Any]] = []
        warnings, pages = [], 0
        for number in range(1, options.max_pages + 1):
            page = await fetch(
                search_url(config.base_url, options, number),
                method="POST",
                files=search_files(options),
                accept=("application/json",),
            )
            answer = parse_page(page.body, options.page_size)
            results += answer.results
            pages += 1
            if not answer.results or number * answer.page_size >= answer.total:
                break
        else:
            warnings.append(f"stopped after {options.max_pages} pages; more results than read")
        parsed = parse_results(results, options, today=today)
        return CrawlResult(programmes=parsed.programmes, pages=pages, warnings=warnings + parsed.warnings)
