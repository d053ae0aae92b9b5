"""Shared helpers of the benchmarks: paths, the real model and vectors, query profiles, percentiles, RSS sampling."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from catalog.passages import programme_passages
from catalog.schema import ProgrammeIn
from catalog.vectors import text_hash

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "var" / "bench"  # scratch: databases, index caches, cached real vectors
MODELS = Path(os.environ.get("FOERDERMATCH_MODEL_CACHE_DIR", REPO / "var" / "models"))
CASE_FILES = [REPO.parent / "shared" / "eval" / "dev_cases.yaml", REPO / "tests" / "eval" / "cases.yaml"]
TODAY = dt.date(2026, 11, 24)  # the eval's fixed day: deadlines decide verdicts


def settings(**overrides: Any):  # type: ignore[no-untyped-def]
    from config.settings import Settings

    return Settings(**{"data_dir": WORK, "model_cache_dir": MODELS, **overrides})


def load_model():  # type: ignore[no-untyped-def]
    """The real e5 embedder (built into var/models by `make model`)."""
    from matcher.embed import load_embedder

    embedder, status = load_embedder(settings())
    if embedder is None or status != "e5-small-pypi":
        raise SystemExit(f"the benchmarks need the e5 model (got: {status}); run `make model` first")
    return embedder


def real_vectors(embedder: Any, programmes: list[ProgrammeIn]) -> dict[str, np.ndarray]:
    """Real e5 vectors of the real programmes' passages, cached in var/bench (keyed by passage hash)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"real-vectors-{embedder.model_id}.npz"
    texts = sorted({t for p in programmes for t in programme_passages(p)})
    hashes = [text_hash(t) for t in texts]
    if path.exists():
        stored = np.load(path)
        if set(hashes) <= set(stored.files):
            return {h: stored[h] for h in hashes}
    vectors = embedder.embed_passages(texts)
    found = dict(zip(hashes, vectors, strict=True))
    np.savez(path, **found)
    return found


def query_profiles() -> list[Any]:
    """The ranking cases' profiles (dev + own eval cases: German and English) as realistic queries."""
    from matcher.evaluate import load_cases

    cases = load_cases(*(p for p in CASE_FILES if p.exists()))
    return [c.profile for c in cases.ranking]


def percentiles(values: Iterable[float]) -> dict[str, float]:
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.size == 0:
        return {"n": 0}
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {"n": int(arr.size), "p50": round(float(p50), 2), "p95": round(float(p95), 2),
            "p99": round(float(p99), 2), "mean": round(float(arr.mean()), 2)}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def tree_rss_mb(proc: psutil.Process) -> tuple[float, float]:
    """Summed RSS of a process and its children, and the largest single one (MB)."""
    procs = [proc]
    try:
        procs += proc.children(recursive=True)
    except psutil.Error:
        pass
    sizes = []
    for p in procs:
        try:
            sizes.append(p.memory_info().rss / 2**20)
        except psutil.Error:
            continue
    return sum(sizes), max(sizes, default=0.0)


class RssSampler:
    """Samples the RSS of a process tree in a thread; ``peak_total`` and ``peak_single`` in MB."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        self.proc = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak_total = self.peak_single = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total, single = tree_rss_mb(self.proc)
            self.peak_total, self.peak_single = max(self.peak_total, total), max(self.peak_single, single)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def now(self) -> tuple[float, float]:
        return tree_rss_mb(self.proc)


class Stopwatch:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000

    def s(self) -> float:
        return time.perf_counter() - self.t0
