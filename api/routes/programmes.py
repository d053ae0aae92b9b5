"""Programme list (filters, search, pagination) and detail with facts, evidence, deadlines and history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from api.deps import SessionDep
from catalog import store
from catalog.filters import keep
from catalog.models import Programme
from catalog.schema import APPLICANT_TYPES, ProgrammeIn
from catalog.status import next_deadline, status
from config.countries import to_iso2

router = APIRouter(prefix="/api/v1", tags=["programmes"])

StatusQ = Literal["open", "forthcoming", "closed", "rolling", "paused", "unknown"]
LevelQ = Literal["eu", "bund", "land", "stiftung", "jugendwerk"]


def summary(row: Programme, p: ProgrammeIn, today: dt.date) -> dict[str, Any]:
    nd = next_deadline(p, today)
    return {
        "id": p.id, "title": p.title, "short_name": p.short_name, "funder": p.funder, "level": p.level,
        "source": p.source, "url": p.url, "summary": p.summary, "themes": p.themes,
        "status": status(p, today), "next_deadline": nd.model_dump(mode="json", exclude_none=True) if nd else None,
        "as_of": p.as_of, "last_changed": row.last_changed, "gone_since": row.gone_since,
    }


def _invalid(field: str, msg: str) -> HTTPException:
    """A 422 in FastAPI's own shape, naming the query parameter."""
    return HTTPException(422, detail=[{"loc": ["query", field], "msg": msg, "type": "value_error"}])


@router.get("/programmes")
def list_programmes(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="words that must all occur")] = None,
    level: LevelQ | None = None,
    applicant_type: Annotated[str | None, Query(description="an applicant code, e.g. kommune or verein")] = None,
    partner_country: Annotated[str | None, Query(max_length=60, description="ISO code or country name")] = None,
    status_: Annotated[StatusQ | None, Query(alias="status")] = None,
    source: Annotated[str | None, Query(max_length=60)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    if applicant_type and applicant_type not in APPLICANT_TYPES:
        raise _invalid("applicant_type", f"unknown applicant type; one of {', '.join(APPLICANT_TYPES)}")
    code = to_iso2(partner_country) if partner_country else None
    if partner_country and code is None:
        raise _invalid("partner_country", "unknown country: use an ISO code or a German or English name")
    today = dt.date.today()
    rows = [(r, p) for r, p in store.all_programmes(session)
            if keep(p, q=q, level=level, applicant_type=applicant_type, partner_country=code,
                    status_=status_, source=source, today=today)]
    start = (page - 1) * per_page
    return {"total": len(rows), "page": page, "per_page": per_page,
            "items": [summary(r, p, today) for r, p in rows[start : start + per_page]]}


@router.get("/programmes/{programme_id}")
def get_programme(programme_id: str, session: SessionDep) -> dict[str, Any]:
    found = store.get_programme(session, programme_id)
    if found is None:
        raise HTTPException(404, detail=f"Kein Programm mit der Kennung {programme_id!r}.")
    row, p = found
    from catalog.passages import programme_passages

    today = dt.date.today()
    corrections = store.active_corrections(session, [p.id]).get(p.id, [])
    return {
        **summary(row, p, today),
        "programme": p.model_dump(mode="json"),
        "passages": programme_passages(p),
        "first_seen": row.first_seen, "last_seen": row.last_seen, "version": row.version,
        "corrections": [c.model_dump(mode="json") for c in corrections],
        "versions": [{"version": v.version, "at": v.created_at, "changed_fields": v.changed_fields,
                      "diff": v.diff, "crawl_run_id": v.crawl_run_id} for v in store.versions(session, p.id)],
    }
