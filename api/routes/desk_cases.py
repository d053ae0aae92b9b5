"""Desk pages for cases: list and create, case view with profile, notes, shortlist (status, notes) and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api import accounts, casework
from api.deps import DeskDep, SessionDep
from api.formerrors import german_error
from api.models import CaseIn, CaseUpdate, ShortlistIn, ShortlistUpdate, User
from api.pages import render
from api.routes.cases import find_case, find_item, history
from catalog import store
from matcher.profile import Profile

router = APIRouter(include_in_schema=False)

class CaseForm(BaseModel):
    """The case form as posted: every field a string, checked by ``Profile`` and ``CaseIn``."""

    municipality: str = ""
    applicant_type: str = "kommune"
    partner_country: str = ""
    state: str = ""
    idea: str = ""
    budget_eur: str = ""
    duration_months: str = ""
    participants: str = ""
    notes: str = ""
    owner_id: str = ""


def _number(text: str) -> str:
    return text.strip().replace(".", "").replace(",", ".")  # German 100.000,50 -> 100000.50


def profile_from_form(f: CaseForm) -> Profile:
    numbers = {k: _number(v) for k, v in (("budget_eur", f.budget_eur), ("duration_months", f.duration_months),
                                            ("participants", f.participants)) if v.strip()}
    applicant = {"type": f.applicant_type, "name": f.municipality.strip() or None, "state": f.state.strip() or None}
    return Profile.model_validate({
        "applicant": applicant,
        "partners": [{"country": c.strip()} for c in f.partner_country.split(",") if c.strip()],
        "project": {"idea": f.idea, **numbers},
    })


def form_from_case(case: Any) -> dict[str, str]:
    p = case.profile
    project = p.get("project", {})
    return {
        "municipality": case.municipality, "applicant_type": p.get("applicant", {}).get("type", "kommune"),
        "state": p.get("applicant", {}).get("state") or "", "idea": project.get("idea", ""),
        "partner_country": ", ".join(x["country"] for x in p.get("partners", []) if x.get("country")),
        **{k: str(project[k]).removesuffix(".0") for k in ("budget_eur", "duration_months", "participants")
           if project.get(k) is not None},
        "notes": case.notes, "owner_id": str(case.owner_id),
    }


def advisers(s: Session) -> list[Any]:
    return [u for u in accounts.list_users(s) if u.active and u.role in ("desk", "admin")]


def _cases_page(request: Request, s: Session, user: Any, *, mine: bool, form: dict[str, str] | None = None,
                error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "cases.html", {
        "cases": casework.list_cases(s, owner=user if mine else None), "mine": mine,
        "counts": casework.shortlist_counts(s), "users": {u.id: u for u in accounts.list_users(s)},
        "form": form or {}, "error": error,
    }, status_code)


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, s: SessionDep, user: DeskDep, mine: bool = False) -> HTMLResponse:
    return _cases_page(request, s, user, mine=mine)


@router.post("/cases", response_class=HTMLResponse)
def create_case(request: Request, s: SessionDep, user: DeskDep, f: Annotated[CaseForm, Form()]) -> Response:
    try:
        data = CaseIn(municipality=f.municipality, profile=profile_from_form(f), notes=f.notes)
    except ValidationError as e:
        error = german_error(e.errors()[0])
        return _cases_page(request, s, user, mine=False, form=f.model_dump(), error=error, status_code=422)
    case = casework.create_case(s, user, data)
    s.commit()
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _case_page(request: Request, s: Session, case: Any, *, form: dict[str, str] | None = None,
               error: str | None = None, status_code: int = 200) -> HTMLResponse:
    items = casework.shortlist(s, case)
    titles = {r.id: p.title for r, p in store.all_programmes(s, include_gone=True)}
    return render(request, "case.html", {
        "case": case, "form": form or form_from_case(case), "items": items, "titles": titles,
        "history": history(s, case), "advisers": advisers(s), "owner": s.get(User, case.owner_id),
        "error": error,
    }, status_code)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, s: SessionDep, user: DeskDep) -> HTMLResponse:
    return _case_page(request, s, find_case(s, case_id))


@router.post("/cases/{case_id}", response_class=HTMLResponse)
def update_case(request: Request, case_id: int, s: SessionDep, user: DeskDep,
                f: Annotated[CaseForm, Form()]) -> Response:
    case = find_case(s, case_id)
    try:
        owner = int(f.owner_id) if f.owner_id.strip() else None
        data = CaseUpdate(municipality=f.municipality, profile=profile_from_form(f), notes=f.notes, owner_id=owner)
        casework.update_case(s, user, case, data)
    except ValidationError as e:
        return _case_page(request, s, case, form=f.model_dump(), error=german_error(e.errors()[0]), status_code=422)
    except (ValueError, casework.Missing):
        return _case_page(request, s, case, form=f.model_dump(), status_code=422,
                          error="Bitte wählen Sie eine zuständige Person aus der Liste.")
    s.commit()
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/delete", response_class=HTMLResponse)
def delete_case(request: Request, case_id: int, s: SessionDep, user: DeskDep,
                confirm: Annotated[str, Form()] = "") -> Response:
    case = find_case(s, case_id)
    if confirm != "ja":
        return _case_page(request, s, case, status_code=422,
                          error="Bitte bestätigen Sie das Löschen mit dem Häkchen „Fall endgültig löschen“.")
    casework.delete_case(s, user, case)
    s.commit()
    return RedirectResponse("/cases", status_code=303)


class ItemForm(BaseModel):
    programme_id: str = ""
    status: str = "vorgemerkt"
    note: str = ""


@router.post("/cases/{case_id}/shortlist", response_class=HTMLResponse)
def add_item(request: Request, case_id: int, s: SessionDep, user: DeskDep, f: Annotated[ItemForm, Form()]) -> Response:
    case = find_case(s, case_id)
    try:
        casework.add_item(s, user, case, ShortlistIn.model_validate(f.model_dump()))
    except ValidationError as e:
        return _case_page(request, s, case, error=german_error(e.errors()[0]), status_code=422)
    except (casework.Missing, casework.Conflict) as e:
        return _case_page(request, s, case, error=str(e), status_code=422 if isinstance(e, casework.Missing) else 409)
    s.commit()
    return RedirectResponse(f"/cases/{case_id}#auswahl", status_code=303)


@router.post("/cases/{case_id}/shortlist/{item_id}", response_class=HTMLResponse)
def update_item(request: Request, case_id: int, item_id: int, s: SessionDep, user: DeskDep,
                f: Annotated[ItemForm, Form()]) -> Response:
    case = find_case(s, case_id)
    item = find_item(s, case, item_id)
    try:
        casework.update_item(s, user, case, item, ShortlistUpdate(status=f.status, note=f.note))  # type: ignore[arg-type]
    except ValidationError as e:
        return _case_page(request, s, case, error=german_error(e.errors()[0]), status_code=422)
    s.commit()
    return RedirectResponse(f"/cases/{case_id}#eintrag-{item_id}", status_code=303)


@router.post("/cases/{case_id}/shortlist/{item_id}/remove")
def remove_item(case_id: int, item_id: int, s: SessionDep, user: DeskDep) -> Response:
    case = find_case(s, case_id)
    casework.remove_item(s, user, case, find_item(s, case, item_id))
    s.commit()
    return RedirectResponse(f"/cases/{case_id}#auswahl", status_code=303)
