"""Call status and next deadline, computed from deadlines when read - never a stored flag."""

from __future__ import annotations

import datetime as dt

from catalog.schema import Deadline, ProgrammeIn, Status


def _closes(d: Deadline) -> dt.date | None:
    """The last day on which this deadline can still be met (None: no end known)."""
    if d.kind in ("window", "rolling"):
        return d.end
    return d.date


def _opens(d: Deadline) -> dt.date | None:
    return d.date if d.kind in ("window", "rolling") else None


def upcoming(deadlines: list[Deadline], today: dt.date) -> list[Deadline]:
    """Deadlines that can still be met, soonest first; open-ended rolling ones last."""
    live = [
        d for d in deadlines if (_closes(d) is None and d.kind == "rolling") or (_closes(d) or dt.date.min) >= today
    ]
    return sorted(live, key=lambda d: (_closes(d) or dt.date.max, d.kind))


def next_deadline(p: ProgrammeIn, today: dt.date) -> Deadline | None:
    live = upcoming(p.deadlines, today)
    return live[0] if live else None


def status(p: ProgrammeIn, today: dt.date) -> Status:
    if p.paused:
        return "paused"
    if not p.deadlines:
        return "unknown"
    live = upcoming(p.deadlines, today)
    if not live:
        return "closed"
    if all((_opens(d) or dt.date.min) > today for d in live):
        return "forthcoming"
    if all(d.kind == "rolling" for d in live):
        return "rolling"
    return "open"
