"""Tables and payloads of the desk: users and API tokens, saved profiles, cases with shortlists, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from catalog.models import utcnow
from matcher.profile import Profile

Role = Literal["coordinator", "desk", "admin"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ShortlistStatus = Literal["vorgemerkt", "in Prüfung", "beantragt", "abgelehnt", "bewilligt", "verworfen"]
SHORTLIST_STATUSES: tuple[str, ...] = ShortlistStatus.__args__  # type: ignore[attr-defined]


# --- tables -----------------------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "appuser"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)  # one of ROLES
    password_hash: str | None = Field(default=None, max_length=300)  # None: token-only (bots)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bot's bearer token; only its SHA-256 is kept (tokens are random, 256 bits)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="appuser.id", index=True)
    name: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_used: dt.datetime | None = None


class SavedProfile(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="appuser.id", index=True)
    name: str = Field(max_length=200)
    profile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # a matcher.profile.Profile
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Case(SQLModel, table=True):
    """One municipality the desk advises: its profile, the responsible adviser, free notes."""

    __tablename__ = "advicecase"  # "case" is reserved in SQL

    id: int | None = Field(default=None, primary_key=True)
    municipality: str = Field(max_length=300)
    profile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    notes: str = ""
    owner_id: int = Field(foreign_key="appuser.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ShortlistItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "programme_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="advicecase.id", index=True)
    programme_id: str = Field(foreign_key="programme.id", max_length=120)
    status: str = Field(default="vorgemerkt", max_length=20)  # one of SHORTLIST_STATUSES
    note: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """One write through the API or the desk. ``scope`` groups entries for a history ("case:7", "programme:x")."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="appuser.id")
    actor: str = Field(max_length=254)  # e-mail at the time of writing, kept if the user goes
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=120)
    scope: str = Field(max_length=160, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


# --- payloads ---------------------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProfileIn(_In):
    name: str = PydField(min_length=1, max_length=200)
    profile: Profile


class ProfileUpdate(_In):
    name: str | None = PydField(default=None, min_length=1, max_length=200)
    profile: Profile | None = None


class CaseIn(_In):
    municipality: str = PydField(min_length=2, max_length=300)
    profile: Profile
    notes: str = PydField(default="", max_length=20_000)
    owner_id: int | None = None  # default: the adviser creating the case


class CaseUpdate(_In):
    municipality: str | None = PydField(default=None, min_length=2, max_length=300)
    profile: Profile | None = None
    notes: str | None = PydField(default=None, max_length=20_000)
    owner_id: int | None = None


class ShortlistIn(_In):
    programme_id: str = PydField(min_length=2, max_length=120)
    status: ShortlistStatus = "vorgemerkt"
    note: str = PydField(default="", max_length=5000)


class ShortlistUpdate(_In):
    status: ShortlistStatus | None = None
    note: str | None = PydField(default=None, max_length=5000)


class CorrectionIn(_In):
    field: str = PydField(min_length=1, max_length=80, description="a ProgrammeIn field or rules.<name>")
    value: Any = None
    reason: str = PydField(min_length=3, max_length=2000)


class ReviewIn(_In):
    note: str | None = PydField(default=None, max_length=2000)


def public(row: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """A row as JSON-safe dict (what the API returns and the audit log stores)."""
    return row.model_dump(mode="json", exclude=exclude)


MAX_ID = 2**31 - 1  # integer primary keys; a larger id in a URL cannot exist (and PostgreSQL would reject it)


def get_by_id(s: Any, model: Any, row_id: int) -> Any:
    """``s.get`` that answers None for ids no row can have, instead of a database error."""
    return s.get(model, row_id) if 1 <= row_id <= MAX_ID else None
