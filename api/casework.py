"""Saved profiles, cases and shortlists: queries and the one audited function per write (callers commit)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from api import auditlog
from api.models import (
    Case,
    CaseIn,
    CaseUpdate,
    ProfileIn,
    ProfileUpdate,
    SavedProfile,
    ShortlistIn,
    ShortlistItem,
    ShortlistUpdate,
    User,
    get_by_id,
    public,
)
from catalog.models import Programme, utcnow
from matcher.profile import Profile


class Conflict(ValueError):
    """The write would duplicate something unique (a profile name, a programme on a shortlist)."""


class Missing(LookupError):
    """An input refers to something that does not exist; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def profile_json(profile: Profile) -> dict[str, Any]:
    return profile.model_dump(mode="json", exclude_none=True)


# --- saved profiles (a coordinator's own) -----------------------------------------------------------------------


def list_profiles(s: Session, owner: User) -> list[SavedProfile]:
    return list(s.exec(select(SavedProfile).where(SavedProfile.owner_id == owner.id).order_by(col(SavedProfile.name))))


def get_profile(s: Session, owner: User, profile_id: int) -> SavedProfile | None:
    """Someone else's profile is as absent as a missing one: ids must not reveal what others keep."""
    row = get_by_id(s, SavedProfile, profile_id)
    return row if row is not None and row.owner_id == owner.id else None


def _check_name(s: Session, owner: User, name: str, profile_id: int | None = None) -> None:
    query = select(SavedProfile).where(SavedProfile.owner_id == owner.id, SavedProfile.name == name)
    other = s.exec(query).first()
    if other is not None and other.id != profile_id:
        raise Conflict(f"Es gibt bereits ein Profil mit dem Namen „{name}“.")


def create_profile(s: Session, owner: User, data: ProfileIn) -> SavedProfile:
    _check_name(s, owner, data.name)
    row = SavedProfile(owner_id=owner.id, name=data.name, profile=profile_json(data.profile))  # type: ignore[arg-type]
    s.add(row)
    s.flush()
    auditlog.record(s, owner, "profile.create", scope=f"profile:{row.id}", object_type="profile", object_id=row.id,
                    after=public(row))
    return row


def update_profile(s: Session, owner: User, row: SavedProfile, data: ProfileUpdate) -> SavedProfile:
    before = public(row)
    if data.name is not None:
        _check_name(s, owner, data.name, row.id)
        row.name = data.name
    if data.profile is not None:
        row.profile = profile_json(data.profile)
    row.updated_at = utcnow()
    s.add(row)
    auditlog.record(s, owner, "profile.update", scope=f"profile:{row.id}", object_type="profile", object_id=row.id,
                    before=before, after=public(row))
    return row


def delete_profile(s: Session, owner: User, row: SavedProfile) -> None:
    auditlog.record(s, owner, "profile.delete", scope=f"profile:{row.id}", object_type="profile", object_id=row.id,
                    before=public(row))
    s.delete(row)


# --- cases ------------------------------------------------------------------------------------------------------


def list_cases(s: Session, *, owner: User | None = None) -> list[Case]:
    query = select(Case).order_by(col(Case.updated_at).desc(), col(Case.id).desc())
    if owner is not None:
        query = query.where(Case.owner_id == owner.id)
    return list(s.exec(query))


def _desk_user(s: Session, user_id: int) -> User:
    user = get_by_id(s, User, user_id)
    if user is None or not user.active or user.role not in ("desk", "admin"):
        raise Missing("owner_id", f"Kein aktives Beratungskonto mit der Kennung {user_id}.")
    return user


def create_case(s: Session, actor: User, data: CaseIn) -> Case:
    owner = _desk_user(s, data.owner_id) if data.owner_id is not None else actor
    row = Case(municipality=data.municipality, profile=profile_json(data.profile), notes=data.notes,
               owner_id=owner.id)  # type: ignore[arg-type]
    s.add(row)
    s.flush()
    auditlog.record(s, actor, "case.create", scope=f"case:{row.id}", object_type="case", object_id=row.id,
                    after=public(row))
    return row


