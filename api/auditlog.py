"""The audit log: every write through the API or the desk records who changed what, with before and after."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.models import AuditEntry, User


def record(
    s: Session, actor: User | str, action: str, *, scope: str, object_type: str, object_id: Any,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the caller's transaction. ``actor`` is a user, or a label such as "cli" for jobs."""
    entry = AuditEntry(
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.email if isinstance(actor, User) else actor,
        action=action, scope=scope, object_type=object_type, object_id=str(object_id),
        before=before, after=after,
    )
    s.add(entry)
    return entry


def entries(
    s: Session, *, scope: str | None = None, actor: str | None = None, action: str | None = None,
    limit: int = 100, offset: int = 0,
) -> list[AuditEntry]:
    """Newest first, optionally only one history (scope), one actor (e-mail) or one action."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc())
    if scope:
        query = query.where(AuditEntry.scope == scope)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(s.exec(query.offset(offset).limit(limit)))


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The fields an entry changed as {name: [old, new]} (timestamps left out), for history views."""
    before, after = before or {}, after or {}
    skip = {"created_at", "updated_at", "id"}
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
            if k not in skip and before.get(k) != after.get(k)}
