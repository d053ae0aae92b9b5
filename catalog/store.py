"""Queries and writes of the catalogue. Callers own the transaction (``with Session(e) as s, s.begin():``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlmodel import Session, col, func, select

from catalog.models import Correction, Programme, ProgrammeEvent, ProgrammeVersion, utcnow
from catalog.schema import ProgrammeIn

Outcome = Literal["new", "changed", "unchanged"]


def content_hash(p: ProgrammeIn) -> str:
    canonical = json.dumps(p.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {name: [old, new]}; rules are compared one rule at a time ("rules.funding_rate")."""
    diff: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        if key == "rules":
            inner = field_diff(old.get("rules") or {}, new.get("rules") or {})
            diff.update({f"rules.{k}": v for k, v in inner.items()})
        elif old.get(key) != new.get(key):
            diff[key] = [old.get(key), new.get(key)]
    return diff


def upsert_programme(
    s: Session, p: ProgrammeIn, *, now: dt.datetime | None = None, crawl_run_id: int | None = None
) -> tuple[Outcome, list[str]]:
    """Store what a source says about a programme; a new version only when the content changed."""
    now = now or utcnow()
    digest = content_hash(p)
    data = p.model_dump(mode="json")
    row = s.get(Programme, p.id)
    if row is None:
        row = Programme(
            id=p.id, source=p.source, source_key=p.source_key, level=p.level, title=p.title, data=data,
            content_hash=digest, as_of=p.as_of, first_seen=now, last_seen=now, last_changed=now,
        )
        s.add(row)
        s.flush()
        _record(s, row, changed=[], diff={}, kind="new", crawl_run_id=crawl_run_id, now=now)
        return "new", []
    back = row.gone_since is not None
    row.last_seen, row.missed_crawls, row.gone_since = now, 0, None
    if row.content_hash == digest:
        if back:
            _event(s, row.id, "back", [], crawl_run_id, now)
        return "unchanged", []
    diff = field_diff(row.data, data)
    row.data, row.content_hash, row.last_changed = data, digest, now
    row.source, row.source_key, row.level, row.title, row.as_of = p.source, p.source_key, p.level, p.title, p.as_of
    row.version += 1
    _record(s, row, changed=list(diff), diff=diff, kind="changed", crawl_run_id=crawl_run_id, now=now)
    _flag_corrections(s, row.id, diff)
    return "changed", list(diff)


def _record(s: Session, row: Programme, *, changed: list[str], diff: dict[str, Any], kind: str,
            crawl_run_id: int | None, now: dt.datetime) -> None:
    s.add(ProgrammeVersion(
        programme_id=row.id, version=row.version, created_at=now, crawl_run_id=crawl_run_id,
        content_hash=row.content_hash, changed_fields=changed, diff=diff, data=row.data,
    ))
    _event(s, row.id, kind, changed, crawl_run_id, now)


def _event(s: Session, pid: str, kind: str, fields: list[str], run: int | None, now: dt.datetime) -> None:
    s.add(ProgrammeEvent(programme_id=pid, kind=kind, fields=fields, crawl_run_id=run, created_at=now))


def _flag_corrections(s: Session, pid: str, diff: dict[str, Any]) -> None:
    """A source that now says something else about a corrected field asks an adviser to look again."""
    for c in active_corrections(s, [pid]).get(pid, []):
        if c.field in diff:
            c.needs_review = True
            c.review_note = f"Quelle geändert: {diff[c.field][1]!r}"
            s.add(c)


def mark_missing(
    s: Session, *, source: str, seen_ids: Iterable[str], threshold: int,
    now: dt.datetime | None = None, crawl_run_id: int | None = None,
) -> list[str]:
    """After a successful crawl: count a miss for each unseen programme; gone after ``threshold`` misses."""
    now = now or utcnow()
    seen = set(seen_ids)
    gone = []
    rows = s.exec(select(Programme).where(Programme.source == source, col(Programme.gone_since).is_(None)))
    for row in rows:
        if row.id in seen:
            continue
        row.missed_crawls += 1
        if row.missed_crawls >= threshold:
            row.gone_since = now
            _event(s, row.id, "gone", [], crawl_run_id, now)
            gone.append(row.id)
        s.add(row)
    return gone


def active_corrections(s: Session, ids: Sequence[str] | None = None) -> dict[str, list[Correction]]:
    query = select(Correction).where(Correction.active == True).order_by(col(Correction.id))  # noqa: E712
    if ids is not None:
        query = query.where(col(Correction.programme_id).in_(list(ids)))
    out: dict[str, list[Correction]] = {}
    for c in s.exec(query):
        out.setdefault(c.programme_id, []).append(c)
    return out


def apply_corrections(data: dict[str, Any], corrections: Sequence[Correction]) -> dict[str, Any]:
    """The programme as the desk wants it read: each correction replaces one field."""
    if not corrections:
        return data
    merged = json.loads(json.dumps(data))
    for c in corrections:
        if c.field.startswith("rules."):
            merged.setdefault("rules", {})[c.field.removeprefix("rules.")] = c.value
        else:
            merged[c.field] = c.value
    return merged


def effective(row: Programme, corrections: Sequence[Correction] = ()) -> ProgrammeIn:
    return ProgrammeIn.model_validate(apply_corrections(row.data, corrections))


def all_programmes(s: Session, *, include_gone: bool = False) -> list[tuple[Programme, ProgrammeIn]]:
    """Every programme with corrections applied, ordered by id."""
    query = select(Programme).order_by(col(Programme.id))
    if not include_gone:
        query = query.where(col(Programme.gone_since).is_(None))
    rows = list(s.exec(query))
    fixes = active_corrections(s)
    return [(r, effective(r, fixes.get(r.id, []))) for r in rows]


def get_programme(s: Session, pid: str) -> tuple[Programme, ProgrammeIn] | None:
    row = s.get(Programme, pid)
    if row is None:
        return None
    return row, effective(row, active_corrections(s, [pid]).get(pid, []))


def versions(s: Session, pid: str) -> list[ProgrammeVersion]:
    query = select(ProgrammeVersion).where(ProgrammeVersion.programme_id == pid)
    return list(s.exec(query.order_by(col(ProgrammeVersion.version).desc())))


def count_programmes(s: Session) -> int:
    return s.exec(select(func.count()).select_from(Programme)).one()


def catalogue_stamp(s: Session) -> tuple[int, str | None, tuple[int | None, ...]]:
    """Cheap fingerprint of the catalogue (count, last change, corrections) to know when to re-index."""
    n, last = s.exec(select(func.count(), func.max(Programme.last_changed)).select_from(Programme)).one()
    # Count and newest id of the active corrections: adding or withdrawing one changes the stamp.
    fixes = tuple(s.exec(select(func.count(), func.max(Correction.id)).where(col(Correction.active))).one())
    return n, str(last) if last else None, fixes