def update_case(s: Session, actor: User, row: Case, data: CaseUpdate) -> Case:
    before = public(row)
    if data.owner_id is not None:
        row.owner_id = _desk_user(s, data.owner_id).id  # type: ignore[assignment]
    if data.municipality is not None:
        row.municipality = data.municipality
    if data.profile is not None:
        row.profile = profile_json(data.profile)
    if data.notes is not None:
        row.notes = data.notes
    row.updated_at = utcnow()
    s.add(row)
    auditlog.record(s, actor, "case.update", scope=f"case:{row.id}", object_type="case", object_id=row.id,
                    before=before, after=public(row))
    return row


def delete_case(s: Session, actor: User, row: Case) -> None:
    items = shortlist(s, row)
    auditlog.record(s, actor, "case.delete", scope=f"case:{row.id}", object_type="case", object_id=row.id,
                    before={**public(row), "shortlist": [public(i) for i in items]})
    for item in items:
        s.delete(item)
    s.flush()
    s.delete(row)


# --- shortlist --------------------------------------------------------------------------------------------------


def shortlist(s: Session, case: Case) -> list[ShortlistItem]:
    return list(s.exec(select(ShortlistItem).where(ShortlistItem.case_id == case.id).order_by(col(ShortlistItem.id))))


def get_item(s: Session, case: Case, item_id: int) -> ShortlistItem | None:
    item = get_by_id(s, ShortlistItem, item_id)
    return item if item is not None and item.case_id == case.id else None


def add_item(s: Session, actor: User, case: Case, data: ShortlistIn) -> ShortlistItem:
    if s.get(Programme, data.programme_id) is None:
        raise Missing("programme_id", f"Kein Programm mit der Kennung {data.programme_id!r}.")
    if any(i.programme_id == data.programme_id for i in shortlist(s, case)):
        raise Conflict("Das Programm steht bereits auf der Auswahlliste dieses Falls.")
    item = ShortlistItem(case_id=case.id, programme_id=data.programme_id, status=data.status,  # type: ignore[arg-type]
                         note=data.note)
    s.add(item)
    s.flush()
    _touch(s, case)
    auditlog.record(s, actor, "shortlist.add", scope=f"case:{case.id}", object_type="shortlist_item",
                    object_id=item.id, after=public(item))
    return item


def update_item(s: Session, actor: User, case: Case, item: ShortlistItem, data: ShortlistUpdate) -> ShortlistItem:
    before = public(item)
    if data.status is not None:
        item.status = data.status
    if data.note is not None:
        item.note = data.note
    item.updated_at = utcnow()
    s.add(item)
    _touch(s, case)
    auditlog.record(s, actor, "shortlist.update", scope=f"case:{case.id}", object_type="shortlist_item",
                    object_id=item.id, before=before, after=public(item))
    return item


def remove_item(s: Session, actor: User, case: Case, item: ShortlistItem) -> None:
    auditlog.record(s, actor, "shortlist.remove", scope=f"case:{case.id}", object_type="shortlist_item",
                    object_id=item.id, before=public(item))
    s.delete(item)
    _touch(s, case)


def _touch(s: Session, case: Case) -> None:
    case.updated_at = utcnow()
    s.add(case)


def shortlist_counts(s: Session) -> dict[int, dict[str, int]]:
    """Per case: how many programmes are on its shortlist in each status."""
    rows = s.exec(select(ShortlistItem.case_id, ShortlistItem.status, func.count())
                  .group_by(col(ShortlistItem.case_id), col(ShortlistItem.status)))
    out: dict[int, dict[str, int]] = {}
    for case_id, status, n in rows:
        out.setdefault(case_id, {})[status] = n
    return out
