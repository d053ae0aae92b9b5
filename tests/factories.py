"""Plain factory functions for test data."""

from __future__ import annotations

from typing import Any

from catalog.schema import ProgrammeIn
from matcher.profile import Profile


def programme(**overrides: Any) -> ProgrammeIn:
    data: dict[str, Any] = {
        "id": "test-programm",
        "source": "curated",
        "url": "https://example.org/programm",
        "title": "Testprogramm Partnerschaften",
        "funder": "Testministerium",
        "level": "bund",
        "summary": "Ein Programm für kommunale Partnerschaftsprojekte mit dem Globalen Süden.",
        "text": "Gefördert werden gemeinsame Projekte von Kommunen und ihren Partnerkommunen.",
        "themes": ["Partnerschaft"],
    }
    rules = overrides.pop("rules", None)
    data.update(overrides)
    if rules is not None:
        data["rules"] = rules
    return ProgrammeIn.model_validate(data)


def profile(**overrides: Any) -> Profile:
    data: dict[str, Any] = {
        "applicant": {"type": "kommune", "name": "Stadt Musterstadt", "state": "NW"},
        "partners": [{"country": "GH"}],
        "project": {"idea": "Wasserversorgung gemeinsam mit der Partnerstadt verbessern", "budget_eur": 120000},
    }
    data.update(overrides)
    return Profile.model_validate(data)
