"""The EU Funding & Tenders Portal search API (SEDIA): the request it needs and the results it returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from crawlers.base import SourceConfig, SourceError

FORTHCOMING, OPEN, CLOSED = "31094501", "31094502", "31094503"


@dataclass(frozen=True)
class SearchOptions:
    """``eu_portal.options`` of config/sources.yaml."""

    search_path: str
    topic_url: str
    api_key: str = "SEDIA"
    page_size: int = 100
    max_pages: int = 20
    programmes: dict[str, str] = field(default_factory=dict)  # key (CERV) -> frameworkProgramme id
    types: tuple[str, ...] = ("1", "2", "8")
    statuses: tuple[str, ...] = (FORTHCOMING, OPEN)
    languages: tuple[str, ...] = ("en",)
    ids: tuple[tuple[str, str], ...] = ()  # (identifier regex, catalogue id)
    funders: dict[str, str] = field(default_factory=dict)
    country_lists: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: SourceConfig) -> SearchOptions:
        o = config.options
        return cls(
            search_path=o["search_path"],
            topic_url=o["topic_url"],
            api_key=o.get("api_key", "SEDIA"),
            page_size=int(o.get("page_size", 100)),
            max_pages=int(o.get("max_pages", 20)),
            programmes={k: str(v) for k, v in (o.get("programmes") or {}).items()},
            types=tuple(str(t) for t in o.get("types", ("1", "2", "8"))),
            statuses=tuple(str(s) for s in o.get("statuses", (FORTHCOMING, OPEN))),
            languages=tuple(o.get("languages", ("en",))),
            ids=tuple((pattern, id_) for pattern, id_ in (o.get("ids") or {}).items()),
            funders=dict(o.get("funders") or {}),
            country_lists=dict(o.get("country_lists") or {}),
        )


def search_query(options: SearchOptions) -> dict[str, Any]:
    """The ``query`` part: only bool/must/terms is accepted by the API."""
    must = [
        {"terms": {"type": list(options.types)}},
        {"terms": {"status": list(options.statuses)}},
        {"terms": {"frameworkProgramme": list(options.programmes.values())}},
    ]
    return {"bool": {"must": must}}


def search_files(options: SearchOptions) -> dict[str, tuple[str, bytes, str]]:
    """The multipart body as httpx ``files``: JSON *file* parts; as plain form fields the API answers 500."""
    return {
        "query": ("query.json", json.dumps(search_query(options)).encode(), "application/json"),
        "languages": ("languages.json", json.dumps(list(options.languages)).encode(), "application/json"),
    }


def search_url(base_url: str, options: SearchOptions, page_number: int) -> str:
    params = {"apiKey": options.api_key, "text": "***", "pageSize": options.page_size, "pageNumber": page_number}
    return f"{base_url}{options.search_path}?{urlencode(params, safe='*')}"


@dataclass(frozen=True)
class SearchPage:
    results: list[dict[str, Any]]
    total: int
    page_size: int


def parse_page(body: bytes, requested_size: int) -> SearchPage:
    """One answer of the search endpoint; anything but a results list is a broken source."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SourceError(f"search answer is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise SourceError("search answer without a results list")
    results = [r for r in data["results"] if isinstance(r, dict) and isinstance(r.get("metadata"), dict)]
    return SearchPage(results, int(data.get("totalResults") or 0), int(data.get("pageSize") or requested_size))


def first(meta: dict[str, Any], name: str) -> str | None:
    """Metadata values are lists of strings; the first one, or None."""
    values = meta.get(name)
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return values if isinstance(values, str) else None


def json_field(meta: dict[str, Any], name: str) -> Any:
    """A JSON document stored as a string (``actions``, ``budgetOverview``, ``latestInfos``); None if absent or
    not JSON."""
    raw = first(meta, name)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def strings(meta: dict[str, Any], name: str) -> list[str]:
    """All string values; an element that is itself a JSON array in text (seen in ``keywords``) is unpacked."""
    out: list[str] = []
    for value in meta.get(name) or []:
        if isinstance(value, str) and value.startswith("["):
            try:
                out += [v for v in json.loads(value) if isinstance(v, str)]
                continue
            except ValueError:
                pass
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
    return list(dict.fromkeys(out))


def programme_key(meta: dict[str, Any], options: SearchOptions) -> str | None:
    """The configured programme (CERV, ERASMUS ...) of a result: by id, or by abbreviation as some rows carry."""
    value = first(meta, "frameworkProgramme")
    for key, programme_id in options.programmes.items():
        if value in (programme_id, key):
            return key
    return None


def wanted(result: dict[str, Any], options: SearchOptions) -> bool:
    """A grant topic of a configured programme, type and status, in a configured language; the API filters on
    the server too, but a query it silently ignores returns everything."""
    meta = result["metadata"]
    return (
        first(meta, "type") in options.types
        and first(meta, "status") in options.statuses
        and programme_key(meta, options) is not None
        and (first(meta, "language") or result.get("language")) in options.languages
        and bool(first(meta, "identifier"))
    )


def _richness(result: dict[str, Any]) -> tuple[bool, bool, bool]:
    meta = result["metadata"]
    return (bool(first(meta, "descriptionByte")), bool(first(meta, "topicConditions")), bool(meta.get("actions")))


def deduplicate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per ``metadata.identifier`` (copies per language or index), the richest one, in first-seen
    order."""
    best: dict[str, dict[str, Any]] = {}
    for result in results:
        identifier = first(result["metadata"], "identifier") or ""
        if identifier not in best or _richness(result) > _richness(best[identifier]):
            best[identifier] = result
    return list(best.values())
