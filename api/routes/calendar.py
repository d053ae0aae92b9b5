"""Deadlines of all programmes: the desk's calendar page /kalender, JSON and an iCalendar feed."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.exports.deadlines import DatedDeadline, dated, rolling
from api.exports.ical import to_ics
from api.pages import render
from api.routes.exports import file_response
from api.routes.programmes import LevelQ
from catalog import store
from catalog.schema import LEVELS

router = APIRouter(tags=["deadlines"])

MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")


def _programmes(s: SessionDep) -> list[Any]:
    return [p for _, p in store.all_programmes(s)]


@router.get("/api/v1/deadlines")
def deadlines(
    s: SessionDep,
    from_: Annotated[dt.date | None, Query(alias="from", description="erster Tag (Standard: heute)")] = None,
    to: Annotated[dt.date | None, Query(description="letzter Tag (Standard: ohne Ende)")] = None,
    level: LevelQ | None = None,
) -> dict[str, Any]:
    """Dated deadlines (interest, application, end of a window) due in the range, soonest first."""
    start = from_ or dt.date.today()
    if to is not None and to < start:
        raise HTTPException(422, detail=[{"loc": ["query", "to"], "msg": "„to“ liegt vor „from“",
                                          "type": "value_error"}])
    items = dated(_programmes(s), start=start, end=to, levels=[level] if level else None)
    return {"from": start.isoformat(), "to": to.isoformat() if to else None, "total": len(items),
            "items": [x.as_json() for x in items]}


@router.get("/api/v1/deadlines.ics", response_class=Response,
            responses={200: {"content": {"text/calendar; charset=utf-8": {}}}})
def deadlines_ics(request: Request, s: SessionDep, level: LevelQ | None = None) -> Response:
    """All upcoming dated deadlines as a calendar to subscribe to; rolling applications are no events."""
    events = dated(_programmes(s), start=dt.date.today(), levels=[level] if level else None)
    return file_response(to_ics(events, name="Förderfristen (foerdermatch)", base_url=str(request.base_url)),
                         "ics", "foerderfristen")


def by_month(items: list[DatedDeadline]) -> list[tuple[str, list[DatedDeadline]]]:
    """Consecutive months with their deadlines, headed "März 2027"."""
    return [(f"{MONTHS_DE[month - 1]} {year}", list(group))
            for (year, month), group in groupby(items, key=lambda x: (x.due.year, x.due.month))]


@router.get("/kalender", response_class=HTMLResponse, include_in_schema=False)
def calendar_page(request: Request, s: SessionDep, level: str = "") -> HTMLResponse:
    today = dt.date.today()
    level = level if level in LEVELS else ""
    programmes = [p for p in _programmes(s) if not level or p.level == level]
    return render(request, "kalender.html", {
        "months": by_month(dated(programmes, start=today)), "rolling": rolling(programmes, today=today),
        "level": level, "levels": LEVELS, "today": today,
    })
