"""What every report shows, built once from a match result or a case's shortlist, with its German wording."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from api.models import Case, ShortlistItem
from api.routes.desk import APPLICANT_DE, LEVEL_DE, STATUS_DE, VERDICT_DE, is_web_url
from catalog import store
from catalog.schema import Deadline, ProgrammeIn
from catalog.status import next_deadline, status
from config.countries import german_name
from matcher.contribution import own_contribution, own_funds_note
from matcher.eligibility import RuleContext, assess
from matcher.profile import Profile

KIND_DE = {"interest": "Interessenbekundung / Projektskizze", "application": "Antragsfrist",
           "window": "Einreichungszeitraum", "rolling": "laufende Antragstellung"}
CRITERION_DE = {
    "applicant_type": "Antragsteller", "applicant_state": "Bundesland", "partner_country": "Partnerland",
    "partner_count": "Partner und Länder", "budget": "Budget und Fördersumme", "duration": "Laufzeit",
    "deadline": "Frist", "no_grant": "Art der Förderung",
}
DISCLAIMER = (
    "Dieser Bericht wurde von foerdermatch aus den öffentlich zugänglichen Angaben der Fördergeber erstellt und "
    "ersetzt keine Beratung. Angaben ohne Gewähr: maßgeblich sind die Förderrichtlinie und der Aufruf des "
    "Fördergebers in der jeweils gültigen Fassung. Zuschuss und Eigenanteil sind Schätzungen auf Grundlage der "
    "angegebenen Kosten; jede Angabe nennt ihre Quelle und ihren Stand."
)


@dataclass
class Entry:
    """One programme in a report: facts, verdict with checks, Eigenanteil, and (for a case) the desk's status."""

    programme: ProgrammeIn
    status: str
    deadline: Deadline | None
    verdict: str
    checks: list[dict[str, Any]]
    contribution: dict[str, Any]
    rank: int | None = None
    item_status: str | None = None
    item_note: str | None = None

    @property
    def own_funds(self) -> str:
        return own_funds_note(self.programme.rules) or "Nicht angegeben."

    @property
    def calculation(self) -> str:
        """The matcher's note on the arithmetic, without the own-funds sentences shown under "Was zählt"."""
        note = self.contribution.get("note") or ""
        return " ".join(note.replace(own_funds_note(self.programme.rules), "").split())


@dataclass
class Report:
    title: str
    created: dt.date
    profile: Profile
    entries: list[Entry] = field(default_factory=list)
    kind: str = "match"  # match | case
    case_notes: str | None = None


def from_match(s: Session, profile: Profile, result: dict[str, Any], today: dt.date) -> Report:
    """The ranked matches, with the verdicts and Eigenanteil the matcher computed."""
    entries = []
    for m in result["matches"]:
        found = store.get_programme(s, m["programme_id"])
        if found is None:  # removed between matching and reading: leave it out rather than guess
            continue
        p = found[1]
        entries.append(Entry(p, status(p, today), next_deadline(p, today), m["eligibility"]["verdict"],
                             m["eligibility"]["checks"], m["own_contribution"], rank=m["rank"]))
    who = profile.applicant.name or APPLICANT_DE.get(profile.applicant.type, profile.applicant.type)
    return Report(f"Förderbericht für {who}", today, profile, entries)


def from_case(s: Session, case: Case, items: list[ShortlistItem], *, today: dt.date,
              preparation_days: int) -> Report:
    """The shortlist of a case, judged now against the case's profile."""
    profile = Profile.model_validate(case.profile)
    ctx = RuleContext(today=today, preparation_days=preparation_days)
    entries = []
    for item in items:
        found = store.get_programme(s, item.programme_id)
        if found is None:
            continue
        p = found[1]
        verdict = assess(profile, p, ctx)
        entries.append(Entry(p, status(p, today), next_deadline(p, today), verdict.verdict,
                             [c.as_dict() for c in verdict.checks], own_contribution(profile, p).as_dict(),
                             item_status=item.status, item_note=item.note))
    return Report(f"Förderbericht: {case.municipality} (Fall {case.id})", today, profile, entries, "case",
                  case.notes)


# --- German wording shared by the formats -----------------------------------------------------------------------


def de_date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "–"


def eur(amount: float | None) -> str:
    return "–" if amount is None else f"{amount:,.0f}".replace(",", ".") + " €"


def pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " %"


def deadline_text(d: Deadline | None) -> str:
    if d is None:
        return "keine Frist bekannt"
    if d.kind == "rolling":
        return KIND_DE["rolling"] + (f" bis {de_date(d.end)}" if d.end else "")
    if d.kind == "window":
        return f"{KIND_DE['window']} {de_date(d.date)} bis {de_date(d.end)}"
    return f"{KIND_DE[d.kind]} bis {de_date(d.date)}"


def status_text(e: Entry) -> str:
    text = STATUS_DE.get(e.status, e.status)
    if e.status == "closed" and e.programme.rhythm:
        text += f", nächste Ausschreibung erwartet ({e.programme.rhythm})"
    return text


def verdict_text(verdict: str) -> str:
    return VERDICT_DE.get(verdict, verdict)


def criterion_text(criterion: str) -> str:
    return "Besondere Bedingung" if criterion.startswith("special_rule:") else CRITERION_DE.get(criterion, criterion)


def level_text(level: str) -> str:
    return LEVEL_DE.get(level, level)


def profile_facts(profile: Profile) -> list[tuple[str, str]]:
    """The profile as label/value lines, as a council paper would list it."""
    a, pr = profile.applicant, profile.project
    countries = ", ".join(german_name(c) for c in profile.partner_countries()) or "nicht angegeben"
    facts = [("Antragsteller", APPLICANT_DE.get(a.type, a.type) + (f" – {a.name}" if a.name else "")),
             ("Bundesland", a.state or "nicht angegeben"), ("Partnerland", countries), ("Projektidee", pr.idea),
             ("Gesamtbudget", eur(pr.budget_eur) if pr.budget_eur else "nicht angegeben")]
    if pr.duration_months:
        facts.append(("Laufzeit", f"{pr.duration_months} Monate"))
    if pr.participants:
        facts.append(("Teilnehmende", str(pr.participants)))
    return facts


def sources(e: Entry) -> list[str]:
    """The programme's source pages, its main page first, each once."""
    urls = [e.programme.url, *e.programme.source_urls]
    return list(dict.fromkeys(u for u in urls if is_web_url(u)))
