"""The own contribution (Eigenanteil): grant, own share, which money counts, and co-funding hints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from catalog.schema import OwnFundKind, ProgrammeIn, Rules
from matcher.eligibility import (
    applied_rate,
    capped,
    format_eur,
    format_pct,
    is_lump_sum,
    join_de,
    partner_fits,
    raw_grant,
)
from matcher.profile import Profile

OWN_FUND_LABELS_DE: dict[OwnFundKind, str] = {
    "cash": "Eigenmittel",
    "third_party": "Drittmittel",
    "land_cofunding": "Landesmittel",
    "in_kind": "unbare Eigenleistungen",
}
# An adviser looks for co-funding when the own share reaches either mark.
LARGE_SHARE, LARGE_AMOUNT_EUR = 0.2, 25_000
COFUNDING_LEVELS = ("land", "stiftung")
MAX_COFUNDING = 3


@dataclass(frozen=True)
class OwnContribution:
    eligible_costs_eur: float | None
    grant_eur: float | None
    own_eur: float | None
    rate: float | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def own_funds_note(rules: Rules) -> str:
    """Which kinds of money may count towards the Eigenanteil, as the programme states it."""
    groups = {True: "Auf den Eigenanteil anrechenbar", False: "Nicht anrechenbar", None: "Nicht angegeben"}
    sentences = []
    for stated, heading in groups.items():
        kinds = [label for k, label in OWN_FUND_LABELS_DE.items() if rules.own_funds.get(k) is stated]
        if kinds:
            sentences.append(f"{heading}: {join_de(kinds)}.")
    return " ".join(sentences)


def _admin_note(rules: Rules, costs: float | None) -> str:
    """Assumption: the entered budget holds the project costs; the admin flat rate comes on top."""
    if rules.admin_flat_rate is None:
        return ""
    amount = f" (hier bis zu {format_eur(rules.admin_flat_rate * costs)})" if costs else ""
    return (
        f"Zusätzlich gibt es eine Verwaltungskostenpauschale von bis zu {format_pct(rules.admin_flat_rate)}"
        f"{amount}; wir nehmen an, dass sie zu Ihrem Budget hinzukommt, sie ist hier nicht eingerechnet."
    )


def _missing_note(rules: Rules, costs: float | None) -> str:
    """Why no grant can be computed, and what to enter or ask."""
    if is_lump_sum(rules):
        per_head = format_eur(rules.lump_sum_per_participant_eur or 0)
        return f"Gefördert wird eine Pauschale von {per_head} je Person: Bitte die Teilnehmendenzahl angeben."
    if costs is None:
        return "Bitte das geplante Gesamtbudget (zuwendungsfähige Ausgaben) angeben, dann rechnen wir nach."
    return "Die Förderquote ist nicht erfasst; Zuschuss und Eigenanteil bitte beim Fördergeber erfragen."


def _amount_note(rules: Rules, raw: float, grant: float, profile: Profile) -> str:
    if is_lump_sum(rules):
        per_head = format_eur(rules.lump_sum_per_participant_eur or 0)
        text = f"Pauschale: {profile.project.participants} Personen × {per_head} = {format_eur(raw)}."
    else:
        costs = format_eur(profile.project.budget_eur or 0)
        text = f"Zuschuss: {format_pct(applied_rate(rules) or 0)} von {costs} = {format_eur(raw)}."
    if rules.financing_type == "Fehlbedarfsfinanzierung":
        text += " Fehlbedarfsfinanzierung: gerechnet mit dem Höchstsatz, der Zuschuss deckt nur die Lücke."
    if grant < raw:
        text += f" Begrenzt auf den Höchstbetrag von {format_eur(grant)} (rechnerisch {format_eur(raw)})."
    if rules.grant_min_eur is not None and grant < rules.grant_min_eur:
        minimum = format_eur(rules.grant_min_eur)
        text += f" Das liegt unter dem Mindestbetrag von {minimum}: In dieser Größe nicht förderfähig."
    return text


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def own_contribution(profile: Profile, programme: ProgrammeIn) -> OwnContribution:
    """Own share = eligible costs − grant, where grant = min(rate × costs, maximum) or a lump sum."""
    r, costs = programme.rules, profile.project.budget_eur
    if r.no_grant:
        note = "Kein Zuschuss (Beratungs- bzw. Netzwerkangebot), daher kein Eigenanteil zu berechnen."
        return OwnContribution(costs, 0.0, None, None, note)
    rate = None if is_lump_sum(r) else applied_rate(r)
    raw = raw_grant(r, costs, profile.project.participants)
    if raw is None:
        return OwnContribution(costs, None, None, rate, _join(_missing_note(r, costs), own_funds_note(r)))
    grant = capped(raw, r)
    own = None if costs is None else round(max(costs - grant, 0.0), 2)
    share = f"Eigenanteil: {format_eur(own)}." if own is not None else "Für den Eigenanteil Budget angeben."
    note = _join(_amount_note(r, raw, grant, profile), share, _admin_note(r, costs), own_funds_note(r))
    return OwnContribution(costs, grant, own, rate, note)


def _large(oc: OwnContribution) -> bool:
    if oc.own_eur is None or not oc.eligible_costs_eur:
        return False
    return oc.own_eur >= LARGE_AMOUNT_EUR or oc.own_eur / oc.eligible_costs_eur >= LARGE_SHARE


def fits_cofunding(profile: Profile, candidate: ProgrammeIn) -> bool:
    r = candidate.rules
    return (
        candidate.level in COFUNDING_LEVELS
        and not r.no_grant
        and profile.applicant.type in (r.applicant_types or [])
        and partner_fits(r.partner_rule, profile.partner_countries()) is True
    )


def cofunding_candidates(profile: Profile, programme: ProgrammeIn, catalogue: Iterable[ProgrammeIn]) -> list[str]:
    """Land or foundation programmes that could carry a large own share (Kumulierung), at most three."""
    funds = programme.rules.own_funds
    if not (funds.get("land_cofunding") or funds.get("third_party")):
        return []
    if not _large(own_contribution(profile, programme)):
        return []
    return [c.id for c in catalogue if c.id != programme.id and fits_cofunding(profile, c)][:MAX_COFUNDING]
