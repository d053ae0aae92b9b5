"""Desk login and logout: password form, signed session cookie rotated at both, CSRF-checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import accounts
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.pages import render
from api.security import clear_session_cookie, csrf_ok, new_session, set_session_cookie

router = APIRouter(include_in_schema=False)


def safe_next(target: str) -> str:
    """Only paths on this site: an open redirect would let a link send a freshly logged-in user elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_form(request: Request, settings: SettingsDep, *, next_: str, error: str | None = None,
                email: str = "", status_code: int = 200) -> HTMLResponse:
    """The form with a CSRF token from the (anonymous) session; a session is started if there is none."""
    fresh = request.state.session_data is None or error is not None
    if fresh:
        request.state.session_data = new_session(None)
    response = render(request, "login.html", {"next": next_, "error": error, "email": email}, status_code)
    if fresh:
        set_session_cookie(response, settings, request.state.session_data)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _login_form(request, settings, next_=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, s: SessionDep, settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "", password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    next_ = safe_next(next)
    if not csrf_ok(request.state.session_data, csrf_token):
        return _login_form(request, settings, next_=next_, email=email, status_code=403,
                           error="Das Formular ist abgelaufen. Bitte melden Sie sich erneut an.")
    if request.app.state.login_limiter.hit(f"ip:{request.client.host if request.client else 'unknown'}"):
        return _login_form(request, settings, next_=next_, email=email, status_code=429,
                           error="Zu viele Anmeldeversuche. Bitte warten Sie einige Minuten.")
    user = accounts.authenticate(s, email, password)
    if user is None:
        return _login_form(request, settings, next_=next_, email=email, status_code=400,
                           error="E-Mail-Adresse oder Passwort ist falsch – oder das Konto ist deaktiviert.")
    response = RedirectResponse(next_, status_code=303)
    set_session_cookie(response, settings, new_session(user.id))  # a new CSRF token: no session fixation
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, principal: PrincipalDep) -> Response:
    if principal is None or principal.via != "session":
        return RedirectResponse("/", status_code=303)
    return render(request, "logout.html", {})


@router.post("/logout")
def logout(request: Request, settings: SettingsDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request.state.session_data, csrf_token):
        return render(request, "error.html", {"title": "Keine Berechtigung", "message":
                      "Sicherheitstoken fehlt oder ist abgelaufen. Bitte laden Sie die Seite neu."}, 403)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings)
    return response
