"""Properties of the profile a coordinator submits (matcher/profile.py), and of the API that takes it.

Generated valid profiles validate, and survive a round trip through JSON and through the database unchanged;
one invalid value anywhere is a ValidationError at exactly that place, and a 422 naming it in the API.
Derandomized Hypothesis with a fixed number of examples, so a failure reproduces.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pycountry
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from api.main import create_app
from catalog.schema import APPLICANT_TYPES, Bundesland
from config.countries import to_iso2
from config.settings import Settings
from matcher.embed import FakeEmbedder
from matcher.profile import Profile
from matcher.runtime import MatchRuntime
from tests.api.conftest import seed
from tests.api.desk_helpers import bearer, make_user

STATES: tuple[str, ...] = Bundesland.__args__  # type: ignore[attr-defined]
CODES = sorted(c.alpha_2 for c in pycountry.countries) + ["XK"]
NAMES = sorted(n for c in pycountry.countries for n in {c.name, getattr(c, "common_name", c.name)})
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None)
API_SETTINGS = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_serial = itertools.count()

# --- valid profiles --------------------------------------------------------------------------------------------

# No NUL: the profile model takes it, but the API refuses it in every input (PostgreSQL cannot store it).
texts = st.text(st.characters(exclude_characters="\x00"), max_size=60)
ideas = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=400).filter(lambda t: t.strip())
countries = st.one_of(
    st.sampled_from(CODES),
    st.sampled_from(CODES).map(str.lower),
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(lambda n: f"  {n.upper()} "),
)
applicants = st.fixed_dictionaries(
    {"type": st.sampled_from(APPLICANT_TYPES)},
    optional={"name": texts, "state": st.sampled_from(STATES)},
)
partners = st.fixed_dictionaries({}, optional={
    "country": countries, "name": texts, "type": st.sampled_from(APPLICANT_TYPES),
})
projects = st.fixed_dictionaries({"idea": ideas}, optional={
    "themes": st.lists(texts, max_size=30),
    "budget_eur": st.one_of(st.integers(1, 1_000_000_000), st.floats(0.01, 1e9)),
    "duration_months": st.integers(1, 240),
    "start": st.builds(lambda y, m: f"20{y:02d}-{m:02d}", st.integers(0, 99), st.integers(1, 12)),
    "participants": st.integers(1, 1_000_000),
})
profiles = st.fixed_dictionaries(
    {"applicant": applicants, "project": projects},
    optional={"id": texts, "partners": st.lists(partners, max_size=5)},
)


@SETTINGS
@given(raw=profiles)
def test_valid_profiles_validate_and_round_trip(raw: dict[str, Any]) -> None:
    profile = Profile.model_validate(raw)
    assert Profile.model_validate(profile.model_dump()) == profile
    assert Profile.model_validate_json(profile.model_dump_json()) == profile
    assert Profile.model_validate(profile.model_dump(exclude_none=True)) == profile  # as the API stores it
    for given_partner, partner in zip(raw.get("partners", []), profile.partners, strict=True):
        if "country" in given_partner:
            assert partner.country == to_iso2(given_partner["country"]) and partner.country in CODES


# --- one invalid value -----------------------------------------------------------------------------------------

not_a_type = st.one_of(st.text(max_size=20).filter(lambda t: t.strip() not in APPLICANT_TYPES),
                       st.integers(), st.booleans(), st.lists(st.sampled_from(APPLICANT_TYPES), min_size=1))
unknown_country = st.one_of(
    st.text(max_size=30).filter(lambda t: t.strip() != "" and to_iso2(t) is None),
    st.from_regex(r"[A-Z]{2}", fullmatch=True).filter(lambda c: to_iso2(c) is None),
    st.integers(),
)
too_long = st.integers(1, 30).map(lambda n: "Idee " * 1000 + "x" * n)  # 5001 to 5030 characters
blank = st.text(" \t\n\r\u00a0\u2003\u3000", max_size=8)
MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")  # the model's own pattern
non_positive = st.one_of(st.integers(max_value=0), st.floats(max_value=0, allow_nan=False, allow_infinity=False))

INVALID: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {
    ("applicant", "type"): not_a_type,
    ("applicant", "state"): st.text(max_size=10).filter(lambda t: t.strip() not in STATES),
    ("applicant", "name"): st.integers(301, 320).map("n".__mul__),
    ("applicant", "extra"): texts,
    ("partners", 0, "country"): unknown_country,
    ("partners", 0, "type"): not_a_type,
    ("project", "idea"): st.one_of(blank, too_long, st.integers()),
    ("project", "budget_eur"): st.one_of(non_positive, st.floats(1e9, exclude_min=True, allow_infinity=False),
                                         st.text(st.characters(categories=["L"]), min_size=1, max_size=10)),
    ("project", "duration_months"): st.one_of(st.integers(max_value=0), st.integers(min_value=241),
                                              st.floats(1.1, 239.9).filter(lambda f: not f.is_integer())),
    ("project", "participants"): st.one_of(st.integers(max_value=0), st.integers(min_value=1_000_001)),
    ("project", "start"): st.text(max_size=12).filter(lambda t: t.strip() != "" and not MONTH.fullmatch(t.strip())),
    ("project", "themes"): st.lists(texts, min_size=31, max_size=35),
    ("partners",): st.lists(st.just({"country": "GH"}), min_size=101, max_size=103),
    ("id",): st.integers(201, 220).map("i".__mul__),
}


def with_value(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of ``raw`` with ``value`` at ``path`` (a partner is added if the path needs one)."""
    out: dict[str, Any] = {**raw, "applicant": dict(raw["applicant"]), "project": dict(raw["project"]),
                           "partners": [dict(p) for p in raw.get("partners", [])] or [{}]}
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


