"""Plain helpers for the desk tests: accounts with tokens, browser logins, CSRF tokens from pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api import accounts
from api.models import AuditEntry

PASSWORD = "richtig-langes-passwort"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(engine: Engine, email: str, role: str, *, password: str | None = PASSWORD) -> str:
    """Create an account and return a fresh bearer token for it."""
    with Session(engine) as s, s.begin():
        user = accounts.create_user(s, email=email, role=role, name=email.split("@")[0].title(), password=password)
        return accounts.issue_token(s, user, "test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_from(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form like a browser; returns the session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_from(client.get("/").text)


def audit_actions(engine: Engine, scope: str | None = None) -> list[str]:
    """Actions in the audit log, oldest first."""
    with Session(engine) as s:
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        if scope:
            query = query.where(AuditEntry.scope == scope)
        return [e.action for e in s.exec(query)]
