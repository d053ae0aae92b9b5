"""Secrets handling: argon2 password hashes, bearer-token digests, the signed session cookie and its CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from config.settings import Settings

SESSION_COOKIE = "fm_session"
TOKEN_PREFIX = "fm_"
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown e-mail like that of a wrong password.
_DUMMY_HASH = _hasher.hash("no such user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="foerdermatch-session")


def new_session(user_id: int | None) -> dict[str, Any]:
    """Session content: the user (None before login) and a fresh CSRF token; rotated at login and logout."""
    return {"uid": user_id, "csrf": secrets.token_urlsafe(32)}


def read_session(settings: Settings, cookie: str | None) -> dict[str, Any] | None:
    if not cookie:
        return None
    try:
        data = _serializer(settings).loads(cookie, max_age=settings.session_max_age_s)
    except BadSignature:  # includes SignatureExpired
        return None
    return data if isinstance(data, dict) and isinstance(data.get("csrf"), str) else None


def set_session_cookie(response: Response, settings: Settings, session: dict[str, Any]) -> None:
    response.set_cookie(
        SESSION_COOKIE, _serializer(settings).dumps(session), max_age=settings.session_max_age_s, path="/",
        httponly=True, samesite="lax", secure=settings.environment == "production",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=settings.environment == "production")


def csrf_ok(session: dict[str, Any] | None, submitted: str | None) -> bool:
    if not session or not submitted:
        return False
    return hmac.compare_digest(str(session["csrf"]), submitted)
