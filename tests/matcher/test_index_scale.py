"""The scaled index gives the results the plain computation gives: lexical scores, saved and loaded
indexes, pruned eligibility, co-funding, and the disk cache's invalidation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlmodel import Session

from catalog import snapshot, store
from catalog.passages import programme_passages
from config.settings import Settings
from matcher import lexical as lexical_module
from matcher import runtime as runtime_module
from matcher.contribution import cofunding_candidates
from matcher.embed import FakeEmbedder
from matcher.index import build_index, load_index, save_index
from matcher.lexical import LexicalIndex
from matcher.profile import Profile
from matcher.runtime import MatchRuntime
from matcher.service import MatchOptions, match

TODAY = dt.date(2026, 11, 24)
QUERIES = ["Jugendbegegnung mit Polen im Grenzraum", "Klimapartnerschaft mit einer Stadt in Ghana, Solarenergie",
           "Bürgerbegegnung Städtepartnerschaft Frankreich", "xyzq"]


@pytest.fixture(scope="module")
def programmes():  # type: ignore[no-untyped-def]
    return snapshot.read_snapshot()


def profile(idea: str, **project: object) -> Profile:
    return Profile.model_validate({"applicant": {"type": "kommune"}, "partners": [{"country": "PL"}],
                                   "project": {"idea": idea, **project}})


def test_lexical_scores_are_tfidf_cosines(programmes) -> None:  # type: ignore[no-untyped-def]
    passages = [t for p in programmes for t in programme_passages(p)]
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
    matrix = reference.fit_transform(passages)
    lexical = LexicalIndex(passages)
    for q in QUERIES:
        expected = np.asarray((matrix @ reference.transform([q]).T).todense()).ravel()
        got = lexical.scores(q)
        np.testing.assert_allclose(got, expected, atol=1e-3)
        assert list(np.argsort(-got, kind="stable")[:10]) == list(np.argsort(-expected, kind="stable")[:10])


@pytest.mark.parametrize("mapped", [True, False], ids=["postings-mapped", "postings-pread"])
def test_a_saved_index_matches_like_the_built_one(programmes, tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                  mapped: bool) -> None:
    monkeypatch.setattr(lexical_module, "MMAP_MAX_BYTES", 1 << 40 if mapped else 0)
    embedder = FakeEmbedder()
    built = build_index(programmes, embedder)
    save_index(built, tmp_path / "ix")
    loaded = load_index(tmp_path / "ix")
    assert loaded is not None and loaded.stats == built.stats
    assert loaded.lexical.nbytes()["lexical_postings_mapped"] == (built.lexical.nbytes()["lexical_postings"] if mapped
                                                                  else 0)
    for q in QUERIES:
        options = MatchOptions(top=15, today=TODAY)
        a = match(built, embedder, profile(q, budget_eur=300000), options)
        b = match(loaded, embedder, profile(q, budget_eur=300000), options)
        a.pop("timings"), b.pop("timings")
        assert a == b


def test_only_eligible_judges_as_few_as_needed_but_finds_the_same(programmes) -> None:  # type: ignore[no-untyped-def]
    embedder = FakeEmbedder()
    index = build_index(programmes, embedder)
    for q in QUERIES:
        everything = match(index, embedder, profile(q), MatchOptions(top=len(programmes), today=TODAY))
        eligible = [m["programme_id"] for m in everything["matches"] if m["eligibility"]["verdict"] == "eligible"]
        pruned = match(index, embedder, profile(q), MatchOptions(top=5, only_eligible=True, today=TODAY))
        assert [m["programme_id"] for m in pruned["matches"]] == eligible[:5]


def test_cofunding_hints_are_those_of_the_whole_catalogue(programmes) -> None:  # type: ignore[no-untyped-def]
    embedder = FakeEmbedder()
    index = build_index(programmes, embedder)
    seen = 0
    for q in QUERIES:
        p = profile(q, budget_eur=400000)
        for m in match(index, embedder, p, MatchOptions(top=20, today=TODAY))["matches"]:
            programme = next(x for x in programmes if x.id == m["programme_id"])
            assert m.get("cofunding", []) == cofunding_candidates(p, programme, programmes)
            seen += bool(m.get("cofunding"))
    assert seen  # the check compared some real hints


def test_a_second_process_loads_the_saved_index(engine, settings: Settings, programmes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s, s.begin():
        snapshot.load_programmes(s, programmes)
    first = MatchRuntime(engine, settings, embedder=FakeEmbedder())
    expected = first.match(profile(QUERIES[0]), MatchOptions(today=TODAY))
    def no_rebuild(*args: object, **kwargs: object) -> None:
        pytest.fail("the second process rebuilt the index instead of loading it")

    monkeypatch.setattr(runtime_module, "build_index", no_rebuild)
    second = MatchRuntime(engine, settings, embedder=FakeEmbedder())
    got = second.match(profile(QUERIES[0]), MatchOptions(today=TODAY))
    expected.pop("timings"), got.pop("timings")
    assert got == expected


def test_a_programme_marked_gone_is_not_served_from_the_saved_index(engine, settings: Settings,  # type: ignore[no-untyped-def]
                                                                    programmes) -> None:
    with Session(engine) as s, s.begin():
        snapshot.load_programmes(s, programmes)
    assert MatchRuntime(engine, settings, embedder=FakeEmbedder()).index().stats["programmes"] == len(programmes)
    source = programmes[0].source
    with Session(engine) as s, s.begin():
        seen = [p.id for p in programmes if p.source == source][1:]
        gone = store.mark_missing(s, source=source, seen_ids=seen, threshold=1)
    assert gone
    fresh = MatchRuntime(engine, settings, embedder=FakeEmbedder())  # a restarted process
    assert fresh.index().stats["programmes"] == len(programmes) - len(gone)
