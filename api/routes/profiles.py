"""/api/v1/profiles: a coordinator's saved partnership profiles (own only), and /api/v1/me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from api import casework
from api.deps import CoordinatorDep, PrincipalDep, SessionDep
from api.models import ProfileIn, ProfileUpdate, SavedProfile, public

router = APIRouter(prefix="/api/v1", tags=["profiles"])


@router.get("/me")
def me(principal: PrincipalDep) -> dict[str, Any]:
    """Who the credentials belong to (anonymous without any)."""
    if principal is None:
        return {"authenticated": False, "role": "anonymous"}
    u = principal.user
    return {"authenticated": True, "id": u.id, "email": u.email, "name": u.name, "role": u.role, "via": principal.via}


def _own(s: SessionDep, user: CoordinatorDep, profile_id: int) -> SavedProfile:
    row = casework.get_profile(s, user, profile_id)
    if row is None:
        raise HTTPException(404, detail=f"Kein gespeichertes Profil mit der Kennung {profile_id}.")
    return row


def _conflict(e: casework.Conflict) -> HTTPException:
    return HTTPException(409, detail=str(e))


@router.get("/profiles")
def list_profiles(s: SessionDep, user: CoordinatorDep) -> list[dict[str, Any]]:
    return [public(p) for p in casework.list_profiles(s, user)]


@router.post("/profiles", status_code=201)
def create_profile(data: ProfileIn, s: SessionDep, user: CoordinatorDep) -> dict[str, Any]:
    try:
        row = casework.create_profile(s, user, data)
    except casework.Conflict as e:
        raise _conflict(e) from None
    s.commit()
    return public(row)


@router.get("/profiles/{profile_id}")
def get_profile(profile_id: int, s: SessionDep, user: CoordinatorDep) -> dict[str, Any]:
    return public(_own(s, user, profile_id))


@router.patch("/profiles/{profile_id}")
def update_profile(profile_id: int, data: ProfileUpdate, s: SessionDep, user: CoordinatorDep) -> dict[str, Any]:
    row = _own(s, user, profile_id)
    try:
        casework.update_profile(s, user, row, data)
    except casework.Conflict as e:
        raise _conflict(e) from None
    s.commit()
    return public(row)


@router.delete("/profiles/{profile_id}", status_code=204)
def delete_profile(profile_id: int, s: SessionDep, user: CoordinatorDep) -> Response:
    casework.delete_profile(s, user, _own(s, user, profile_id))
    s.commit()
    return Response(status_code=204)
