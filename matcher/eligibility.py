"""Eligibility verdicts: pure rule functions that judge one programme for one profile, with evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from catalog.schema import Deadline, PartnerRule, ProgrammeIn, Rules
from catalog.status import upcoming
from config.countries import LIST_LABELS_DE, LIST_YEARS, country_list, german_name
from matcher.profile import Profile

Verdict = Literal["eligible", "ineligible", "unclear"]

# The applicant's own country: min_countries counts it (CERV Networks of Towns counts the lead's country).
HOME = "DE"

APPLICANT_LABELS_DE = {
    "kommune": "Kommunen",
    "landkreis": "Landkreise",
    "kommunaler_spitzenverband": "kommunale Spitzenverbände",
    "kommunales_unternehmen": "kommunale Unternehmen",
    "verein": "Vereine",
    "schule": "Schulen",
    "hochschule": "Hochschulen",
    "ngo": "Nichtregierungsorganisationen",
    "kirche": "Kirchen und kirchliche Träger",
    "stiftung": "Stiftungen",
    "unternehmen": "Unternehmen",
    "privatperson": "Privatpersonen",
}


@dataclass(frozen=True)
class RuleContext:
    today: dt.date
    preparation_days: int  # a deadline closer than this cannot be met with a fresh application


@dataclass(frozen=True)
class Check:
    criterion: str
    verdict: Verdict
    reason: str
    evidence: str | None = None
    source_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Eligibility:
    verdict: Verdict
    checks: tuple[Check, ...]


# --- German wording and grant arithmetic, shared with matcher.contribution ----------------------


def join_de(items: list[str], last: str = "und") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def format_eur(amount: float) -> str:
    return f"{amount:,.0f}".replace(",", ".") + " Euro"


def format_pct(rate: float) -> str:
    return f"{rate * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " %"


def applied_rate(rules: Rules) -> float | None:
    """The share of eligible costs the funder pays; Vollfinanzierung without a stated rate is 100 %."""
    if rules.funding_rate is None and rules.financing_type == "Vollfinanzierung":
        return 1.0
    return rules.funding_rate


def is_lump_sum(rules: Rules) -> bool:
    lump_types = ("Festbetrag", "Pauschale")
    return rules.lump_sum_per_participant_eur is not None and rules.financing_type in lump_types


def raw_grant(rules: Rules, costs: float | None, participants: int | None) -> float | None:
    """The grant before the maximum applies: lump sum × participants, or rate × eligible costs."""
    if is_lump_sum(rules):
        per_head = rules.lump_sum_per_participant_eur or 0.0
        return None if participants is None else round(per_head * participants, 2)
    rate = applied_rate(rules)
    return None if rate is None or costs is None else round(rate * costs, 2)


def capped(amount: float, rules: Rules) -> float:
    return amount if rules.grant_max_eur is None else min(amount, rules.grant_max_eur)


def _check(p: ProgrammeIn, name: str, verdict: Verdict, reason: str, field: str, fact: str | None) -> Check:
    """A Check quoting the programme's evidence for ``field`` when a source gave one, else ``fact``."""
    ev = p.evidence.get(field)
    return Check(name, verdict, reason, ev.quote if ev else fact, (ev.url if ev else None) or p.url)


# --- applicant --------------------------------------------------------------------------------


def applicant_type(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check:
    allowed, mine = p.rules.applicant_types, APPLICANT_LABELS_DE[profile.applicant.type]
    if not allowed:
        reason = f"Antragsberechtigte sind nicht erfasst. Bitte prüfen, ob {mine} Anträge stellen dürfen."
        return _check(p, "applicant_type", "unclear", reason, "applicant_types", None)
    names = join_de([APPLICANT_LABELS_DE[t] for t in allowed])
    fact = f"Antragsberechtigt: {names}"
    if profile.applicant.type in allowed:
        reason = f"{mine} sind antragsberechtigt."
        return _check(p, "applicant_type", "eligible", reason, "applicant_types", fact)
    reason = f"Antragsberechtigt sind nur {names}; {mine} können hier keinen Antrag stellen."
    return _check(p, "applicant_type", "ineligible", reason, "applicant_types", fact)


STATE_NAMES_DE = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg", "HB": "Bremen", "HH": "Hamburg",
    "HE": "Hessen", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz", "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}


