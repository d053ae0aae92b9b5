"""Dated deadlines of programmes for calendars: one per interest, application or window end; rolling ones apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog.schema import Deadline, ProgrammeIn

SUMMARY_DE = {"interest": "Projektskizze / Interessenbekundung", "application": "Antragsfrist",
              "window": "Ende des Einreichungszeitraums"}


@dataclass(frozen=True)
class DatedDeadline:
    programme: ProgrammeIn
    deadline: Deadline
    due: dt.date  # the last day on which it can be met

    @property
    def label(self) -> str:
        return SUMMARY_DE[self.deadline.kind]

    def as_json(self) -> dict[str, Any]:
        p, d = self.programme, self.deadline
        return {"programme_id": p.id, "title": p.title, "funder": p.funder, "level": p.level, "kind": d.kind,
                "date": self.due.isoformat(), "opens": d.date.isoformat() if d.kind == "window" and d.date else None,
                "note": d.note, "url": p.url, "paused": p.paused, "as_of": p.as_of.isoformat() if p.as_of else None}


def due_date(d: Deadline) -> dt.date | None:
    """A window is due when it closes; rolling applications have no date to put in a calendar."""
    if d.kind == "rolling":
        return None
    return d.end if d.kind == "window" else d.date


def dated(programmes: Iterable[ProgrammeIn], *, start: dt.date, end: dt.date | None = None,
          levels: Iterable[str] | None = None) -> list[DatedDeadline]:
    """Every dated deadline due from ``start`` to ``end`` (inclusive), soonest first."""
    wanted = set(levels) if levels else None
    out = []
    for p in programmes:
        if wanted is not None and p.level not in wanted:
            continue
        for d in p.deadlines:
            due = due_date(d)
            if due is not None and due >= start and (end is None or due <= end):
                out.append(DatedDeadline(p, d, due))
    return sorted(out, key=lambda x: (x.due, x.programme.title, x.deadline.kind))


def rolling(programmes: Iterable[ProgrammeIn], *, today: dt.date) -> list[tuple[ProgrammeIn, Deadline]]:
    """Programmes taking applications continuously (not yet ended), by title."""
    out = [(p, d) for p in programmes for d in p.deadlines if d.kind == "rolling" and (d.end is None or d.end >= today)]
    return sorted(out, key=lambda x: x[0].title)
