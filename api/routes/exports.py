"""Exports: a match result or a case's shortlist as CSV, printable HTML or PDF, and deadlines as iCalendar."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api import casework
from api.deps import (
    CoordinatorDep,
    DeskDep,
    MatchRateLimit,
    PrincipalDep,
    RuntimeDep,
    SessionDep,
    SettingsDep,
    check_csrf,
)
from api.exports import content
from api.exports.csv import to_csv
from api.exports.deadlines import dated
from api.exports.ical import to_ics
from api.exports.pdf import to_pdf
from api.exports.report import to_html
from api.formerrors import german_error
from api.models import Case
from api.pages import render
from api.routes.cases import find_case
from api.routes.desk_cases import CaseForm, profile_from_form
from catalog import store
from catalog.schema import ProgrammeIn
from config.settings import Settings
from matcher.profile import Profile
from matcher.runtime import MatchRuntime
from matcher.service import MatchOptions

router = APIRouter(tags=["exports"])

Format = Literal["csv", "html", "pdf"]
FormatQ = Annotated[Format, Query(alias="format", description="csv (Excel), html (zum Drucken) oder pdf")]
MEDIA = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "ics": "text/calendar; charset=utf-8"}
REPORT_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA[f]: {} for f in ("csv", "html", "pdf")}}}
CALENDAR_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA["ics"]: {}}}}
# Ids beyond the database's 32-bit integers are a 422, not a driver error.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# A shortlist entry in one of these states needs no more reminders.
FINISHED = frozenset({"abgelehnt", "bewilligt", "verworfen"})


def file_response(data: bytes, ext: str, stem: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{stem}.{ext}"'}
    return Response(data, media_type=MEDIA[ext], headers=headers)


def report_response(report: content.Report, fmt: str, stem: str, *, back_url: str | None = None) -> Response:
    if fmt == "csv":
        return file_response(to_csv(report), "csv", stem)
    if fmt == "pdf":
        return file_response(to_pdf(report), "pdf", stem)
    return file_response(to_html(report, back_url=back_url).encode("utf-8"), "html", stem, inline=True)


def _match_report(s: Session, runtime: MatchRuntime, profile: Profile, top: int, fmt: str) -> Response:
    today = dt.date.today()
    report = content.from_match(s, profile, runtime.match(profile, MatchOptions(top=top, today=today)), today)
    return report_response(report, fmt, f"foerderbericht-{today.isoformat()}", back_url="/")


@router.post("/api/v1/match/export", dependencies=[MatchRateLimit], response_class=Response,
             responses=REPORT_CONTENT)
async def export_match(request: Request, profile: Profile, runtime: RuntimeDep, s: SessionDep,
                       principal: PrincipalDep, fmt: FormatQ = "pdf",
                       top: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
    """The match result for a profile as a file: CSV (one row per programme), HTML report or PDF report."""
    if principal is not None:
        await check_csrf(request, principal)
    return await run_in_threadpool(_match_report, s, runtime, profile, top, fmt)


class ExportForm(CaseForm):
    format: str = "pdf"


@router.post("/match/export", dependencies=[MatchRateLimit], include_in_schema=False)
async def export_match_form(request: Request, f: Annotated[ExportForm, Form()], runtime: RuntimeDep,
                            s: SessionDep, principal: PrincipalDep) -> Response:
    """The desk's buttons under the results: the same profile fields, as a file."""
    if principal is not None:
        await check_csrf(request, principal)
    try:
        profile = profile_from_form(f)
    except ValidationError as e:
        return render(request, "error.html", {"title": "Eingabe prüfen", "message": german_error(e)}, 422)
    if f.format not in MEDIA or f.format == "ics":
        return render(request, "error.html", {"title": "Eingabe prüfen",
                                              "message": "Bitte wählen Sie PDF, Druckansicht oder CSV."}, 422)
    return await run_in_threadpool(_match_report, s, runtime, profile, 10, f.format)


# --- cases -------------------------------------------------------------------------------------------------------