def applicant_state(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check | None:
    """Land programmes and regional funds serve applicants from their Länder only."""
    if not p.states:
        return None
    names = join_de([STATE_NAMES_DE[s] for s in p.states], "oder")
    fact = f"Antragsteller aus {names}"
    mine = profile.applicant.state
    if mine is None:
        reason = f"Das Programm richtet sich an Antragsteller aus {names}. Bitte Ihr Bundesland angeben."
        return _check(p, "applicant_state", "unclear", reason, "states", fact)
    if mine in p.states:
        reason = f"Antragsteller aus {STATE_NAMES_DE[mine]} sind hier richtig."
        return _check(p, "applicant_state", "eligible", reason, "states", fact)
    reason = f"Das Programm fördert nur Antragsteller aus {names}, nicht aus {STATE_NAMES_DE[mine]}."
    return _check(p, "applicant_state", "ineligible", reason, "states", fact)


# --- partners ---------------------------------------------------------------------------------


def accepts(rule: PartnerRule, code: str) -> bool:
    """Whether a partner from this country qualifies; no lists and no countries means any country."""
    if code in rule.excluded:
        return False
    if not rule.lists and not rule.countries:
        return True
    return code in rule.countries or any(code in country_list(name) for name in rule.lists)


def allowed_text(rule: PartnerRule) -> str:
    """The accepted partner countries in German, each named list with its year."""
    parts = [f"{LIST_LABELS_DE[n]}, Stand {rule.list_year or LIST_YEARS[n]}" for n in rule.lists]
    parts += [german_name(c) for c in rule.countries]
    text = " oder ".join(parts) if parts else "alle Länder"
    if rule.excluded:
        text += f", ausgenommen {join_de([german_name(c) for c in rule.excluded])}"
    return text


def partner_fits(rule: PartnerRule | None, countries: list[str]) -> bool | None:
    """True when a partner country qualifies (or none is needed), False when none can, None if unknown."""
    if rule is None:
        return None
    if countries:
        return any(accepts(rule, c) for c in countries)
    return None if rule.required is None else not rule.required


def _no_partner(p: ProgrammeIn, rule: PartnerRule, fact: str) -> Check:
    verdict: Verdict = "unclear"
    reason = "Im Profil ist kein Partner angegeben. Ob einer nötig ist, ist nicht erfasst: bitte nachfragen."
    if rule.required:
        verdict = "ineligible"
        reason = f"Das Programm verlangt einen Partner; im Profil ist keiner angegeben. Zugelassen: {fact}."
    elif rule.required is False:
        verdict, reason = "eligible", "Ein Partner im Ausland ist nicht erforderlich."
    return _check(p, "partner_country", verdict, reason, "partner_rule", rule.note or fact)


def _no_fit(p: ProgrammeIn, rule: PartnerRule, misfits: list[str], unknown: int) -> Check:
    """No named partner country qualifies: ineligible unless a country is missing or no partner is needed."""
    fact = allowed_text(rule)
    verdict: Verdict = "ineligible"
    reason = f"Zugelassen sind nur: {fact}."
    if misfits:
        reason = f"{join_de([german_name(c) for c in misfits])}: kein zugelassenes Partnerland. {reason}"
    if unknown:
        verdict = "unclear"
        reason += " Bitte das Land jedes Partners angeben."
    elif rule.required is False:
        verdict = "unclear"
        reason += " Ein Partner ist aber nicht Pflicht: Bitte klären, ob das Vorhaben so förderfähig ist."
    return _check(p, "partner_country", verdict, reason, "partner_rule", rule.note or fact)


def partner_country(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check:
    rule = p.rules.partner_rule
    if rule is None:
        reason = "Welche Partnerländer zugelassen sind, ist nicht erfasst. Bitte in der Ausschreibung prüfen."
        return _check(p, "partner_country", "unclear", reason, "partner_rule", None)
    if not profile.partners:
        return _no_partner(p, rule, allowed_text(rule))
    codes = profile.partner_countries()
    fits = [c for c in codes if accepts(rule, c)]
    misfits = [c for c in codes if c not in fits]
    if not fits:
        return _no_fit(p, rule, misfits, sum(1 for x in profile.partners if x.country is None))
    fact = allowed_text(rule)
    reason = f"{join_de([german_name(c) for c in fits])}: zugelassenes Partnerland. Zugelassen: {fact}."
    reason += f" Nicht zugelassen: {join_de([german_name(c) for c in misfits])}." if misfits else ""
    return _check(p, "partner_country", "eligible", reason, "partner_rule", rule.note or fact)


def partner_count(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check | None:
    """min_partners counts partners besides the applicant; min_countries counts Germany too.

    Only checked where the programme states a minimum: the partner requirement itself is the
    partner_country check, and there is nothing useful to ask a coordinator about a rule we lack."""
    r, field = p.rules, "min_countries" if p.rules.min_countries else "min_partners"
    if r.min_partners is None and r.min_countries is None:
        return None
    partners, countries = len(profile.partners), len({HOME, *profile.partner_countries()})
    unknown = sum(1 for x in profile.partners if x.country is None)
    need = [f"mindestens {r.min_partners} Partner"] if r.min_partners is not None else []
    need += [f"mindestens {r.min_countries} Länder (mit Deutschland)"] if r.min_countries else []
    fact = f"Verlangt: {join_de(need)}"
    lands = "1 Land" if countries == 1 else f"{countries} Länder"
    reason = f"{fact}. Im Profil: {partners} Partner, {lands} mit Deutschland."
    if (r.min_partners or 0) > partners or (r.min_countries or 0) > countries + unknown:
        return _check(p, "partner_count", "ineligible", reason, field, fact)
    if (r.min_countries or 0) > countries:
        reason += " Bitte die Länder aller Partner angeben."
        return _check(p, "partner_count", "unclear", reason, field, fact)
    return _check(p, "partner_count", "eligible", reason, field, fact)


# --- money and time ---------------------------------------------------------------------------


def range_text(r: Rules) -> str:
    low = format_eur(r.grant_min_eur) if r.grant_min_eur is not None else None
    high = format_eur(r.grant_max_eur) if r.grant_max_eur is not None else None
    if low and high:
        return f"zwischen {low} und {high}"
    return f"mindestens {low}" if low else f"höchstens {high}" if high else "Förderhöhe nicht erfasst"


def _budget_without_grant(p: ProgrammeIn, costs: float, fact: str) -> Check:
    """Budget known but no grant computable: decide only what the budget alone decides."""
    r = p.rules
    if r.grant_min_eur is not None and costs < r.grant_min_eur:
        reason = f"Das Vorhaben ist zu klein: Der Mindestzuschuss beträgt {format_eur(r.grant_min_eur)}."
        return _check(p, "budget", "ineligible", reason, "grant_min_eur", fact)
    if is_lump_sum(r):
        per_head = format_eur(r.lump_sum_per_participant_eur or 0)
        reason = f"Gefördert wird eine Pauschale von {per_head} je Person: Bitte Teilnehmendenzahl angeben."
        return _check(p, "budget", "unclear", reason, "lump_sum_per_participant_eur", fact)
    reason = "Die Förderquote ist nicht erfasst; bitte beim Fördergeber erfragen."
    return _check(p, "budget", "unclear", reason, "funding_rate", fact)


def budget(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check:
    r, costs = p.rules, profile.project.budget_eur
    if r.no_grant:
        return _check(p, "budget", "eligible", "Kein Zuschuss, daher keine Betragsgrenzen.", "no_grant", None)
    fact = f"Zuschuss {range_text(r)}"
    if costs is None:
        reason = f"Bitte das geplante Gesamtbudget angeben. Gefördert wird {range_text(r)}."
        return _check(p, "budget", "unclear", reason, "grant_min_eur", fact)
    raw = raw_grant(r, costs, profile.project.participants)
    if raw is None:
        return _budget_without_grant(p, costs, fact)
    if r.grant_min_eur is None and r.grant_max_eur is None:
        reason = f"Zuschuss rund {format_eur(raw)}; Mindest- und Höchstbetrag sind nicht erfasst."
        return _check(p, "budget", "unclear", reason, "funding_rate", None)
    grant = capped(raw, r)
    if r.grant_min_eur is not None and grant < r.grant_min_eur:
        minimum = format_eur(r.grant_min_eur)
        reason = f"Das Vorhaben ist zu klein: Zuschuss {format_eur(grant)}, Mindestbetrag {minimum}."
        return _check(p, "budget", "ineligible", reason, "grant_min_eur", fact)
    if grant < raw:
        reason = f"Der Zuschuss ist auf {format_eur(grant)} begrenzt (rechnerisch {format_eur(raw)}); "
        reason += "den Rest tragen Sie selbst oder über Dritte."
        return _check(p, "budget", "eligible", reason, "grant_max_eur", fact)
    reason = f"Zuschuss {format_eur(grant)}: im Förderrahmen ({range_text(r)})."
    return _check(p, "budget", "eligible", reason, "funding_rate", fact)


def duration(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check | None:
    """Only checked where the programme states a maximum duration."""
    months, limit = profile.project.duration_months, p.rules.max_duration_months
    if limit is None:
        return None
    fact = f"Höchstlaufzeit {limit} Monate" if limit else None
    if months is None:
        reason = "Bitte die geplante Laufzeit angeben." + (f" Höchstens {limit} Monate." if limit else "")
        return _check(p, "duration", "unclear", reason, "max_duration_months", fact)
    if months > limit:
        reason = f"Geplant sind {months} Monate, gefördert werden höchstens {limit}. Bitte kürzen."
        return _check(p, "duration", "ineligible", reason, "max_duration_months", fact)
    reason = f"{months} Monate: innerhalb der Höchstlaufzeit von {limit} Monaten."
    return _check(p, "duration", "eligible", reason, "max_duration_months", fact)


# --- deadlines --------------------------------------------------------------------------------


def _closes(d: Deadline) -> dt.date | None:
    return d.end if d.kind in ("window", "rolling") else d.date


def _relevant(deadlines: list[Deadline]) -> list[Deadline]:
    """In a two-stage procedure the sketch (interest) date decides; the application date follows it."""
    if any(d.kind == "interest" for d in deadlines):
        return [d for d in deadlines if d.kind != "application"]
    return deadlines


def _when(d: Deadline) -> str:
    labels = {"interest": "Interessenbekundung bis", "application": "Antrag bis", "window": "Einreichung bis"}
    closes = _closes(d)
    text = f"{labels.get(d.kind, 'laufend bis')} {closes:%d.%m.%Y}" if closes else "laufende Antragstellung"
    return f"{text} – {d.note}" if d.note else text


def deadline(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> Check:
    if p.paused:
        reason = "Die Förderung ist derzeit ausgesetzt (z. B. vorläufige Haushaltsführung). Bitte nachfragen."
        return _check(p, "deadline", "unclear", reason, "paused", "Förderung ausgesetzt")
    relevant = _relevant(p.deadlines)
    if not relevant:
        reason = "Keine Frist erfasst. Bitte beim Fördergeber nachfragen, bis wann Anträge möglich sind."
        return _check(p, "deadline", "unclear", reason, "deadlines", None)
    live, ready = upcoming(relevant, ctx.today), ctx.today + dt.timedelta(days=ctx.preparation_days)
    for d in live:
        closes = _closes(d)
        if closes is None or closes >= ready:
            return _check(p, "deadline", "eligible", f"Nächste Frist: {_when(d)}.", "deadlines", _when(d))
    if live:
        reason = f"Die nächste Frist ist knapp: {_when(live[0])}. Schaffen Sie den Antrag bis dahin?"
        return _check(p, "deadline", "unclear", reason, "deadlines", _when(live[0]))
    last = _when(max(relevant, key=lambda d: _closes(d) or dt.date.min))
    if p.rhythm:
        reason = f"Die letzte Frist ist abgelaufen; die nächste Ausschreibung wird erwartet ({p.rhythm})."
        return _check(p, "deadline", "unclear", reason, "deadlines", last)
    if any((_closes(d) or dt.date.min) >= ctx.today for d in p.deadlines):
        reason = f"Die Frist der ersten Stufe ist abgelaufen ({last}); in dieser Runde ist kein Antrag mehr möglich."
        return _check(p, "deadline", "ineligible", reason, "deadlines", last)
    # Every known date is past and no rhythm is recorded: the data may simply be old, so ask, don't exclude.
    reason = (f"Die letzte bekannte Frist ist abgelaufen ({last}); eine neue Ausschreibung ist nicht bekannt. "
              "Bitte beim Fördergeber nachfragen.")
    return _check(p, "deadline", "unclear", reason, "deadlines", last)


# --- rules that yield zero or more checks -----------------------------------------------------


def no_grant(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> list[Check]:
    if not p.rules.no_grant:
        return []
    reason = "Beratungs- bzw. Netzwerkangebot: kein Geld, sondern fachliche Begleitung und Austausch."
    return [_check(p, "no_grant", "eligible", reason, "no_grant", "Kein Zuschuss")]


def special_rules(profile: Profile, p: ProgrammeIn, ctx: RuleContext) -> list[Check]:
    """Conditions the profile cannot show; the coordinator confirms each as the programme states it."""
    source = p.evidence.get("special_rules")
    url = (source.url if source else None) or p.url
    return [
        Check(f"special_rule:{s.code}", "unclear", f"Bitte bestätigen: {s.text}", s.text, url)
        for s in p.rules.special_rules
    ]


Rule = Callable[[Profile, ProgrammeIn, RuleContext], Check | None]
ManyRule = Callable[[Profile, ProgrammeIn, RuleContext], list[Check]]

RULES: tuple[Rule, ...] = (applicant_type, applicant_state, partner_country, partner_count, budget, duration, deadline)
MANY_RULES: tuple[ManyRule, ...] = (no_grant, special_rules)


def combine(checks: tuple[Check, ...]) -> Verdict:
    """Conditions stated in the text (special rules) are listed for the coordinator to confirm but do
    not decide the verdict: nearly every call has some, and they are not facts we lack about them."""
    verdicts = {c.verdict for c in checks if not c.criterion.startswith("special_rule:")}
    return "ineligible" if "ineligible" in verdicts else "unclear" if "unclear" in verdicts else "eligible"


def assess(profile: Profile, programme: ProgrammeIn, ctx: RuleContext) -> Eligibility:
    checks = tuple(c for rule in RULES if (c := rule(profile, programme, ctx)) is not None)
    checks += tuple(c for rule in MANY_RULES for c in rule(profile, programme, ctx))
    return Eligibility(combine(checks), checks)
