"""Access: roles, bearer tokens, the login form, session cookie flags, CSRF, the rate limit and the users CLI."""

from __future__ import annotations

import io
import sys

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.main import create_app
from api.models import ApiToken, User
from api.ratelimit import SlidingWindow
from cli.main import main as cli_main
from config.settings import get_settings
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from tests.api.desk_helpers import PASSWORD, audit_actions, bearer, csrf_from, login, make_user
from tests.api.test_api import PROFILE


def test_anonymous_reads_but_needs_credentials_to_write(client) -> None:
    assert client.get("/api/v1/programmes").status_code == 200
    assert client.post("/api/v1/match", json=PROFILE).status_code == 200
    assert client.get("/api/v1/me").json() == {"authenticated": False, "role": "anonymous"}
    r = client.get("/api/v1/profiles")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert "Anmeldung erforderlich" in r.json()["detail"]


def test_bad_tokens_are_401_not_anonymous(client, engine) -> None:
    make_user(engine, "bot@example.org", "coordinator")
    for header in ("Bearer fm_falsch", "Basic dXNlcjpwdw==", "Bearer "):
        r = client.get("/api/v1/programmes", headers={"Authorization": header})
        assert r.status_code == 401, header
    assert client.post("/api/v1/match", json=PROFILE, headers=bearer("fm_falsch")).status_code == 401


def test_token_identifies_user_and_records_use(client, engine) -> None:
    token = make_user(engine, "bot@example.org", "coordinator")
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["email"] == "bot@example.org" and me["role"] == "coordinator" and me["via"] == "token"
    with Session(engine) as s:
        row = s.exec(select(ApiToken)).one()
        assert row.last_used is not None and token not in row.token_hash  # only the digest is stored


def test_roles_are_ranked(client, engine) -> None:
    coordinator = make_user(engine, "koord@example.org", "coordinator")
    desk = make_user(engine, "desk@example.org", "desk")
    admin = make_user(engine, "admin@example.org", "admin")
    assert client.get("/api/v1/profiles", headers=bearer(coordinator)).status_code == 200
    for path in ("/api/v1/cases", "/api/v1/corrections", "/api/v1/audit"):
        r = client.get(path, headers=bearer(coordinator))
        assert r.status_code == 403 and "desk" in r.json()["detail"], path
        assert client.get(path, headers=bearer(desk)).status_code == 200, path
        assert client.get(path, headers=bearer(admin)).status_code == 200, path
        assert client.get(path).status_code == 401, path


