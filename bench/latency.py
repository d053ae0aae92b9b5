"""Match latency in process (warm, one client), phase by phase.

Phases: query embedding and retrieval as ``matcher.service`` reports them (``embed_ms``, ``retrieve_ms``),
eligibility (``eligibility_ms``: judging the candidates), and serialisation: building the match entries
(Eigenanteil, next deadline, co-funding, best passage) plus ``json.dumps`` of the result, i.e. everything
after eligibility. Queries are the eval cases' profiles (German and English), embedded for real.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.common import TODAY, percentiles
from matcher.service import MatchOptions, match


def measure_queries(index: Any, embedder: Any, profiles: list[Any], n: int, *, mode: str = "hybrid",
                    warmup: int = 5) -> dict[str, Any]:
    phases: dict[str, list[float]] = {k: [] for k in ("embed", "retrieve", "eligibility", "serialise", "total")}
    options = MatchOptions(top=10, mode=mode, today=TODAY)
    for i in range(warmup + n):
        profile = profiles[i % len(profiles)]
        t0 = time.perf_counter()
        result = match(index, embedder, profile, options)
        body = json.dumps(result, ensure_ascii=False)
        total = (time.perf_counter() - t0) * 1000
        if i < warmup or not body:
            continue
        t = result["timings"]
        timed = t.get("embed_ms", 0.0) + t.get("retrieve_ms", 0.0) + t.get("eligibility_ms", 0.0)
        phases["embed"].append(t.get("embed_ms", 0.0))
        phases["retrieve"].append(t.get("retrieve_ms", 0.0))
        phases["eligibility"].append(t.get("eligibility_ms", 0.0))
        phases["serialise"].append(max(total - timed, 0.0))
        phases["total"].append(total)
    return {k: percentiles(v) for k, v in phases.items()}
