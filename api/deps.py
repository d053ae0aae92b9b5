"""Request-scoped dependencies: settings, database session, the process's matcher, who is asking and may they."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import accounts
from api.models import ApiToken, User
from api.security import SESSION_COOKIE, csrf_ok, read_session
from config.settings import Settings
from matcher.runtime import MatchRuntime

ROLE_RANK = {"coordinator": 1, "desk": 2, "admin": 3}  # each role may do what the ones below it may
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    # Routes answer with what they just committed; expiring it would make model_dump() see empty rows.
    with Session(engine, expire_on_commit=False) as s:
        yield s


def get_runtime(request: Request) -> MatchRuntime:
    return request.app.state.runtime


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[MatchRuntime, Depends(get_runtime)]


@dataclass
class Principal:
    """An authenticated caller: a bot by bearer token, or a person by session cookie (which carries the CSRF token)."""

    user: User
    via: Literal["token", "session"]
    session: dict[str, Any] | None = None
    token: ApiToken | None = None


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def _from_bearer(s: Session, header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Der Authorization-Header muss die Form „Bearer <Token>“ haben.")
    found = accounts.user_for_token(s, token.strip())
    if found is None:
        raise unauthorized("Das API-Token ist ungültig oder gehört zu einem deaktivierten Konto.")
    s.commit()  # last_used
    return Principal(found[0], "token", token=found[1])


# Declares the bearer scheme in the OpenAPI docs ("Authorize"); the header itself is checked in _from_bearer.
_bearer_doc = HTTPBearer(auto_error=False, description="API-Token aus `foerdermatch users add … --token NAME`")


def get_principal(
    request: Request, s: SessionDep, settings: SettingsDep,
    _doc: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_doc)] = None,
) -> Principal | None:
    """Who is asking (None: anonymous). Also kept on ``request.state`` for the page header and CSRF fields."""
    data = read_session(settings, request.cookies.get(SESSION_COOKIE))
    request.state.session_data = data
    principal = None
    if header := request.headers.get("authorization"):
        principal = _from_bearer(s, header)
    elif data and data.get("uid") is not None:
        user = s.get(User, data["uid"])
        principal = Principal(user, "session", session=data) if user is not None and user.active else None
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


async def check_csrf(request: Request, principal: Principal) -> None:
    """A browser's state-changing request must echo the session's CSRF token (form field or X-CSRF-Token)."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    submitted = request.headers.get("x-csrf-token")
    if submitted is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get("csrf_token")
        submitted = value if isinstance(value, str) else None
    if not csrf_ok(principal.session, submitted):
        raise HTTPException(403, detail="Sicherheitstoken (CSRF) fehlt oder ist abgelaufen. Bitte laden Sie die "
                                        "Seite neu und senden Sie das Formular erneut.")


def require(role: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency admitting ``role`` and the roles above it: 401 without credentials, 403 for a lower role."""

    async def dependency(request: Request, principal: PrincipalDep) -> User:
        if principal is None:
            raise unauthorized("Anmeldung erforderlich: API-Token („Authorization: Bearer …“) oder Login.")
        if ROLE_RANK.get(principal.user.role, 0) < ROLE_RANK[role]:
            have = principal.user.role
            raise HTTPException(403, detail=f"Dafür ist die Rolle „{role}“ nötig; Ihr Konto hat „{have}“.")
        await check_csrf(request, principal)
        return principal.user

    return dependency


CoordinatorDep = Annotated[User, Depends(require("coordinator"))]
DeskDep = Annotated[User, Depends(require("desk"))]
AdminDep = Annotated[User, Depends(require("admin"))]


def rate_limit_match(request: Request, principal: PrincipalDep) -> None:
    """Per client: the bearer token, else the logged-in user, else the IP address; 429 with Retry-After."""
    if principal is not None:
        key = f"token:{principal.token.id}" if principal.token else f"user:{principal.user.id}"
    else:
        key = f"ip:{request.client.host if request.client else 'unknown'}"
    wait = request.app.state.match_limiter.hit(key)
    if wait:
        raise HTTPException(429, detail=f"Zu viele Anfragen. Bitte in {wait} Sekunden erneut versuchen.",
                            headers={"Retry-After": str(wait)})


MatchRateLimit = Depends(rate_limit_match)


# --- NUL characters ---------------------------------------------------------------------------------------------

NUL = "\x00"


def _nul_in_pairs(pairs: Iterable[tuple[str, Any]], where: str) -> tuple[Any, ...] | None:
    for key, value in pairs:
        if NUL in key or (isinstance(value, str) and NUL in value):
            return (where, key)
    return None


def _nul_in_json(value: Any, loc: tuple[Any, ...]) -> tuple[Any, ...] | None:
    if isinstance(value, str):
        return loc if NUL in value else None
    pairs = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in pairs:
        found = (*loc, key) if isinstance(key, str) and NUL in key else _nul_in_json(item, (*loc, key))
        if found:
            return found
    return None


async def _nul_in_body(request: Request) -> tuple[Any, ...] | None:
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        return _nul_in_pairs((await request.form()).multi_items(), "body")
    body = await request.body()
    if b"\\u0000" not in body:  # JSON can only carry a NUL escaped; most bodies are done here
        return None
    try:
        return _nul_in_json(json.loads(body), ("body",))
    except ValueError:
        return None  # not JSON: the route's own body parsing says so
    except RecursionError:
        return ("body",)


async def reject_nul(request: Request) -> None:
    """PostgreSQL cannot store a NUL character (SQLite can): a 422 naming the field on both, never a 500."""
    found = (_nul_in_pairs(request.path_params.items(), "path")
             or _nul_in_pairs(request.query_params.multi_items(), "query"))
    if found is None and request.method not in SAFE_METHODS:
        found = await _nul_in_body(request)
    if found:
        raise RequestValidationError([{"type": "value_error", "loc": found, "input": None,
                                       "msg": "must not contain NUL characters (\\u0000)"}])
