"""A bounded load generator for POST /api/v1/match: N concurrent clients (asyncio + httpx) on loopback.

Each client sends the next profile of the eval cases as soon as its previous answer arrived (closed loop),
for a warm-up that is not counted and then for a fixed number of seconds. Two kinds of traffic:
``repeat`` cycles through the 75 profiles (the server's query-vector cache answers after the first round,
as for a what-if, an export after a match or the newsletter's saved profiles), ``unique`` appends a
request number to every idea, so every query is embedded. The client's own CPU time is recorded too: it
shares the machine's cores with the server.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil

from bench.common import percentiles


def _unique(bodies: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    run = secrets.token_hex(3)  # never the same text twice, not even across runs against one server
    for n, body in enumerate(itertools.cycle(bodies)):
        project = {**body["project"], "idea": f"{body['project']['idea']} (Anfrage {run}-{n})"}
        yield {**body, "project": project}


async def _client(http: httpx.AsyncClient, url: str, bodies: Iterator[dict[str, Any]], until: float,
                  warm_until: float, stats: dict[str, Any]) -> None:
    while (now := time.perf_counter()) < until:
        body = next(bodies)
        try:
            r = await http.post(url, json=body, timeout=60)
            ok, status = r.status_code == 200, str(r.status_code)
        except httpx.HTTPError as e:
            ok, status = False, type(e).__name__
        done = time.perf_counter()
        if now < warm_until:
            continue
        if ok:
            stats["latencies"].append((done - now) * 1000)
        else:
            stats["errors"][status] = stats["errors"].get(status, 0) + 1


async def _run(base: str, bodies: list[dict[str, Any]], clients: int, warmup_s: float, duration_s: float,
               top: int, traffic: str) -> dict[str, Any]:
    stats: dict[str, Any] = {"latencies": [], "errors": {}}
    cycle = _unique(bodies) if traffic == "unique" else itertools.cycle(bodies)
    start = time.perf_counter()
    warm_until, until = start + warmup_s, start + warmup_s + duration_s
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits) as http:
        url = f"/api/v1/match?top={top}"
        await asyncio.gather(*(_client(http, url, cycle, until, warm_until, stats) for _ in range(clients)))
    measured = max(time.perf_counter() - warm_until, 1e-9)
    ok, errors = len(stats["latencies"]), sum(stats["errors"].values())
    return {"traffic": traffic, "clients": clients, "duration_s": round(measured, 1), "requests": ok + errors, "ok": ok,
            "errors": stats["errors"], "error_rate": round(errors / max(ok + errors, 1), 4),
            "matches_per_s": round(ok / measured, 1), "latency_ms": percentiles(stats["latencies"])}


def run(base: str, bodies: list[dict[str, Any]], *, clients: int, warmup_s: float, duration_s: float,
        traffic: str = "repeat", top: int = 10) -> dict[str, Any]:
    me = psutil.Process()
    cpu0 = sum(me.cpu_times()[:2])
    result = asyncio.run(_run(base, bodies, clients, warmup_s, duration_s, top, traffic))
    result["client_cpu_s"] = round(sum(me.cpu_times()[:2]) - cpu0, 1)
    return result
