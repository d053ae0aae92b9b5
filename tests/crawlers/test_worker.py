"""The worker: missed runs are made up once, and among several workers exactly one leads (and hands over)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from catalog.models import CrawlRun
from crawlers.base import SourceConfig
from crawlers.run import SOURCES_FILE
from crawlers.worker import missed, previous_fire
from tests.sites.server import SITES, serve_sites

REPO = Path(__file__).resolve().parents[2]


def test_previous_fire_and_missed_runs() -> None:
    now = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)  # a Tuesday
    assert previous_fire("15 3 * * mon", now) == dt.datetime(2026, 11, 23, 3, 15, tzinfo=dt.UTC)
    daily = {n: SourceConfig(name=n, base_url="", cron="30 3 * * *") for n in ("a", "b", "c")}
    started = {
        "a": dt.datetime(2026, 11, 24, 3, 31, tzinfo=dt.UTC),
        "b": dt.datetime(2026, 11, 23, 3, 31, tzinfo=dt.UTC),
    }
    assert missed(daily, started, now) == ["b", "c"]  # a ran after its last fire; b before it; c never


def _worker(db_url: str, tmp: Path, sources: Path, rewrite: dict[str, str], name: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "FOERDERMATCH_DATABASE_URL": db_url,
        "FOERDERMATCH_DATA_DIR": str(tmp / name),
        "FOERDERMATCH_SOURCES_FILE": str(sources),
        "FOERDERMATCH_CRAWL_REWRITE": json.dumps(rewrite),
        "FOERDERMATCH_EMBEDDING_MODEL": "none-in-worker-tests",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--heartbeat", "0.3"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _runs(engine) -> list[CrawlRun]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return list(s.exec(select(CrawlRun)))


def _wait(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_one_leader_crawls_once_and_a_standby_takes_over(engine, db_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not db_url.startswith("postgresql"):
        pytest.skip("the multi-instance path runs on PostgreSQL")
    raw = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    fast = {n: {**raw[n], "delay_s": 0.0} for n in ("eu_portal", "foerderdatenbank")}
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(fast), encoding="utf-8")
    with serve_sites(root=SITES) as server:
        rewrite = server.rewrite_for([p.name for p in SITES.iterdir() if p.is_dir() and "." in p.name])
        first = _worker(db_url, tmp_path, sources, rewrite, "w1")
        _collect(first)
        assert _wait(lambda: {r.source for r in _runs(engine) if r.status == "ok"} == set(fast)), "no crawl ran"
        second = _worker(db_url, tmp_path, sources, rewrite, "w2")
        log = _collect(second)
        time.sleep(3)  # the standby heartbeats ~10 times and must not crawl
        assert sorted(r.source for r in _runs(engine)) == sorted(fast)  # each source crawled exactly once
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert not any("is the leader" in x for x in log)  # not before the leader is gone
        assert _wait(lambda: any("is the leader" in x for x in log), timeout=30), f"no take-over: {log[-5:]}"
        second.kill()
        second.wait()
    assert sorted(r.source for r in _runs(engine)) == sorted(fast)  # no duplicate crawl after the take-over


def _collect(proc: subprocess.Popen[str]) -> list[str]:
    """The process's log lines, read by a thread so the pipe never fills and nothing waits in a buffer."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    return lines
