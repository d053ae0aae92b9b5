"""/api/v1 corrections: the desk fixes a crawled fact (validated, with reason), lists, withdraws and reviews them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import Session

from api import correcting
from api.deps import DeskDep, SessionDep
from api.models import CorrectionIn, ReviewIn, get_by_id, public
from catalog.models import Correction, Programme

router = APIRouter(prefix="/api/v1", tags=["corrections"])


def find_programme(s: Session, programme_id: str) -> Programme:
    row = s.get(Programme, programme_id)
    if row is None:
        raise HTTPException(404, detail=f"Kein Programm mit der Kennung {programme_id!r}.")
    return row


def find_active(s: Session, correction_id: int) -> Correction:
    fix = get_by_id(s, Correction, correction_id)
    if fix is None:
        raise HTTPException(404, detail=f"Keine Korrektur mit der Kennung {correction_id}.")
    if not fix.active:
        raise HTTPException(409, detail=f"Die Korrektur {correction_id} ist nicht mehr aktiv.")
    return fix


def invalid(e: correcting.CorrectionInvalid) -> HTTPException:
    return HTTPException(422, detail=[{"loc": ["body", e.loc], "msg": e.message, "type": "value_error"}])


@router.get("/corrections")
def list_corrections(
    s: SessionDep, user: DeskDep, needs_review: bool | None = None, include_withdrawn: bool = False,
    programme_id: Annotated[str | None, Query(max_length=120)] = None,
) -> list[dict[str, Any]]:
    rows = correcting.corrections(s, programme_id=programme_id, needs_review=needs_review,
                                  include_withdrawn=include_withdrawn)
    return [public(c) for c in rows]


@router.get("/programmes/{programme_id}/corrections")
def programme_corrections(
    programme_id: str, s: SessionDep, user: DeskDep, include_withdrawn: bool = False,
) -> list[dict[str, Any]]:
    find_programme(s, programme_id)
    return [public(c) for c in correcting.corrections(s, programme_id=programme_id,
                                                      include_withdrawn=include_withdrawn)]


@router.post("/programmes/{programme_id}/corrections", status_code=201)
def create_correction(programme_id: str, data: CorrectionIn, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    row = find_programme(s, programme_id)
    try:
        fix = correcting.create(s, user, row, data)
    except correcting.CorrectionInvalid as e:
        raise invalid(e) from None
    s.commit()
    return public(fix)


@router.post("/corrections/{correction_id}/withdraw")
def withdraw_correction(correction_id: int, s: SessionDep, user: DeskDep) -> dict[str, Any]:
    fix = correcting.withdraw(s, user, find_active(s, correction_id))
    s.commit()
    return public(fix)


@router.post("/corrections/{correction_id}/review")
def review_correction(
    correction_id: int, s: SessionDep, user: DeskDep, data: ReviewIn | None = None,
) -> dict[str, Any]:
    fix = correcting.mark_reviewed(s, user, find_active(s, correction_id), data.note if data else None)
    s.commit()
    return public(fix)
