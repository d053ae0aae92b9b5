"""Shared pieces of the desk pages: template helpers (user, CSRF field, labels) and German error pages."""

from __future__ import annotations

import datetime as dt
import logging
import math
from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from api.correcting import FIELDS, RULE_FIELDS
from api.deps import ROLE_RANK
from api.formerrors import german_error
from api.models import SHORTLIST_STATUSES
from api.routes.desk import templates

log = logging.getLogger(__name__)

try:
    BERLIN: dt.tzinfo = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # a slim container without tz data: show UTC rather than fail
    BERLIN = dt.UTC
ROLE_DE = {"coordinator": "Koordination", "desk": "Beratung (SKEW)", "admin": "Administration"}
ACTION_DE = {
    "user.create": "Konto angelegt", "token.create": "API-Token ausgegeben", "source.crawl": "Abruf gestartet",
    "profile.create": "Profil gespeichert", "profile.update": "Profil geändert", "profile.delete": "Profil gelöscht",
    "case.create": "Fall angelegt", "case.update": "Fall geändert", "case.delete": "Fall gelöscht",
    "shortlist.add": "Programm vorgemerkt", "shortlist.update": "Auswahl geändert",
    "shortlist.remove": "Programm entfernt", "correction.create": "Korrektur erfasst",
    "correction.withdraw": "Korrektur zurückgezogen", "correction.review": "Korrektur geprüft",
}
ERROR_TITLE_DE = {400: "Eingabe nicht lesbar", 403: "Keine Berechtigung", 404: "Nicht gefunden", 409: "Konflikt",
                  422: "Eingabe prüfen", 429: "Zu viele Anfragen", 503: "Datenbank nicht erreichbar"}
# Down, locked past the busy/lock timeout, or out of pooled connections: the same request works again later.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.TimeoutError, sa_exc.DisconnectionError)
DATABASE_UNAVAILABLE_DE = "Die Datenbank ist gerade nicht erreichbar. Bitte in einigen Sekunden erneut versuchen."
RETRY_AFTER_S = 5
FORM_UNREADABLE_DE = ("Das Formular ließ sich nicht verarbeiten: Ein Feld ist zu lang (mehr als 1 MB) oder die "
                      "Anfrage ist beschädigt. Bitte kürzen Sie den Text und senden Sie das Formular erneut.")
ECHO_CHARS = 200  # of an invalid input repeated in a 422


def csrf_field(request: Request) -> Markup:
    """The hidden form field every state-changing desk form carries."""
    data = getattr(request.state, "session_data", None) or {}
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(data.get("csrf", "")))


def de_datetime(value: dt.datetime | str | None) -> str:
    """A stored UTC time as advisers read it: German local time, 24.11.2026 14:05."""
    if not value:
        return "–"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def current_user(request: Request) -> Any:
    principal = getattr(request.state, "principal", None)
    return principal.user if principal is not None else None


def has_role(request: Request, role: str) -> bool:
    user = current_user(request)
    return user is not None and ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


templates.env.filters["de_datetime"] = de_datetime
templates.env.globals.update(
    csrf_field=csrf_field, current_user=current_user, has_role=has_role, ROLE_DE=ROLE_DE, ACTION_DE=ACTION_DE,
    SHORTLIST_STATUSES=SHORTLIST_STATUSES, CORRECTABLE_FIELDS=FIELDS + RULE_FIELDS,
)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code)


def is_page(request: Request) -> bool:
    """Desk pages answer people (HTML); the API, health and docs answer programs (JSON)."""
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/health", "/openapi.json") or path.startswith("/docs"))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not is_page(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    title = ERROR_TITLE_DE.get(exc.status_code, "Fehler")
    message = exc.detail if isinstance(exc.detail, str) else ""
    if not message or message == HTTPStatus(exc.status_code).phrase:  # Starlette's English default
        message = "Diese Seite gibt es nicht." if exc.status_code == 404 else "Die Anfrage ist nicht möglich."
    if exc.status_code == 400:  # only the framework answers 400 (an unreadable form or a field over 1 MB), in English
        message = FORM_UNREADABLE_DE
    return render(request, "error.html", {"title": title, "message": message}, exc.status_code)


def _short_echo(error: Any) -> Any:
    """FastAPI repeats the offending input: keep that short (a 5 MB idea) and encodable (a lone surrogate, NaN)."""
    given = error.get("input")
    if isinstance(given, dict | list | tuple):  # the whole object the client sent; it has it already
        return {k: v for k, v in error.items() if k != "input"}
    if isinstance(given, str):
        return {**error, "input": given[:ECHO_CHARS].encode("utf-8", "replace").decode("utf-8")}
    if isinstance(given, float) and not math.isfinite(given):  # NaN and Infinity parse, but JSON cannot say them
        return {**error, "input": str(given)}
    return error


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not is_page(request):
        short = RequestValidationError([_short_echo(e) for e in exc.errors()], body=exc.body)
        return await request_validation_exception_handler(request, short)
    message = german_error(exc.errors()[0])
    return render(request, "error.html", {"title": ERROR_TITLE_DE[422], "message": message}, 422)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """A 503 with Retry-After instead of a 500; the engine's pool (pre-ping) reconnects on a later request."""
    log.error("database unavailable: %s %s: %s", request.method, request.url.path, exc, exc_info=exc)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if not is_page(request):
        return JSONResponse({"detail": DATABASE_UNAVAILABLE_DE}, 503, headers=headers)
    request.state.principal = None  # the page header must not load the user from the database that just failed
    page = render(request, "error.html", {"title": ERROR_TITLE_DE[503], "message": DATABASE_UNAVAILABLE_DE}, 503)
    page.headers.update(headers)
    return page
