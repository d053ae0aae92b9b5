"""Desk pages for keeping the catalogue right: the correction form, the review queue, and the audit log."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import auditlog, correcting
from api.deps import DeskDep, SessionDep
from api.models import CorrectionIn
from api.pages import render
from api.routes.corrections import find_active, find_programme
from api.routes.desk import programme_context
from api.routes.desk_auth import safe_next

router = APIRouter(include_in_schema=False)
AUDIT_PAGE_SIZE = 50


def parse_value(text: str) -> Any:
    """What an adviser types: JSON (0.8, true, ["kommune"]), a German decimal (0,8), empty for unknown, else text."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+,\d+", text):
        return float(text.replace(",", "."))
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@router.post("/programme/{programme_id}/corrections", response_class=HTMLResponse)
def create_correction(
    request: Request, programme_id: str, s: SessionDep, user: DeskDep,
    field: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    row = find_programme(s, programme_id)
    form = {"field": field, "value": value, "reason": reason}
    try:
        correcting.create(s, user, row, CorrectionIn(field=field, value=parse_value(value), reason=reason))
    except ValidationError as e:
        err = e.errors()[0]
        message = {"reason": "Bitte begründen Sie die Korrektur (mindestens 3 Zeichen).",
                   "field": "Bitte wählen Sie das zu korrigierende Feld."}.get(str(err["loc"][0]), err["msg"])
        return _programme_with_error(request, s, programme_id, form, message)
    except correcting.CorrectionInvalid as e:
        label = "Feld" if e.loc == "field" else "Wert"
        return _programme_with_error(request, s, programme_id, form, f"{label} nicht übernommen: {e.message}")
    s.commit()
    return RedirectResponse(f"/programme/{programme_id}#korrekturen", status_code=303)


def _programme_with_error(request: Request, s: SessionDep, pid: str, form: dict[str, str], error: str) -> Response:
    s.rollback()
    context = {**programme_context(s, pid), "correction_form": form, "correction_error": error}
    return render(request, "programme.html", context, 422)


@router.post("/corrections/{correction_id}/withdraw")
def withdraw(correction_id: int, s: SessionDep, user: DeskDep, next: Annotated[str, Form()] = "/corrections",  # noqa: A002
             ) -> Response:
    correcting.withdraw(s, user, find_active(s, correction_id))
    s.commit()
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/corrections/{correction_id}/review")
def review(correction_id: int, s: SessionDep, user: DeskDep, note: Annotated[str, Form(max_length=2000)] = "",
           next: Annotated[str, Form()] = "/corrections") -> Response:  # noqa: A002
    correcting.mark_reviewed(s, user, find_active(s, correction_id), note.strip() or None)
    s.commit()
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/corrections", response_class=HTMLResponse)
def corrections_page(request: Request, s: SessionDep, user: DeskDep) -> HTMLResponse:
    active = correcting.corrections(s)
    return render(request, "corrections.html", {
        "review": [c for c in active if c.needs_review], "others": [c for c in active if not c.needs_review],
    })


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, s: SessionDep, user: DeskDep, actor: str = "", action: str = "", scope: str = "",
               page: int = 1) -> HTMLResponse:
    page = max(page, 1)
    rows = auditlog.entries(s, actor=actor.strip() or None, action=action or None, scope=scope.strip() or None,
                            limit=AUDIT_PAGE_SIZE + 1, offset=(page - 1) * AUDIT_PAGE_SIZE)
    entries = [(e, auditlog.changes(e.before, e.after)) for e in rows[:AUDIT_PAGE_SIZE]]
    return render(request, "audit.html", {
        "entries": entries, "filters": {"actor": actor, "action": action, "scope": scope}, "page": page,
        "more": len(rows) > AUDIT_PAGE_SIZE,
    })
