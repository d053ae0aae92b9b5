"""The report as one self-contained, printable HTML page (print stylesheet inline, no assets to load)."""

from __future__ import annotations

from typing import Any

from api.exports import content
from api.routes.desk import templates

HELPERS: dict[str, Any] = {
    "de_date": content.de_date, "eur": content.eur, "pct": content.pct, "deadline_text": content.deadline_text,
    "status_text": content.status_text, "verdict_text": content.verdict_text, "level_text": content.level_text,
    "criterion_text": content.criterion_text, "profile_facts": content.profile_facts, "sources": content.sources,
    "disclaimer": content.DISCLAIMER,
}


def to_html(report: content.Report, *, back_url: str | None = None) -> str:
    return templates.get_template("report.html").render(r=report, back_url=back_url, **HELPERS)
