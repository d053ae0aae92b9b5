"""Advisers' corrections of crawled facts: validated against the whole programme, superseding, withdrawn, reviewed."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from api import auditlog
from api.models import CorrectionIn, User, public
from catalog import store
from catalog.models import Correction, Programme
from catalog.schema import ProgrammeIn, Rules

# Identity fields: correcting them would detach the programme from its source.
PROTECTED = frozenset({"id", "source", "source_key"})
FIELDS = tuple(f for f in ProgrammeIn.model_fields if f not in PROTECTED and f != "rules")
RULE_FIELDS = tuple(f"rules.{f}" for f in Rules.model_fields)


class CorrectionInvalid(ValueError):
    """The correction cannot be stored; ``loc`` names the offending input ("field" or "value")."""

    def __init__(self, loc: str, message: str) -> None:
        super().__init__(message)
        self.loc, self.message = loc, message


def check_field(field: str) -> None:
    if field in PROTECTED:
        raise CorrectionInvalid("field", f"{field!r} identifies the programme and cannot be corrected")
    if field not in FIELDS and field not in RULE_FIELDS:
        raise CorrectionInvalid("field", f"unknown field {field!r}; a programme field or rules.<name>")


def _value_at(data: dict[str, Any], field: str) -> Any:
    if field.startswith("rules."):
        return (data.get("rules") or {}).get(field.removeprefix("rules."))
    return data.get(field)


def validated_value(s: Session, row: Programme, field: str, value: Any) -> Any:
    """The value as the catalogue would store it, after re-validating the programme with all its corrections."""
    check_field(field)
    others = [c for c in store.active_corrections(s, [row.id]).get(row.id, []) if c.field != field]
    merged = store.apply_corrections(row.data, [*others, Correction(programme_id=row.id, field=field, value=value,
                                                                    reason="", author="")])
    try:
        corrected = ProgrammeIn.model_validate(merged)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise CorrectionInvalid("value", f"{where}: {err['msg']}") from None
    return _value_at(corrected.model_dump(mode="json"), field)


def create(s: Session, actor: User, row: Programme, data: CorrectionIn) -> Correction:
    """Store a correction; an earlier active correction of the same field is superseded (deactivated)."""
    value = validated_value(s, row, data.field, data.value)
    superseded = [c for c in store.active_corrections(s, [row.id]).get(row.id, []) if c.field == data.field]
    for old in superseded:
        old.active = False
        s.add(old)
    fix = Correction(programme_id=row.id, field=data.field, value=value, reason=data.reason, author=actor.email)
    s.add(fix)
    s.flush()
    auditlog.record(s, actor, "correction.create", scope=f"programme:{row.id}", object_type="correction",
                    object_id=fix.id, before={"superseded": [public(c) for c in superseded]} if superseded else None,
                    after=public(fix))
    return fix


def withdraw(s: Session, actor: User, fix: Correction) -> Correction:
    before = public(fix)
    fix.active, fix.needs_review = False, False
    s.add(fix)
    auditlog.record(s, actor, "correction.withdraw", scope=f"programme:{fix.programme_id}",
                    object_type="correction", object_id=fix.id, before=before, after=public(fix))
    return fix


def mark_reviewed(s: Session, actor: User, fix: Correction, note: str | None) -> Correction:
    """The adviser looked at the source's new wording and keeps the correction."""
    before = public(fix)
    fix.needs_review = False
    fix.review_note = note or f"geprüft von {actor.email}"
    s.add(fix)
    auditlog.record(s, actor, "correction.review", scope=f"programme:{fix.programme_id}",
                    object_type="correction", object_id=fix.id, before=before, after=public(fix))
    return fix


def corrections(
    s: Session, *, programme_id: str | None = None, needs_review: bool | None = None, include_withdrawn: bool = False,
) -> list[Correction]:
    query = select(Correction).order_by(col(Correction.id).desc())
    if programme_id is not None:
        query = query.where(Correction.programme_id == programme_id)
    if needs_review is not None:
        query = query.where(Correction.needs_review == needs_review)
    if not include_withdrawn:
        query = query.where(Correction.active == True)  # noqa: E712
    return list(s.exec(query))
