"""`foerdermatch serve` as a user runs it: index build, start-up, memory and throughput.

For each catalogue size a database is filled (bench/catalogue_db.py), the index is built once with
`foerdermatch index build` (time and peak RSS of that process), then `foerdermatch serve --workers N`
is started: start-up is the time to a 200 from /health and to the first match answered (the index is
loaded then); memory is the peak RSS of the server's process tree while under load (psutil, sampled
every 0.1 s); throughput comes from bench/loadgen.py. The match rate limit is raised for the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import loadgen
from bench.common import MODELS, REPO, RssSampler, load_average
from tests.processes import free_port, stop

READY_TIMEOUT_S = 600


def server_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOERDERMATCH_")}
    env.update({"FOERDERMATCH_DATA_DIR": str(data_dir), "FOERDERMATCH_MODEL_CACHE_DIR": str(MODELS),
                "FOERDERMATCH_MATCH_RATE_LIMIT": "1000000000", "FOERDERMATCH_MATCH_RATE_WINDOW_S": "1",
                "PYTHONUNBUFFERED": "1"})
    if database_url:
        env["FOERDERMATCH_DATABASE_URL"] = database_url
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


def build_index(env: dict[str, str], log: Path) -> dict[str, Any]:
    """`foerdermatch index build` in its own process: wall time and peak RSS."""
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cli("index", "build"), env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        with RssSampler(proc.pid, 0.2) as rss:
            code = proc.wait(timeout=3600)
    if code != 0:
        raise RuntimeError(f"index build failed ({code}); see {log}")
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_rss_mb": round(rss.peak_total),
            "load_average": load_average()}


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    started: float
    log: Any

    def stop(self) -> None:
        stop(self.proc, timeout=30)  # uvicorn's supervisor stops its workers on SIGTERM
        self.log.close()


def start(env: dict[str, str], workers: int, log: Path) -> Server:
    port = free_port()
    out = open(log, "w")  # noqa: SIM115 - closed by Server.stop
    proc = subprocess.Popen(cli("serve", "--workers", str(workers), "--port", str(port)), env=env, cwd=REPO,
                            stdout=out, stderr=subprocess.STDOUT)
    return Server(proc, f"http://127.0.0.1:{port}", time.perf_counter(), out)


def wait_ready(server: Server, body: dict[str, Any]) -> dict[str, float]:
    """Seconds from launch to a 200 from /health, and to the first match answered."""
    deadline = server.started + READY_TIMEOUT_S
    with httpx.Client(base_url=server.base, timeout=READY_TIMEOUT_S) as http:
        while True:
            if server.proc.poll() is not None:
                raise RuntimeError(f"server exited with {server.proc.returncode}; see {server.log.name}")
            if time.perf_counter() > deadline:
                raise RuntimeError("server not ready in time")
            try:
                if http.get("/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        health = time.perf_counter() - server.started
        r = http.post("/api/v1/match?top=10", json=body)
        r.raise_for_status()
        first = time.perf_counter() - server.started
    return {"health_s": round(health, 2), "first_match_s": round(first, 2)}


def run_server(env: dict[str, str], workers: int, bodies: list[dict[str, Any]], log: Path, *, clients: int,
               warmup_s: float, duration_s: float, traffic: tuple[str, ...] = ("unique", "repeat")) -> dict[str, Any]:
    server = start(env, workers, log)
    loads = {}
    try:
        with RssSampler(server.proc.pid) as rss:
            ready = wait_ready(server, bodies[0])
            idle_total, _ = rss.now()
            for kind in traffic:
                loads[kind] = loadgen.run(server.base, bodies, clients=clients, warmup_s=warmup_s,
                                          duration_s=duration_s, traffic=kind)
    finally:
        server.stop()
    return {"workers": workers, "startup": ready, "rss_ready_mb": round(idle_total),
            "peak_rss_mb": round(rss.peak_total), "peak_rss_one_process_mb": round(rss.peak_single),
            "load": loads, "load_average": load_average()}
