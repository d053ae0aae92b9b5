"""/api/v1/cases: the desk's cases with their shortlists and a history read from the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from sqlmodel import Session

from api import auditlog, casework
from api.deps import DeskDep, SessionDep
from api.models import Case, CaseIn, CaseUpdate, ShortlistIn, ShortlistItem, ShortlistUpdate, get_by_id, public

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


def find_case(s: Session, case_id: int) -> Case:
    row = get_by_id(s, Case, case_id)
    if row is None:
        raise HTTPException(404, detail=f"Kein Fall mit der Kennung {case_id}.")
    return row


def find_item(s: Session, case: Case, item_id: int) -> ShortlistItem:
    item = casework.get_item(s, case, item_id)
    if item is None:
        raise HTTPException(404, detail=f"Kein Eintrag {item_id} auf der Auswahlliste von Fall {case.id}.")
    return item


def history(s: Session, case: Case) -> list[dict[str, Any]]:
    return [{**public(e, exclude={"scope"}), "changes": auditlog.changes(e.before, e.after)}
            for e in auditlog.entries(s, scope=f"case:{case.id}", limit=500)]


def full_case(s: Session, case: Case) -> dict[str, Any]:
    return {**public(case), "shortlist": [public(i) for i in casework.shortlist(s, case)], "history": history(s, case)}


def write_error(e: Exception) -> HTTPException:
    """Service errors as HTTP: a missing referenced thing is a 422 on its field, a duplicate a 409."""
    if isinstance(e, casework.Missing):
        return HTTPException(422, detail=[{"loc": ["body", e.field], "msg": str(e), "type": "value_error"}])
    return HTTPException(409, detail=str(e))


@router.get("")
def list_cases(s: SessionDep, user: DeskDep, mine: Annotated[bool, Query()] = False) -> list[dict[str, Any]]:
    return [public(c) for c in casework.list_cases(s, owner=user if mine else None)]


@router.post("", status_code=201)
def create_case(data: CaseIn, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    try:
        row = casework.create_case(s, user, data)
    except casework.Missing as e:
        raise write_error(e) from None
    s.commit()
    return full_case(s, row)


@router.get("/{case_id}")
def get_case(case_id: int, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    return full_case(s, find_case(s, case_id))


@router.patch("/{case_id}")
def update_case(case_id: int, data: CaseUpdate, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    row = find_case(s, case_id)
    try:
        casework.update_case(s, user, row, data)
    except casework.Missing as e:
        raise write_error(e) from None
    s.commit()
    return full_case(s, row)


@router.delete("/{case_id}", status_code=204)
def delete_case(case_id: int, s: SessionDep, user: DeskDep) -> Response:
    casework.delete_case(s, user, find_case(s, case_id))
    s.commit()
    return Response(status_code=204)


@router.get("/{case_id}/history")
def case_history(case_id: int, s: SessionDep, user: DeskDep) -> list[dict[str, Any]]:
    return history(s, find_case(s, case_id))


@router.post("/{case_id}/shortlist", status_code=201)
def add_item(case_id: int, data: ShortlistIn, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    case = find_case(s, case_id)
    try:
        item = casework.add_item(s, user, case, data)
    except (casework.Missing, casework.Conflict) as e:
        raise write_error(e) from None
    s.commit()
    return public(item)


@router.patch("/{case_id}/shortlist/{item_id}")
def update_item(case_id: int, item_id: int, data: ShortlistUpdate, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    case = find_case(s, case_id)
    item = casework.update_item(s, user, case, find_item(s, case, item_id), data)
    s.commit()
    return public(item)


@router.delete("/{case_id}/shortlist/{item_id}", status_code=204)
def remove_item(case_id: int, item_id: int, s: SessionDep, user: DeskDep) -> Response:
    case = find_case(s, case_id)
    casework.remove_item(s, user, case, find_item(s, case, item_id))
    s.commit()
    return Response(status_code=204)
