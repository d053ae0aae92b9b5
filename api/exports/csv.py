"""CSV export: one row per programme, semicolon-separated UTF-8 with BOM, as German Excel opens it."""

from __future__ import annotations

import csv
import io

from api.exports.content import Entry, Report, deadline_text, level_text, sources, status_text, verdict_text

MATCH_HEADS = ["Rang"]
CASE_HEADS = ["Status in der Auswahl", "Notiz"]
HEADS = [
    "Programm", "Kennung", "Fördergeber", "Ebene", "Förderfähigkeit", "Offene oder fehlende Punkte", "Status",
    "Nächste Frist", "Zuwendungsfähige Ausgaben (EUR)", "Zuschuss (EUR)", "Eigenanteil (EUR)", "Förderquote (%)",
    "Auf den Eigenanteil anrechenbar", "Stand", "Quelle",
]
# Excel runs cells starting with these as formulas; programme texts come from crawled pages.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def number(value: float | None) -> str:
    """A German decimal without thousands separators, which Excel reads as a number: 108000,5."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def text(value: str | None) -> str:
    value = " ".join((value or "").split())
    return "'" + value if value.startswith(FORMULA_START) else value


def _row(report: Report, e: Entry) -> list[str]:
    c, p = e.contribution, e.programme
    open_points = " | ".join(ch["reason"] for ch in e.checks if ch["verdict"] != "eligible")
    rate = None if c.get("rate") is None else c["rate"] * 100
    stand = p.as_of.strftime("%d.%m.%Y") if p.as_of else ""
    row = [text(p.title), p.id, text(p.funder), level_text(p.level), verdict_text(e.verdict), text(open_points),
           status_text(e), deadline_text(e.deadline), number(c.get("eligible_costs_eur")), number(c.get("grant_eur")),
           number(c.get("own_eur")), number(rate), text(e.own_funds), stand, sources(e)[0]]
    if report.kind == "case":
        return row + [e.item_status or "", text(e.item_note)]
    return [str(e.rank or "")] + row


def to_csv(report: Report) -> bytes:
    heads = HEADS + CASE_HEADS if report.kind == "case" else MATCH_HEADS + HEADS
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(heads)
    writer.writerows(_row(report, e) for e in report.entries)
    return out.getvalue().encode("utf-8-sig")
