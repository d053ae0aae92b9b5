"""iCalendar (RFC 5545) written by hand: one all-day event per dated deadline, stable UIDs so clients update."""

from __future__ import annotations

import datetime as dt

from api.exports.deadlines import DatedDeadline

PRODID = "-//foerdermatch//Foerderfristen//DE"
NOTICE = "Angaben ohne Gewähr – maßgeblich ist der Aufruf des Fördergebers."


def escape(text: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _event(x: DatedDeadline, *, stamp: str, base_url: str) -> list[str]:
    p, d = x.programme, x.deadline
    details = [p.funder, f"{x.label} am {x.due:%d.%m.%Y}."]
    if d.kind == "window" and d.date:
        details.append(f"Einreichung ab {d.date:%d.%m.%Y}.")
    if d.note:
        details.append(d.note)
    if p.paused:
        details.append("Achtung: Die Förderung ist derzeit ausgesetzt.")
    details += [f"Aufruf: {p.url}", NOTICE]
    return [
        "BEGIN:VEVENT", f"UID:{p.id}-{d.kind}-{x.due:%Y%m%d}@foerdermatch", f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{x.due:%Y%m%d}", f"DTEND;VALUE=DATE:{x.due + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(f'{x.label}: {p.title}')}", f"DESCRIPTION:{escape(chr(10).join(details))}",
        f"URL:{base_url.rstrip('/')}/programme/{p.id}", "TRANSP:TRANSPARENT", "END:VEVENT",
    ]


def to_ics(events: list[DatedDeadline], *, name: str, base_url: str, now: dt.datetime | None = None) -> bytes:
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}"]
    for x in events:
        lines += _event(x, stamp=stamp, base_url=base_url)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
