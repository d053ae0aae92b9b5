"""One subscriber's digest as a pure function: new matches, changes that matter, deadline reminders - nothing twice.

"The same" is decided by fingerprints: a new or changed item is fingerprinted over the programme's facts that
matter (deadlines, amounts and rate, eligibility rules, paused) and is not repeated while those facts equal what
the subscriber was last told; a reminder is fingerprinted over the deadline date and the reminder step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from catalog.schema import Deadline, ProgrammeIn
from matcher.eligibility import format_eur, format_pct

AMOUNT_RULES = ("grant_min_eur", "grant_max_eur", "funding_rate", "financing_type", "lump_sum_per_participant_eur",
                "own_funds", "admin_flat_rate", "no_grant")
ELIGIBILITY_RULES = ("applicant_types", "partner_rule", "min_partners", "min_countries", "max_duration_months",
                     "special_rules")
ASPECTS = ("deadlines", "amounts", "eligibility", "status")
try:
    LOCAL_TZ: dt.tzinfo = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # no time-zone database: UTC errs only in the hours around midnight
    LOCAL_TZ = dt.UTC


def local_today(now: dt.datetime) -> dt.date:
    """The date German subscribers live in: "3 days before the deadline" is counted in their calendar."""
    return now.astimezone(LOCAL_TZ).date()


def aspect_of(changed_field: str) -> str | None:
    """Which aspect a changed field (as in ProgrammeEvent.fields) belongs to; None: it does not matter."""
    if changed_field == "deadlines":
        return "deadlines"
    if changed_field == "paused":
        return "status"
    if changed_field == "states":
        return "eligibility"
    name = changed_field.removeprefix("rules.")
    if changed_field == "rules" or name in ELIGIBILITY_RULES:
        return "eligibility"
    return "amounts" if name in AMOUNT_RULES else None


@dataclass(frozen=True)
class Event:
    programme_id: str
    kind: str  # new | changed | gone | back
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sent:
    """An item already given to the subscriber; passed oldest first."""

    programme_id: str
    kind: str
    fingerprint: str


@dataclass(frozen=True)
class Filters:
    min_score: float | None = None
    only_eligible: bool = False
    exclude_words: tuple[str, ...] = ()


@dataclass
class Item:
    kind: str  # new | changed | deadline_reminder
    programme_id: str
    title: str
    url: str
    funder: str
    verdict: str
    status: str
    score: float
    own_contribution: dict[str, Any]
    deadline: dict[str, Any] | None
    deadline_date: str | None
    days_left: int | None
    fingerprint: str
    changes: list[dict[str, str]] = field(default_factory=list)  # [{"aspect": ..., "value": ...}]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Digest:
    items: list[Item]
    # Every (programme_id, kind, fingerprint) to record as sent: the items and the reminders folded into them.
    records: list[tuple[str, str, str]]


def relevant_facts(p: ProgrammeIn) -> dict[str, Any]:
    rules = p.rules.model_dump(mode="json")
    return {
        "deadlines": [d.model_dump(mode="json") for d in p.deadlines],
        "amounts": {k: rules.get(k) for k in AMOUNT_RULES},
        "eligibility": {**{k: rules.get(k) for k in ELIGIBILITY_RULES}, "states": list(p.states)},
        "status": {"paused": p.paused},
    }


def fingerprint(programme_id: str, kind: str, content: Any) -> str:
    canonical = json.dumps([programme_id, kind, content], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def closing_date(deadline: dict[str, Any] | None) -> dt.date | None:
    """The last day a match's next deadline can be met (None: open-ended or unknown)."""
    if not deadline:
        return None
    d = Deadline.model_validate(deadline)
    return d.end if d.kind in ("window", "rolling") else d.date


def suppressed_by_feedback(feedback: Iterable[tuple[str, str]]) -> set[str]:
    """Programmes whose latest feedback (pairs oldest first) is "passt nicht"."""
    latest: dict[str, str] = {}
    for programme_id, value in feedback:
        latest[programme_id] = value
    return {pid for pid, value in latest.items() if value == "passt_nicht"}


def keep(match: dict[str, Any], p: ProgrammeIn, filters: Filters) -> bool:
    if filters.min_score is not None and match["score"] < filters.min_score:
        return False
    if filters.only_eligible and match["eligibility"]["verdict"] != "eligible":
        return False
    text = " ".join([p.title, p.short_name or "", p.funder, p.summary, *p.themes]).lower()
    return not any(w.strip() and w.strip().lower() in text for w in filters.exclude_words)


def describe(aspect: str, p: ProgrammeIn, back: bool = False) -> dict[str, str]:
    """The new state of one aspect, in words (German, as the catalogue)."""
    if aspect == "deadlines":
        value = "; ".join(_deadline_text(d) for d in p.deadlines) or "keine Frist angegeben"
    elif aspect == "amounts":
        value = _amount_text(p) or "keine Angaben"
    elif aspect == "eligibility":
        types = ", ".join(p.rules.applicant_types or []) or "nicht angegeben"
        value = f"Antragsberechtigt: {types}"
    else:
        value = "pausiert" if p.paused else ("wieder veröffentlicht" if back else "wieder geöffnet")
    return {"aspect": aspect, "value": value}


