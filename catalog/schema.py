"""What a funding programme is: the validated content every source produces and the store keeps.

Pure pydantic, no I/O. Unknown facts are ``None`` (never guessed); every fact a source extracted
can carry its quote and URL in ``evidence`` keyed by the fact's field name.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ApplicantType = Literal[
    "kommune",
    "landkreis",
    "kommunaler_spitzenverband",
    "kommunales_unternehmen",
    "verein",
    "schule",
    "hochschule",
    "ngo",
    "kirche",
    "stiftung",
    "unternehmen",
    "privatperson",
]
APPLICANT_TYPES: tuple[str, ...] = ApplicantType.__args__  # type: ignore[attr-defined]

Bundesland = Literal["BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"]

Level = Literal["eu", "bund", "land", "stiftung", "jugendwerk"]
LEVELS: tuple[str, ...] = Level.__args__  # type: ignore[attr-defined]

FinancingType = Literal[
    "Anteilsfinanzierung", "Fehlbedarfsfinanzierung", "Festbetrag", "Vollfinanzierung", "Pauschale"
]
DeadlineKind = Literal["interest", "application", "window", "rolling"]
# Kinds of money that may make up the Eigenanteil.
OwnFundKind = Literal["cash", "third_party", "land_cofunding", "in_kind"]
OWN_FUND_KINDS: tuple[str, ...] = OwnFundKind.__args__  # type: ignore[attr-defined]
# Named country lists, defined with source and year in config/countries/.
CountryList = Literal["DAC", "EU27", "ERASMUS_PROGRAMME", "CERV_PARTICIPATING"]
COUNTRY_LISTS: tuple[str, ...] = CountryList.__args__  # type: ignore[attr-defined]

Status = Literal["open", "forthcoming", "closed", "rolling", "paused", "unknown"]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ISO2_RE = re.compile(r"^[A-Z]{2}$")


class Strict(BaseModel):
    """Base for catalogue content: unknown keys are errors, so typos in curated YAML surface."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Evidence(Strict):
    quote: str = Field(min_length=1)
    url: str | None = None


class PartnerRule(Strict):
    """Which partner countries a programme accepts.

    ``required`` says whether a partner abroad is needed at all (None: not stated). Allowed countries
    are the union of the named ``lists`` and explicit ``countries``; when both are empty any country
    is accepted. ``excluded`` always wins.
    """

    required: bool | None = None
    lists: list[CountryList] = Field(default_factory=list)
    list_year: int | None = None
    countries: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("countries", "excluded")
    @classmethod
    def _iso2(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not ISO2_RE.match(c)]
        if bad:
            raise ValueError(f"not ISO 3166-1 alpha-2 codes: {', '.join(bad)}")
        return codes


class Deadline(Strict):
    """One date of a call. ``window`` has ``date`` (opens) and ``end`` (closes); ``rolling`` may have
    an ``end`` after which applications stop; ``interest`` and ``application`` have ``date``."""

    kind: DeadlineKind
    date: dt.date | None = None
    end: dt.date | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _dates_fit_kind(self) -> Deadline:
        if self.kind in ("interest", "application") and self.date is None:
            raise ValueError(f"a deadline of kind {self.kind!r} needs a date")
        if self.kind == "window" and (self.date is None or self.end is None):
            raise ValueError("a window needs date (opens) and end (closes)")
        if self.date and self.end and self.end < self.date:
            raise ValueError("end lies before date")
        return self


class SpecialRule(Strict):
    """A condition stated in the programme text that the profile cannot show, e.g. a formal
    partnership agreement or membership in a network. Eligibility asks about it."""

    code: str = Field(pattern=r"^[a-z_]+$")
    text: str = Field(min_length=1)


class Rules(Strict):
    applicant_types: list[ApplicantType] | None = None
    partner_rule: PartnerRule | None = None
    min_partners: int | None = Field(default=None, ge=0)
    min_countries: int | None = Field(default=None, ge=1)
    grant_min_eur: float | None = Field(default=None, ge=0)
    grant_max_eur: float | None = Field(default=None, ge=0)
    funding_rate: float | None = Field(default=None, gt=0, le=1)
    financing_type: FinancingType | None = None
    # Lump sums: a fixed amount per participant (e.g. CERV Town-Twinning) when the programme pays so.
    lump_sum_per_participant_eur: float | None = Field(default=None, ge=0)
    # Which kinds of money count towards the Eigenanteil; a missing key means "not stated".
    own_funds: dict[OwnFundKind, bool] = Field(default_factory=dict)
    admin_flat_rate: float | None = Field(default=None, ge=0, le=1)
    max_duration_months: int | None = Field(default=None, ge=1)
    # Programmes that advise or network but pay no grant (e.g. IURC, Connective Cities).
    no_grant: bool = False
    special_rules: list[SpecialRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _min_below_max(self) -> Rules:
        if self.grant_min_eur is not None and self.grant_max_eur is not None:
            if self.grant_min_eur > self.grant_max_eur:
                raise ValueError("grant_min_eur is larger than grant_max_eur")
        return self


class ProgrammeIn(Strict):
    """A programme as a source (crawler or curated file) describes it."""

    id: str = Field(min_length=2, max_length=120)
    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source_key: str | None = None
    url: str = Field(pattern=r"^https?://")
    language: Literal["de", "en", "fr", "pl", "cs"] = "de"
    title: str = Field(min_length=3)
    short_name: str | None = None
    funder: str = Field(min_length=2)
    level: Level
    # Länder whose applicants may apply (Land programmes, regional funds); empty: no such limit known.
    states: list[Bundesland] = Field(default_factory=list)
    summary: str = Field(min_length=20)
    text: str = ""
    themes: list[str] = Field(default_factory=list)
    rules: Rules = Field(default_factory=Rules)
    deadlines: list[Deadline] = Field(default_factory=list)
    # How calls recur, e.g. "jährlich": a closed programme with a rhythm expects its next call.
    rhythm: str | None = None
    # Budget freeze or suspended calls ("vorläufige Haushaltsführung", "Förderfenster geschlossen").
    paused: bool = False
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    source_urls: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None
    # Facts the crawled source did not state and an adviser's curated entry filled in (catalog/supplement.py).
    supplemented: list[str] = Field(default_factory=list)
    # The advisers' own German description of a crawled programme (its source may be terse or English).
    curated_description: str = ""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError("must be a slug: lower-case letters, digits and single hyphens")
        return value

    def full_text(self) -> str:
        """Everything a reader (or an embedder) should see, in reading order."""
        parts = [self.title, self.short_name or "", self.summary, ", ".join(self.themes), self.text,
                 self.curated_description]
        return "\n\n".join(p for p in parts if p)