invalid_cases = st.sampled_from(sorted(INVALID, key=str)).flatmap(
    lambda path: st.tuples(st.just(path), profiles, INVALID[path]))


def errors_at(path: tuple[Any, ...], errors: list[Any]) -> bool:
    """Every error names the invalid value's place (a union type may explain itself more than once)."""
    return bool(errors) and all(tuple(e["loc"][: len(path)]) == path for e in errors)


@SETTINGS
@given(case=invalid_cases)
def test_one_invalid_value_is_an_error_naming_its_place(case: tuple[tuple[Any, ...], dict[str, Any], Any]) -> None:
    path, raw, value = case
    with pytest.raises(ValidationError) as caught:
        Profile.model_validate(with_value(raw, path, value))
    assert errors_at(path, caught.value.errors()), (path, value, caught.value.errors())


# --- the same through the API, on both databases ---------------------------------------------------------------


@pytest.fixture
def api(engine: Engine, settings: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app without the match rate limit (every example is a request), and a coordinator's token."""
    seed(engine)
    unlimited = settings.model_copy(update={"match_rate_limit": 1_000_000})
    token = make_user(engine, "koord@example.org", "coordinator")
    with TestClient(create_app(unlimited, MatchRuntime(engine, unlimited, embedder=FakeEmbedder()))) as client:
        yield client, bearer(token)


def test_valid_profiles_are_stored_and_read_back_unchanged(api: tuple[TestClient, dict[str, str]]) -> None:
    client, h = api

    @API_SETTINGS
    @given(raw=profiles)
    def run(raw: dict[str, Any]) -> None:
        created = client.post("/api/v1/profiles", json={"name": f"Profil {next(_serial)}", "profile": raw}, headers=h)
        assert created.status_code == 201, created.text
        stored = client.get(f"/api/v1/profiles/{created.json()['id']}", headers=h).json()["profile"]
        assert Profile.model_validate(stored) == Profile.model_validate(raw)
        assert client.post("/api/v1/match?top=1", json=raw).status_code == 200

    run()


def test_one_invalid_value_is_a_422_naming_the_field(api: tuple[TestClient, dict[str, str]]) -> None:
    client, h = api

    @API_SETTINGS
    @given(case=invalid_cases)
    def run(case: tuple[tuple[Any, ...], dict[str, Any], Any]) -> None:
        path, raw, value = case
        bad = with_value(raw, path, value)
        for url, body, prefix in (("/api/v1/match", bad, ("body",)),
                                  ("/api/v1/profiles", {"name": "Falsch", "profile": bad}, ("body", "profile"))):
            r = client.post(url, json=body, headers=h)
            assert r.status_code == 422, (url, path, value, r.text[:300])
            assert errors_at((*prefix, *path), r.json()["detail"]), (url, path, value, r.json()["detail"])

    run()
