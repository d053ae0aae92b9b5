"""The partnership profile a coordinator submits: strict validation, country names normalised."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.schema import ApplicantType, Bundesland
from config.countries import to_iso2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Applicant(_Strict):
    type: ApplicantType
    name: str | None = Field(default=None, max_length=300)
    state: Bundesland | None = None


class Partner(_Strict):
    country: str | None = None
    name: str | None = Field(default=None, max_length=300)
    type: ApplicantType | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        code = to_iso2(value)
        if code is None:
            raise ValueError(f"unknown country {value!r}: use an ISO 3166-1 alpha-2 code or a German or English name")
        return code


class Project(_Strict):
    idea: str = Field(min_length=1, max_length=5000)
    themes: list[str] = Field(default_factory=list, max_length=30)
    budget_eur: float | None = Field(default=None, gt=0, le=1_000_000_000)
    duration_months: int | None = Field(default=None, ge=1, le=240)
    start: str | None = None
    participants: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("start")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.fullmatch(r"20[0-9]{2}-(0[1-9]|1[0-2])", value):
            raise ValueError("must be a month as YYYY-MM, e.g. 2027-03")
        return value

    @field_validator("idea")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class Profile(_Strict):
    id: str | None = Field(default=None, max_length=200)
    applicant: Applicant
    partners: list[Partner] = Field(default_factory=list, max_length=100)
    project: Project

    def partner_countries(self) -> list[str]:
        """Distinct ISO codes of the partners, in the order given (unknown countries left out)."""
        seen: list[str] = []
        for p in self.partners:
            if p.country and p.country not in seen:
                seen.append(p.country)
        return seen
