"""An app per test on the real database engines, with a fast deterministic embedder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from catalog import store
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from tests.factories import programme


def seed(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(
            id="wasser-sued", title="Partnerschaftsprojekte Wasser Globaler Süden", level="bund",
            summary="Zuschüsse für Wasserprojekte von Kommunen mit Partnerkommunen in Afrika.",
            rules={"applicant_types": ["kommune"], "partner_rule": {"required": True, "lists": ["DAC"]},
                   "funding_rate": 0.9, "grant_min_eur": 50000, "grant_max_eur": 250000},
            deadlines=[{"kind": "rolling"}],
        ))
        store.upsert_programme(s, programme(
            id="jugend-frankreich", title="Deutsch-französische Jugendbegegnungen", level="jugendwerk",
            summary="Begegnungen junger Menschen aus deutschen und französischen Partnerstädten.",
            rules={"applicant_types": ["verein", "kommune"], "partner_rule": {"required": True, "countries": ["FR"]}},
        ))


@pytest.fixture
def client(engine, settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    seed(engine)
    runtime = MatchRuntime(engine, settings, embedder=FakeEmbedder())
    with TestClient(create_app(settings, runtime)) as c:
        yield c
