"""Match quality on adviser-labelled cases, with the real model on the bundled catalogue: floors hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from catalog import snapshot
from config.settings import Settings
from matcher.embed import load_embedder
from matcher.evaluate import evaluate, load_cases
from matcher.index import build_index
from tests.conftest import MODEL_CACHE

REPO = Path(__file__).resolve().parents[2]
DEV = REPO.parent / "shared" / "eval" / "dev_cases.yaml"
OWN = REPO / "tests" / "eval" / "cases.yaml"
TODAY = dt.date(2026, 11, 24)  # fixed: deadlines decide verdicts, and the floors must not drift with the calendar

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("model")]


@pytest.fixture(scope="module")
def engine_and_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path_factory.mktemp("q"), model_cache_dir=MODEL_CACHE)
    embedder, status = load_embedder(settings)
    assert status == "e5-small-pypi", status
    return embedder, build_index(snapshot.read_snapshot(), embedder)


@pytest.mark.parametrize("path", [DEV, OWN], ids=["dev", "own"])
def test_floors(engine_and_index, path: Path) -> None:  # type: ignore[no-untyped-def]
    if not path.exists():
        pytest.skip(f"{path} not found (shared/ must lie beside the repo)")
    embedder, index = engine_and_index
    cases = load_cases(path)
    report = evaluate(cases, index, embedder, mode="hybrid", today=TODAY)
    assert report["summary"]["hit@5"] >= 0.85, report
    assert report["summary"]["eligibility_accuracy"] >= 0.9, report


def test_hybrid_is_not_worse_than_either_baseline(engine_and_index) -> None:  # type: ignore[no-untyped-def]
    embedder, index = engine_and_index
    cases = load_cases(*(p for p in (DEV, OWN) if p.exists()))
    scores = {m: evaluate(cases, index, embedder, mode=m, today=TODAY)["summary"]["mrr"]
              for m in ("hybrid", "dense", "lexical")}
    assert scores["hybrid"] >= max(scores["dense"], scores["lexical"]) - 0.02, scores
