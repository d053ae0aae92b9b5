"""Users and API tokens: create, authenticate by password or bearer token, issue tokens."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from api import auditlog
from api.models import ROLES, ApiToken, User, public
from api.security import hash_password, new_api_token, token_digest, verify_password
from catalog.models import utcnow

# Writing last_used on every bot request would serialise reads on SQLite; once a minute is enough.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


class AccountError(ValueError):
    """A user cannot be created as asked (duplicate e-mail, unknown role)."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    s: Session, *, email: str, role: str, name: str = "", password: str | None = None, actor: User | str = "cli",
) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address")
    if s.exec(select(User).where(User.email == email)).first() is not None:
        raise AccountError(f"a user {email} exists already")
    user = User(email=email, role=role, name=name.strip(), password_hash=hash_password(password) if password else None)
    s.add(user)
    s.flush()
    auditlog.record(s, actor, "user.create", scope=f"user:{user.id}", object_type="user", object_id=user.id,
                    after=public(user, exclude={"password_hash"}))
    return user


def issue_token(s: Session, user: User, name: str, *, actor: User | str = "cli") -> str:
    """A new bearer token for ``user``; the plain token is returned once and never stored."""
    token = new_api_token()
    row = ApiToken(token_hash=token_digest(token), user_id=user.id, name=name.strip()[:120])  # type: ignore[arg-type]
    s.add(row)
    s.flush()
    auditlog.record(s, actor, "token.create", scope=f"user:{user.id}", object_type="api_token", object_id=row.id,
                    after=public(row, exclude={"token_hash"}))
    return token


def authenticate(s: Session, email: str, password: str) -> User | None:
    user = s.exec(select(User).where(User.email == normalise_email(email))).first()
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok and user is not None and user.active else None


def user_for_token(s: Session, token: str) -> tuple[User, ApiToken] | None:
    row = s.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    user = s.get(User, row.user_id) if row else None
    if row is None or user is None or not user.active:
        return None
    now = utcnow()
    if row.last_used is None or now - row.last_used > TOKEN_TOUCH_INTERVAL:
        row.last_used = now  # committed by the caller
        s.add(row)
    return user, row


def list_users(s: Session) -> list[User]:
    return list(s.exec(select(User).order_by(col(User.email))))
