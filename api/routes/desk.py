"""The German web desk (server-rendered): search the catalogue, match a project idea, read a programme."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.deps import RuntimeDep, SessionDep
from api.formerrors import german_error
from api.routes.programmes import summary
from catalog import store
from catalog.filters import keep
from catalog.schema import APPLICANT_TYPES
from config.countries import german_name
from matcher.profile import Profile
from matcher.service import MatchOptions

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

LEVEL_DE = {"eu": "EU", "bund": "Bund", "land": "Land", "stiftung": "Stiftung", "jugendwerk": "Jugendwerk"}
STATUS_DE = {"open": "offen", "forthcoming": "demnächst", "closed": "geschlossen", "rolling": "laufend",
             "paused": "pausiert", "unknown": "unbekannt"}
VERDICT_DE = {"eligible": "förderfähig", "ineligible": "nicht förderfähig", "unclear": "unklar"}
APPLICANT_DE = {
    "kommune": "Kommune (Stadt/Gemeinde)", "landkreis": "Landkreis",
    "kommunaler_spitzenverband": "Kommunaler Spitzenverband", "kommunales_unternehmen": "Kommunales Unternehmen",
    "verein": "Verein", "schule": "Schule", "hochschule": "Hochschule",
    "ngo": "Nichtregierungsorganisation", "kirche": "Kirche", "stiftung": "Stiftung", "unternehmen": "Unternehmen",
    "privatperson": "Privatperson",
}
def datum(value: Any) -> str:
    """ISO dates as Germans write them: 2027-04-23 -> 23.04.2027 (anything else unchanged)."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value or "")
    return f"{text[8:10]}.{text[5:7]}.{text[:4]}" if len(text) >= 10 and text[4] == "-" and text[7] == "-" else text


def is_web_url(value: Any) -> bool:
    """Only web addresses become links: a stored "javascript:" or "data:" URL (a correction, a crawled page) is XSS."""
    return isinstance(value, str) and value.strip().lower().startswith(("https://", "http://"))


templates.env.filters["datum"] = datum
templates.env.tests["web_url"] = is_web_url
templates.env.globals.update(LEVEL_DE=LEVEL_DE, STATUS_DE=STATUS_DE, VERDICT_DE=VERDICT_DE,
                             APPLICANT_DE=APPLICANT_DE, APPLICANT_TYPES=APPLICANT_TYPES, german_name=german_name)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, q: str = "", level: str = "") -> HTMLResponse:
    today = dt.date.today()
    rows = [(r, p) for r, p in store.all_programmes(session)
            if keep(p, q=q[:200] or None, level=level or None, today=today)]
    items = [summary(r, p, today) for r, p in rows]
    return templates.TemplateResponse(request, "index.html", {"items": items, "q": q, "level": level})


@router.post("/match", response_class=HTMLResponse)
async def match_form(
    request: Request, runtime: RuntimeDep,
    idea: Annotated[str, Form()], applicant_type: Annotated[str, Form()],
    partner_country: Annotated[str, Form()] = "", state: Annotated[str, Form()] = "",
    budget_eur: Annotated[str, Form()] = "", duration_months: Annotated[str, Form()] = "",
    participants: Annotated[str, Form()] = "",
) -> HTMLResponse:
    form = {"idea": idea, "applicant_type": applicant_type, "partner_country": partner_country, "state": state,
            "budget_eur": budget_eur, "duration_months": duration_months, "participants": participants}
    raw: dict[str, Any] = {
        "applicant": {"type": applicant_type, **({"state": state} if state else {})},
        "partners": [{"country": c.strip()} for c in partner_country.split(",") if c.strip()],
        "project": {"idea": idea, **{k: v.replace(".", "").replace(",", ".") for k, v in
                                     (("budget_eur", budget_eur), ("duration_months", duration_months),
                                      ("participants", participants)) if v.strip()}},
    }
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as e:
        message = german_error(e.errors()[0])
        return templates.TemplateResponse(request, "match.html", {"form": form, "error": message, "result": None}, 422)
    result = await run_in_threadpool(runtime.match, profile, MatchOptions(top=10))
    return templates.TemplateResponse(request, "match.html", {"form": form, "error": None, "result": result})


def programme_context(session: SessionDep, programme_id: str) -> dict[str, Any]:
    found = store.get_programme(session, programme_id)
    if found is None:
        raise HTTPException(404, detail="Programm nicht gefunden")
    row, p = found
    return {
        "p": p, "row": row, "s": summary(row, p, dt.date.today()), "versions": store.versions(session, p.id),
        "corrections": store.active_corrections(session, [p.id]).get(p.id, []),
    }


@router.get("/programme/{programme_id}", response_class=HTMLResponse)
def programme_page(request: Request, programme_id: str, session: SessionDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "programme.html", programme_context(session, programme_id))
