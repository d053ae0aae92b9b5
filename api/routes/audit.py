"""GET /api/v1/audit: the audit log for the desk and admins, newest first, filterable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api import auditlog
from api.deps import DeskDep, SessionDep
from api.models import public

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit")
def audit_log(
    s: SessionDep, user: DeskDep,
    scope: Annotated[str | None, Query(max_length=160, description='e.g. "case:7" or "programme:nakopa"')] = None,
    actor: Annotated[str | None, Query(max_length=254, description="e-mail of the author")] = None,
    action: Annotated[str | None, Query(max_length=60, description='e.g. "correction.create"')] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    return [public(e) for e in auditlog.entries(s, scope=scope, actor=actor, action=action, limit=limit,
                                                offset=offset)]
