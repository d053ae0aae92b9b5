"""Quality for the cost: hit@5 and nDCG@5 on the eval cases (dev + own), per retrieval mode, with latency.

Modes: hybrid (what the service does), dense only, lexical only (char n-gram TF-IDF), each through
matcher.evaluate on the 92 real programmes with the real model, and plain word BM25 over whole programme
texts (bench/bm25.py), which ranks only: no eligibility, no profile factors. Latency is the median per
query: for the matcher modes a whole match of 20 results (query embedding, eligibility, Eigenanteil
included), for BM25 the ranking alone. Ratios compare figures of this same run.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.bm25 import BM25
from bench.common import CASE_FILES, TODAY
from catalog.schema import ProgrammeIn
from matcher.evaluate import evaluate, load_cases, rank_metrics
from matcher.index import build_index
from matcher.service import query_text

MODES = ("hybrid", "dense", "lexical")


class _Vectors:
    def __init__(self, vectors: dict[str, Any]) -> None:
        self.vectors = vectors

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, Any]:
        return {h: self.vectors[h] for h in hashes if h in self.vectors}

    def put_many(self, model_id: str, vectors: dict[str, Any]) -> None:
        self.vectors.update(vectors)


def _bm25(cases: Any, programmes: list[ProgrammeIn]) -> dict[str, Any]:
    bm25 = BM25([p.full_text() for p in programmes])
    per_case, latencies = [], []
    for case in cases.ranking:
        t0 = time.perf_counter()
        scores = bm25.scores(query_text(case.profile))
        ranked = [programmes[i] for i in sorted(range(len(programmes)), key=lambda i: -scores[i])[:20]]
        latencies.append((time.perf_counter() - t0) * 1000)
        per_case.append(rank_metrics(ranked, case, programmes, cases.k))
    summary = {m: round(statistics.mean(c[m] for c in per_case), 3) for m in per_case[0]}
    return {**summary, "median_ms": round(statistics.median(latencies), 2)}


def run(real: list[ProgrammeIn], real_vecs: dict[str, Any], embedder: Any) -> dict[str, Any]:
    cases = load_cases(*(p for p in CASE_FILES if p.exists()))
    index = build_index(real, embedder, _Vectors(dict(real_vecs)))
    out: dict[str, Any] = {"cases": {"ranking": len(cases.ranking), "eligibility": len(cases.verdicts)},
                           "files": [p.name for p in CASE_FILES if p.exists()]}
    for mode in MODES:
        print(f"  quality: {mode} ...", flush=True)
        out[mode] = evaluate(cases, index, embedder, mode=mode, today=TODAY)["summary"]
    print("  quality: word BM25 ...", flush=True)
    out["bm25"] = _bm25(cases, real)
    base = out["bm25"]
    out["ratios_to_bm25"] = {
        mode: {m: round(out[mode][m] / base[m], 2) if base[m] else None for m in ("hit@5", "ndcg@5", "median_ms")}
        for mode in MODES
    }
    return out
