"""POST /api/v1/match: ranked programmes with eligibility verdicts and Eigenanteil for a profile (rate-limited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import MatchRateLimit, RuntimeDep
from matcher.profile import Profile
from matcher.service import MatchOptions

router = APIRouter(prefix="/api/v1", tags=["match"])


@router.post("/match", dependencies=[MatchRateLimit])
async def match(
    profile: Profile,
    runtime: RuntimeDep,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
    only_eligible: bool = False,
) -> dict[str, Any]:
    result = await run_in_threadpool(runtime.match, profile, MatchOptions(top=top, only_eligible=only_eligible))
    result.pop("timings", None)
    return result