def _deadline_text(d: Deadline) -> str:
    label = {"interest": "Projektskizze", "application": "Antrag", "window": "Fenster", "rolling": "laufend"}[d.kind]
    dates = [x.strftime("%d.%m.%Y") for x in (d.date, d.end) if x]
    return f"{label} {'–'.join(dates)}".strip()


def _amount_text(p: ProgrammeIn) -> str:
    r, parts = p.rules, []
    if r.funding_rate is not None:
        parts.append(f"Förderquote bis {format_pct(r.funding_rate)}")
    if r.grant_min_eur is not None:
        parts.append(f"ab {format_eur(r.grant_min_eur)}")
    if r.grant_max_eur is not None:
        parts.append(f"bis {format_eur(r.grant_max_eur)}")
    if r.financing_type:
        parts.append(r.financing_type)
    return ", ".join(parts)


def _item(kind: str, m: dict[str, Any], p: ProgrammeIn, fp: str, today: dt.date) -> Item:
    closes = closing_date(m.get("next_deadline"))
    return Item(
        kind=kind, programme_id=p.id, title=m["title"], url=m["url"], funder=p.funder,
        verdict=m["eligibility"]["verdict"], status=m["status"], score=m["score"],
        own_contribution=m.get("own_contribution") or {}, deadline=m.get("next_deadline"),
        deadline_date=closes.isoformat() if closes else None,
        days_left=(closes - today).days if closes else None, fingerprint=fp,
    )


def last_reports(sent: Sequence[Sent]) -> dict[str, Sent]:
    """Per programme, the last new/changed item the subscriber was given (the state they know)."""
    return {x.programme_id: x for x in sent if x.kind in ("new", "changed")}


def _news(m: dict[str, Any], p: ProgrammeIn, events: list[Event], last: Sent | None, first: bool,
          today: dt.date) -> Item | None:
    """A new or changed item for one matched programme, or None if the subscriber knows its current state."""
    facts = relevant_facts(p)
    arrived = first or any(e.kind in ("new", "back") for e in events)
    aspects = {a for e in events if e.kind == "changed" for f in e.fields if (a := aspect_of(f))}
    if last is None:
        if not (arrived or aspects):
            return None
        kind = "new" if arrived else "changed"
    else:
        if not (arrived or aspects) or last.fingerprint == fingerprint(p.id, last.kind, facts):
            return None
        kind = "changed"
        aspects = aspects or {"status"}
    item = _item(kind, m, p, fingerprint(p.id, kind, facts), today)
    back = any(e.kind == "back" for e in events)
    item.changes = [describe(a, p, back) for a in ASPECTS if a in aspects] if kind == "changed" else []
    return item


def _reminder(m: dict[str, Any], p: ProgrammeIn, steps: Sequence[int], sent_fps: set[str],
              today: dt.date) -> tuple[str, int] | None:
    """The tightest reminder step the next deadline has reached and that was not sent yet: (fingerprint, days)."""
    closes = closing_date(m.get("next_deadline"))
    if closes is None or closes < today:
        return None
    days = (closes - today).days
    due = [n for n in steps if days <= n]
    if not due:
        return None
    fp = fingerprint(p.id, "deadline_reminder", [closes.isoformat(), min(due)])
    return None if fp in sent_fps else (fp, days)


def build_digest(*, matches: Sequence[dict[str, Any]], programmes: dict[str, ProgrammeIn], events: Iterable[Event],
                 sent: Sequence[Sent], suppressed: set[str], filters: Filters, today: dt.date,
                 reminder_days: Sequence[int] = (14, 3), first: bool = False) -> Digest | None:
    """The digest for one subscriber, or None when there is nothing to tell."""
    by_programme: dict[str, list[Event]] = {}
    for e in events:
        by_programme.setdefault(e.programme_id, []).append(e)
    sent_fps = {x.fingerprint for x in sent}
    told = last_reports(sent)
    news: list[Item] = []
    reminders: list[Item] = []
    records: list[tuple[str, str, str]] = []
    for m in matches:
        p = programmes.get(m["programme_id"])
        if p is None or p.id in suppressed or not keep(m, p, filters):
            continue
        item = _news(m, p, by_programme.get(p.id, []), told.get(p.id), first, today)
        reminder = _reminder(m, p, reminder_days, sent_fps, today)
        if item is not None:
            news.append(item)
            records.append((p.id, item.kind, item.fingerprint))
        if reminder is not None:
            records.append((p.id, "deadline_reminder", reminder[0]))
            if item is None:  # otherwise the item itself shows the deadline and the days left
                reminders.append(_item("deadline_reminder", m, p, reminder[0], today))
    items = [i for i in news if i.kind == "new"] + [i for i in news if i.kind == "changed"] + reminders
    return Digest(items, records) if items else None
