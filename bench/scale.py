"""Latency, index build, start-up, memory and throughput at catalogue sizes (synthetic catalogues).

Per size: the synthetic catalogue (bench/synth.py) goes into a SQLite database with its passage vectors,
`foerdermatch index build` builds and saves the index, then
- latency: in this process, through MatchRuntime as `serve` uses it (index loaded from the saved files),
  warm, one client, phase by phase (bench/latency.py);
- memory and start-up: `foerdermatch serve --workers 1` under load (bench/serve.py);
- throughput: at 10,000 programmes with 1 and 2 workers, on SQLite and on PostgreSQL (a throw-away
  cluster from tests/pg.py; skipped when the server binaries are missing).
"""

from __future__ import annotations

import functools
import gc
import sys
import time
from pathlib import Path
from typing import Any

from bench import catalogue_db, latency, serve, synth
from bench.common import load_average, settings
from catalog.db import open_database
from matcher.runtime import MatchRuntime

THROUGHPUT_SIZE = 10_000


def _prepare(url: str, folder: Path, programmes: list[Any], vectors: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    catalogue_db.load(url, programmes, vectors).dispose()
    loaded = round(time.perf_counter() - t0, 1)
    env = serve.server_env(folder, None if url.startswith("sqlite") else url)
    print("    index build ...", flush=True)
    return {"env": env, "db_load_s": loaded, "index_build": serve.build_index(env, folder / "index-build.log")}


def _latency(url: str, folder: Path, embedder: Any, profiles: list[Any], n: int) -> dict[str, Any]:
    engine = open_database(url)
    rt = MatchRuntime(engine, settings(data_dir=folder), embedder=embedder)
    t0 = time.perf_counter()
    index = rt.index()
    out: dict[str, Any] = {"index_ready_s": round(time.perf_counter() - t0, 2), "passages": index.stats["passages"]}
    if hasattr(index, "nbytes"):
        out["index_nbytes_mb"] = {k: round(v / 2**20, 1) for k, v in index.nbytes().items()}
    out["latency_ms"] = latency.measure_queries(index, embedder, profiles, n)
    if len(index.programmes) == THROUGHPUT_SIZE:
        out["latency_ms_2_threads"] = _with_query_threads(
            2, embedder, functools.partial(latency.measure_queries, index, embedder, profiles, n))
    out["load_average"] = load_average()
    del rt, index
    engine.dispose()
    gc.collect()
    return out


def _with_query_threads(threads: int, embedder: Any, measure: Any) -> Any:
    """Run ``measure`` with queries embedded on ``threads`` torch threads (the service uses one: see
    matcher/embed.py); None when the embedder has no such setting (an older matcher)."""
    torch = sys.modules.get("torch")
    default = getattr(embedder, "_query_threads", None)
    if torch is None or default is None:
        return None
    embedder._query_threads = threads
    torch.set_num_threads(threads)
    try:
        return measure()
    finally:
        embedder._query_threads = default
        torch.set_num_threads(default)


def _serve(env: dict[str, str], workers: int, bodies: list[dict[str, Any]], folder: Path, label: str,
           timing: dict[str, Any], *, throughput: bool) -> dict[str, Any]:
    """Throughput runs measure both kinds of traffic; the other sizes one short run (memory under load)."""
    print(f"    serve --workers {workers} ({label}) ...", flush=True)
    traffic = ("unique", "repeat") if throughput else ("unique",)
    duration = timing["duration_s"] if throughput else timing["duration_s"] / 2
    return serve.run_server(env, workers, bodies, folder / f"serve-{label}-w{workers}.log", clients=8,
                            warmup_s=timing["warmup_s"], duration_s=duration, traffic=traffic)


def one_size(size: int, real: list[Any], real_vecs: dict[str, Any], embedder: Any, profiles: list[Any],
             work: Path, timing: dict[str, Any]) -> dict[str, Any]:
    print(f"  scale: {size} programmes ...", flush=True)
    programmes, vectors = synth.build(real, real_vecs, embedder.model_id, size)
    folder = work / f"scale-{size}"
    url = catalogue_db.fresh_sqlite(folder)
    prepared = _prepare(url, folder, programmes, vectors)
    del programmes, vectors
    gc.collect()
    out: dict[str, Any] = {"programmes": size, "db_load_s": prepared["db_load_s"],
                           "index_build": prepared["index_build"]}
    out.update(_latency(url, folder, embedder, profiles, int(timing["queries"])))
    bodies = [p.model_dump(mode="json", exclude_none=True) for p in profiles]
    busy = size == THROUGHPUT_SIZE
    out["serve"] = {"sqlite_w1": _serve(prepared["env"], 1, bodies, folder, "sqlite", timing, throughput=busy)}
    if busy:
        out["serve"]["sqlite_w2"] = _serve(prepared["env"], 2, bodies, folder, "sqlite", timing, throughput=True)
    return out


def postgres(real: list[Any], real_vecs: dict[str, Any], embedder: Any, profiles: list[Any], work: Path,
             timing: dict[str, Any]) -> dict[str, Any]:
    from tests.pg import start_cluster

    cluster = start_cluster()
    if cluster is None:
        return {"skipped": "PostgreSQL server binaries not found"}
    print(f"  scale: {THROUGHPUT_SIZE} programmes on PostgreSQL ...", flush=True)
    try:
        programmes, vectors = synth.build(real, real_vecs, embedder.model_id, THROUGHPUT_SIZE)
        folder = work / f"scale-{THROUGHPUT_SIZE}-pg"
        catalogue_db.fresh_sqlite(folder)  # only a clean data dir (index cache, logs)
        url = catalogue_db.fresh_postgres(cluster, "bench")
        prepared = _prepare(url, folder, programmes, vectors)
        del programmes, vectors
        bodies = [p.model_dump(mode="json", exclude_none=True) for p in profiles]
        return {"programmes": THROUGHPUT_SIZE, "db_load_s": prepared["db_load_s"],
                "index_build": prepared["index_build"],
                "serve": {f"postgres_w{w}": _serve(prepared["env"], w, bodies, folder, "postgres", timing,
                                                   throughput=True) for w in (1, 2)}}
    finally:
        cluster.stop()


def run(real: list[Any], real_vecs: dict[str, Any], embedder: Any, profiles: list[Any], sizes: list[int],
        work: Path, timing: dict[str, Any], *, with_postgres: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {str(size): one_size(size, real, real_vecs, embedder, profiles, work, timing)
                           for size in sizes}
    if with_postgres:
        out["postgres"] = postgres(real, real_vecs, embedder, profiles, work, timing)
    return out
