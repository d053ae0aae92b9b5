"""Feeds at secret token URLs: Atom from the published digest items, iCalendar from the current deadlines.

The render functions are pure; ``atom_for`` and ``ical_for`` gather their inputs for the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from sqlmodel import Session, col, select

from catalog.schema import ProgrammeIn
from catalog.status import upcoming
from config.settings import Settings
from matcher.eligibility import format_eur
from matcher.profile import Profile
from matcher.runtime import MatchRuntime
from matcher.service import MatchOptions
from newsletter import links, render
from newsletter.digest import Filters, keep, local_today, suppressed_by_feedback
from newsletter.models import Feedback, OutboxMessage, Subscription

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG = "tag:foerdermatch,2026:subscription"
ICAL_STAGE = {"interest": "Projektskizze/Interessenbekundung", "application": "Antragsfrist",
              "window": "Fristende", "rolling": "Antragsende"}


def _summary_text(t: dict[str, Any], item: dict[str, Any]) -> str:
    own = item.get("own_contribution", {}).get("own_eur")
    lines = [f"{t['aspects'][c['aspect']]}: {c['value']}" for c in item.get("changes", [])]
    lines.append(f"{t['verdict']}: {t['verdicts'].get(item['verdict'], item['verdict'])}")
    lines.append(f"{t['own']}: {format_eur(own) if own is not None else t['unknown_own']}")
    if item.get("deadline_date"):
        lines.append(f"{t['deadline']}: {dt.date.fromisoformat(item['deadline_date']).strftime('%d.%m.%Y')}")
    lines.append(f"{t['feedback']}: {t['fits']} {item['fits_url']} | {t['fits_not']} {item['fits_not_url']}")
    return "\n".join(lines)


def render_atom(settings: Settings, *, subscription_id: int, token: str, language: str,
                entries: Sequence[tuple[dt.datetime, dict[str, Any]]]) -> bytes:
    """One Atom entry per digest item, newest first; entry ids are the items' fingerprints, so readers dedupe."""
    t = render.texts(language)
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"{TAG}/{subscription_id}")
    _sub(feed, "title", "foerdermatch – Förderprogramme für Ihr Projekt")
    updated = max((created for created, _ in entries), default=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    _sub(feed, "updated", updated.isoformat())
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=links.feed_url(settings, token, "atom"))
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _sub(author, "name", "foerdermatch")
    for created, item in sorted(entries, key=lambda e: e[0], reverse=True):
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        _sub(entry, "id", f"{TAG}/{subscription_id}/{item['fingerprint'][:40]}")
        _sub(entry, "title", f"{t['kinds'][item['kind']]}: {item['title']}")
        _sub(entry, "updated", created.isoformat())
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=item["url"])
        _sub(entry, "summary", _summary_text(t, item))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _sub(parent: ET.Element, name: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    el.text = text
    return el


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines of at most 75 octets, continued with CRLF and a space (never inside a character)."""
    out: list[bytes] = []
    current = b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return "\r\n ".join(part.decode() for part in out)


def _event(uid: str, day: dt.date, summary: str, description: str, url: str, stamp: dt.datetime,
           alarm_days: Sequence[int]) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
             f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
             f"SUMMARY:{_escape(summary)}", f"DESCRIPTION:{_escape(description)}", f"URL:{url}",
             "TRANSP:TRANSPARENT"]
    for n in sorted(set(alarm_days), reverse=True):
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_escape(summary)}", f"TRIGGER:-P{n}D",
                  "END:VALARM"]
    return lines + ["END:VEVENT"]


def render_ical(*, subscription_id: int, matches: Sequence[dict[str, Any]], programmes: dict[str, ProgrammeIn],
                today: dt.date, now: dt.datetime, alarm_days: Sequence[int] = (14, 3)) -> str:
    """One all-day event per upcoming deadline of each match; the stages of a two-stage call are separate."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//foerdermatch//Newsletter//DE", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:foerdermatch – Fristen"]
    for m in matches:
        p = programmes.get(m["programme_id"])
        if p is None:
            continue
        own = (m.get("own_contribution") or {}).get("own_eur")
        description = (f"{p.title}\nFörderfähigkeit: {m['eligibility']['verdict']}\n"
                       f"Eigenanteil: {format_eur(own) if own is not None else 'nicht berechenbar'}\n{p.url}")
        for d in upcoming(p.deadlines, today):
            day = d.end if d.kind in ("window", "rolling") else d.date
            if day is None:
                continue
            uid = f"{subscription_id}-{p.id}-{d.kind}-{day:%Y%m%d}@foerdermatch"
            summary = f"{ICAL_STAGE[d.kind]}: {p.short_name or p.title}"
            lines += _event(uid, day, summary, description + (f"\n{d.note}" if d.note else ""), p.url, now,
                            alarm_days)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def atom_for(s: Session, settings: Settings, sub: Subscription, *, limit: int = 200) -> bytes:
    rows = s.exec(select(OutboxMessage).where(OutboxMessage.subscription_id == sub.id, OutboxMessage.kind == "digest",
                                              OutboxMessage.status == "sent")
                  .order_by(col(OutboxMessage.id).desc()).limit(limit))
    entries = [(m.created_at, item) for m in rows for item in m.payload.get("items", [])]
    return render_atom(settings, subscription_id=sub.id or 0, token=sub.token, language=sub.language,
                       entries=entries)


def ical_for(s: Session, runtime: MatchRuntime, settings: Settings, sub: Subscription, *, now: dt.datetime) -> str:
    """The subscriber's matches as of now, with their filters and "passt nicht" feedback applied."""
    today = local_today(now)
    options = MatchOptions(top=settings.newsletter_top, only_eligible=sub.only_eligible, today=today)
    matches = runtime.match(Profile.model_validate(sub.profile), options)["matches"]
    programmes = {p.id: p for p in runtime.index().programmes}
    hidden = suppressed_by_feedback(s.exec(select(Feedback.programme_id, Feedback.value)
                                           .where(Feedback.subscription_id == sub.id).order_by(col(Feedback.id))))
    filters = Filters(sub.min_score, sub.only_eligible, tuple(sub.exclude_words))
    kept = [m for m in matches if m["programme_id"] in programmes and m["programme_id"] not in hidden
            and keep(m, programmes[m["programme_id"]], filters)]
    return render_ical(subscription_id=sub.id or 0, matches=kept, programmes=programmes, today=today, now=now,
                       alarm_days=settings.newsletter_reminder_days)