def test_deactivated_account_is_locked_out(client, engine) -> None:
    token = make_user(engine, "weg@example.org", "desk")
    with Session(engine) as s, s.begin():
        s.exec(select(User).where(User.email == "weg@example.org")).one().active = False
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401
    page = client.get("/login")
    r = client.post("/login", data={"email": "weg@example.org", "password": PASSWORD,
                                    "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 400 and "deaktiviert" in r.text


def test_passwords_are_argon2_hashes(engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    with Session(engine) as s:
        stored = s.exec(select(User)).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def _cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(v for k, v in response.headers.multi_items() if k == "set-cookie")


def test_login_sets_a_signed_httponly_lax_cookie(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    page = client.get("/login")
    assert page.status_code == 200 and "Anmelden" in page.text
    form = {"email": "DESK@example.org", "password": PASSWORD, "csrf_token": csrf_from(page.text), "next": "/cases"}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    cookie = _cookie_header(r).lower()
    assert "fm_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    home = client.get("/").text
    assert "Desk" in home and "Beratung (SKEW)" in home and "Abmelden" in home


def test_cookie_is_secure_in_production(engine, settings) -> None:
    prod = settings.model_copy(update={"environment": "production", "secret_key": "ein-echtes-geheimnis-" * 3})
    runtime = MatchRuntime(engine, prod, embedder=FakeEmbedder())
    with TestClient(create_app(prod, runtime)) as c:
        assert "secure" in _cookie_header(c.get("/login")).lower()


def test_production_refuses_the_default_secret(engine, settings) -> None:
    prod = settings.model_copy(update={"environment": "production"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(prod, MatchRuntime(engine, prod, embedder=FakeEmbedder()))


def test_wrong_password_and_missing_csrf_do_not_log_in(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    token = csrf_from(client.get("/login").text)
    wrong = client.post("/login", data={"email": "desk@example.org", "password": "falsch", "csrf_token": token})
    assert wrong.status_code == 400 and "Passwort ist falsch" in wrong.text
    no_csrf = client.post("/login", data={"email": "desk@example.org", "password": PASSWORD})
    assert no_csrf.status_code == 403 and "abgelaufen" in no_csrf.text
    assert client.get("/api/v1/me").json()["authenticated"] is False


def test_login_redirect_stays_on_site(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"email": "desk@example.org", "password": PASSWORD, "csrf_token": token,
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_tampered_cookie_is_anonymous(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    login(client, "desk@example.org")
    value = client.cookies.get("fm_session")
    client.cookies.clear()
    client.cookies.set("fm_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert client.get("/api/v1/me").json()["authenticated"] is False


def test_desk_pages_redirect_to_login_and_refuse_lower_roles(client, engine) -> None:
    r = client.get("/cases", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fcases"
    make_user(engine, "koord@example.org", "coordinator")
    login(client, "koord@example.org")
    page = client.get("/cases")
    assert page.status_code == 403 and "Keine Berechtigung" in page.text
    assert 'href="/cases"' not in client.get("/").text  # no desk navigation for coordinators


def test_csrf_is_required_for_browser_writes(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    csrf = login(client, "desk@example.org")
    form = {"municipality": "Stadt Beispiel", "applicant_type": "kommune", "idea": "Wasser mit Ghana"}
    assert client.post("/cases", data=form).status_code == 403
    assert client.post("/cases", data={**form, "csrf_token": "falsch"}).status_code == 403
    body = {"municipality": "Stadt Beispiel", "profile": {"applicant": {"type": "kommune"}, "project": {"idea": "x"}}}
    assert client.post("/api/v1/cases", json=body).status_code == 403
    assert audit_actions(engine, None) == ["user.create", "token.create"]  # nothing written
    assert client.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.post("/cases", data={**form, "csrf_token": csrf}, follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    csrf = login(client, "desk@example.org")
    assert "Jetzt abmelden" in client.get("/logout").text
    assert client.post("/logout", data={}).status_code == 403  # a foreign page cannot log you out
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and 'fm_session=""' in _cookie_header(r)
    assert client.get("/cases", follow_redirects=False).status_code == 303


def _rate_limited_client(engine, settings, limit: int) -> TestClient:  # type: ignore[no-untyped-def]
    tight = settings.model_copy(update={"match_rate_limit": limit, "match_rate_window_s": 60.0})
    return TestClient(create_app(tight, MatchRuntime(engine, tight, embedder=FakeEmbedder())))


def test_match_is_rate_limited_per_client(client, engine, settings) -> None:
    token = make_user(engine, "bot@example.org", "coordinator")
    with _rate_limited_client(engine, settings, 2) as c:
        assert [c.post("/api/v1/match", json=PROFILE).status_code for _ in range(2)] == [200, 200]
        r = c.post("/api/v1/match", json=PROFILE)
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
        assert c.post("/api/v1/match", json=PROFILE, headers=bearer(token)).status_code == 200  # own bucket
        assert c.get("/api/v1/programmes").status_code == 200  # only matching is limited


def test_sliding_window_frees_slots_as_time_passes() -> None:
    now = [0.0]
    window = SlidingWindow(2, 10, clock=lambda: now[0])
    assert window.hit("a") == 0 and window.hit("a") == 0
    now[0] = 4.0
    assert window.hit("a") == 6 and window.hit("b") == 0
    now[0] = 10.0  # both hits of t=0 have left the window
    assert window.hit("a") == 0 and window.hit("a") == 0 and window.hit("a") == 10


def test_users_cli_creates_account_and_prints_a_working_token(client, engine, db_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FOERDERMATCH_DATABASE_URL", db_url)
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "stdin", io.StringIO("ein-langes-passwort\n"))
    try:
        code = cli_main(["users", "add", "Neu@Example.org", "--role", "desk", "--name", "Neu", "--password-stdin",
                         "--token", "bot"])
        out = capsys.readouterr().out
        assert code == 0 and "created desk account neu@example.org" in out
        token = out.strip().splitlines()[-1]
        assert client.get("/api/v1/me", headers=bearer(token)).json()["email"] == "neu@example.org"
        monkeypatch.setattr(sys, "stdin", io.StringIO("kurz\n"))
        assert cli_main(["users", "add", "x@example.org", "--role", "desk", "--password-stdin"]) == 2
        assert cli_main(["users", "add", "neu@example.org", "--role", "desk", "--no-password"]) == 2
    finally:
        get_settings.cache_clear()
    login(client, "neu@example.org", "ein-langes-passwort")
    assert audit_actions(engine) == ["user.create", "token.create"]