def _case_report(s: Session, case: Case, settings: Settings) -> content.Report:
    return content.from_case(s, case, casework.shortlist(s, case), today=dt.date.today(),
                             preparation_days=settings.preparation_days)


@router.get("/api/v1/cases/{case_id}/export", response_class=Response,
            responses=REPORT_CONTENT)
def export_case(case_id: RowId, s: SessionDep, settings: SettingsDep, user: DeskDep, fmt: FormatQ = "pdf") -> Response:
    """A case's shortlist with statuses, notes, verdicts and Eigenanteil as CSV, HTML or PDF."""
    case = find_case(s, case_id)
    report = _case_report(s, case, settings)
    return report_response(report, fmt, f"fall-{case_id}-bericht", back_url=f"/cases/{case_id}")


def _case_calendar(request: Request, s: Session, case: Case) -> Response:
    programmes = [found[1] for item in casework.shortlist(s, case) if item.status not in FINISHED
                  if (found := store.get_programme(s, item.programme_id)) is not None]
    return _calendar(request, programmes, f"Förderfristen – {case.municipality}", f"fall-{case.id}-fristen")


def _calendar(request: Request, programmes: list[ProgrammeIn], name: str, stem: str) -> Response:
    events = dated(programmes, start=dt.date.today())
    return file_response(to_ics(events, name=name, base_url=str(request.base_url)), "ics", stem)


@router.get("/api/v1/cases/{case_id}/deadlines.ics", response_class=Response, responses=CALENDAR_CONTENT)
def case_deadlines(request: Request, case_id: RowId, s: SessionDep, user: DeskDep) -> Response:
    """Upcoming dated deadlines of the programmes on the shortlist (finished entries left out)."""
    return _case_calendar(request, s, find_case(s, case_id))


@router.get("/api/v1/profiles/{profile_id}/deadlines.ics", response_class=Response, responses=CALENDAR_CONTENT)
def profile_deadlines(request: Request, profile_id: RowId, s: SessionDep, runtime: RuntimeDep, user: CoordinatorDep,
                      top: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
    """Upcoming dated deadlines of the programmes matching a saved profile (ineligible ones left out)."""
    row = casework.get_profile(s, user, profile_id)
    if row is None:
        raise HTTPException(404, detail=f"Kein gespeichertes Profil mit der Kennung {profile_id}.")
    result = runtime.match(Profile.model_validate(row.profile), MatchOptions(top=top))
    programmes = [found[1] for m in result["matches"] if m["eligibility"]["verdict"] != "ineligible"
                  if (found := store.get_programme(s, m["programme_id"])) is not None]
    return _calendar(request, programmes, f"Förderfristen – {row.name}", f"profil-{profile_id}-fristen")


# --- desk links on the case page ---------------------------------------------------------------------------------


@router.get("/cases/{case_id}/bericht", response_class=HTMLResponse, include_in_schema=False)
def case_report_page(case_id: RowId, s: SessionDep, settings: SettingsDep, user: DeskDep) -> Response:
    return HTMLResponse(to_html(_case_report(s, find_case(s, case_id), settings), back_url=f"/cases/{case_id}"))


@router.get("/cases/{case_id}/bericht.pdf", include_in_schema=False)
def case_report_pdf(case_id: RowId, s: SessionDep, settings: SettingsDep, user: DeskDep) -> Response:
    return file_response(to_pdf(_case_report(s, find_case(s, case_id), settings)), "pdf", f"fall-{case_id}-bericht")


@router.get("/cases/{case_id}/shortlist.csv", include_in_schema=False)
def case_shortlist_csv(case_id: RowId, s: SessionDep, settings: SettingsDep, user: DeskDep) -> Response:
    return file_response(to_csv(_case_report(s, find_case(s, case_id), settings)), "csv",
                         f"fall-{case_id}-auswahlliste")


@router.get("/cases/{case_id}/fristen.ics", include_in_schema=False)
def case_deadlines_page(request: Request, case_id: RowId, s: SessionDep, user: DeskDep) -> Response:
    return _case_calendar(request, s, find_case(s, case_id))
