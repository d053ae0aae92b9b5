"""Store behaviour on the real engines: versions, field diffs, events, gone-marking, corrections."""

import datetime as dt

from alembic import command
from sqlmodel import Session, select

from catalog import store
from catalog.db import alembic_config
from catalog.models import Correction, ProgrammeEvent
from tests.factories import programme


def test_migrations_match_models(engine) -> None:
    command.check(alembic_config(engine))  # raises when models and migrations disagree


def test_new_changed_unchanged_with_versions_and_diff(engine) -> None:
    p1 = programme(rules={"funding_rate": 0.9, "grant_max_eur": 50000})
    with Session(engine) as s, s.begin():
        assert store.upsert_programme(s, p1) == ("new", [])
    with Session(engine) as s, s.begin():
        assert store.upsert_programme(s, p1) == ("unchanged", [])
    p2 = programme(rules={"funding_rate": 0.8, "grant_max_eur": 50000}, summary="Neue Zusammenfassung des Programms.")
    with Session(engine) as s, s.begin():
        outcome, fields = store.upsert_programme(s, p2)
    assert outcome == "changed" and fields == ["rules.funding_rate", "summary"]
    with Session(engine) as s:
        history = store.versions(s, p1.id)
        assert [v.version for v in history] == [2, 1]
        assert history[0].diff["rules.funding_rate"] == [0.9, 0.8]
        kinds = [e.kind for e in s.exec(select(ProgrammeEvent).order_by(ProgrammeEvent.id))]
        assert kinds == ["new", "changed"]
        assert store.get_programme(s, p1.id)[1].rules.funding_rate == 0.8


def test_gone_only_after_threshold_and_back_again(engine) -> None:
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(id="bleibt"))
        store.upsert_programme(s, programme(id="verschwindet"))
    for crawl in range(3):
        with Session(engine) as s, s.begin():
            gone = store.mark_missing(s, source="curated", seen_ids=["bleibt"], threshold=3)
        assert gone == ([] if crawl < 2 else ["verschwindet"])
    with Session(engine) as s:
        assert [p.id for _, p in store.all_programmes(s)] == ["bleibt"]
        assert len(store.all_programmes(s, include_gone=True)) == 2  # kept, never deleted
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(id="verschwindet"))
    with Session(engine) as s:
        assert len(store.all_programmes(s)) == 2


def test_corrections_overlay_and_flag_on_disagreeing_crawl(engine) -> None:
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(rules={"funding_rate": 0.9}))
        s.add(Correction(programme_id="test-programm", field="rules.funding_rate", value=0.75,
                         reason="Neue Richtlinie 2026", author="desk"))
    with Session(engine) as s, s.begin():
        assert store.get_programme(s, "test-programm")[1].rules.funding_rate == 0.75
        store.upsert_programme(s, programme(rules={"funding_rate": 0.85}))
    with Session(engine) as s:
        fix = s.exec(select(Correction)).one()
        assert fix.needs_review and store.get_programme(s, "test-programm")[1].rules.funding_rate == 0.75


def test_catalogue_stamp_changes_with_content(engine) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(), now=now)
        first = store.catalogue_stamp(s)
        store.upsert_programme(s, programme(summary="Geänderte Zusammenfassung des Programms."),
                               now=now + dt.timedelta(hours=1))
        assert store.catalogue_stamp(s) != first
