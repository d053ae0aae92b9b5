"""Match quality on adviser-labelled cases: hit@k, MRR, nDCG@5 and eligibility accuracy, per retrieval mode."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from catalog.schema import ProgrammeIn
from matcher.embed import Embedder
from matcher.index import Index
from matcher.profile import Profile
from matcher.service import MatchOptions, match


@dataclass
class RankCase:
    id: str
    profile: Profile
    patterns: list[re.Pattern[str]]


@dataclass
class VerdictCase:
    id: str
    profile: Profile
    programme: re.Pattern[str]
    verdict: str | None
    verdict_not: str | None


@dataclass
class CaseSet:
    k: int
    ranking: list[RankCase] = field(default_factory=list)
    verdicts: list[VerdictCase] = field(default_factory=list)


def load_cases(*paths: Path) -> CaseSet:
    """Cases in the form of ../shared/eval/dev_cases.yaml; several files are merged."""
    out = CaseSet(k=5)
    for path in paths:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.k = raw.get("k", out.k)
        profiles: dict[str, Profile] = {}
        for c in raw["cases"]:
            if "profile" in c:
                profiles[c["id"]] = Profile.model_validate(c["profile"])
                patterns = [re.compile(p, re.IGNORECASE) for p in c["expect_any"]]
                out.ranking.append(RankCase(c["id"], profiles[c["id"]], patterns))
        for c in raw.get("eligibility", []) + [c for c in raw["cases"] if "profile_of" in c]:
            if "profile_of" in c:
                out.verdicts.append(VerdictCase(c["id"], profiles[c["profile_of"]],
                                                re.compile(c["programme"], re.IGNORECASE),
                                                c.get("verdict"), c.get("verdict_not")))
    return out


def is_hit(p: ProgrammeIn, patterns: list[re.Pattern[str]]) -> bool:
    return any(pat.search(_names(p)) for pat in patterns)


def ndcg(relevances: list[int], n_relevant: int, k: int) -> float:
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(relevances[:k]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_relevant)))
    return dcg / ideal if ideal else 0.0


def rank_metrics(ranked: list[ProgrammeIn], case: RankCase, catalogue: Sequence[ProgrammeIn],
                 k: int) -> dict[str, float]:
    rel = [int(is_hit(p, case.patterns)) for p in ranked]
    first = next((i for i, r in enumerate(rel) if r), None)
    n_relevant = sum(is_hit(p, case.patterns) for p in catalogue)
    return {
        f"hit@{k}": float(first is not None and first < k),
        "hit@1": float(first == 0),
        "mrr": 1.0 / (first + 1) if first is not None else 0.0,
        "ndcg@5": ndcg(rel, n_relevant, 5),
    }


def verdict_ok(case: VerdictCase, result: dict[str, Any], by_id: dict[str, ProgrammeIn]) -> bool | None:
    """Judge the verdict shown for the programme the coordinator would see first among those the
    pattern names (a pattern like 'kleinprojektefonds' fits several funds). None: no such programme."""
    shown = [m for m in result["matches"] if case.programme.search(_names(by_id[m["programme_id"]]))]
    if not shown:
        return None
    verdict = shown[0]["eligibility"]["verdict"]
    return verdict == case.verdict if case.verdict else verdict != case.verdict_not


def _names(p: ProgrammeIn) -> str:
    return f"{p.title} {p.short_name or ''}"


def evaluate(cases: CaseSet, index: Index, embedder: Embedder | None, *, mode: str,
             today: dt.date | None = None, preparation_days: int = 14) -> dict[str, Any]:
    by_id = {p.id: p for p in index.programmes}
    per_case, latencies = {}, []
    for case in cases.ranking:
        t0 = time.perf_counter()
        result = match(index, embedder, case.profile, MatchOptions(top=20, mode=mode, today=today),
                       preparation_days=preparation_days)
        latencies.append((time.perf_counter() - t0) * 1000)
        ranked = [by_id[m["programme_id"]] for m in result["matches"]]
        per_case[case.id] = rank_metrics(ranked, case, index.programmes, cases.k)
    summary: dict[str, float | None] = {
        m: round(statistics.mean(c[m] for c in per_case.values()), 3) for m in next(iter(per_case.values()))
    }
    summary["median_ms"] = round(statistics.median(latencies), 1)
    everything = MatchOptions(top=len(index.programmes), mode=mode, today=today)
    checked = {c.id: verdict_ok(c, match(index, embedder, c.profile, everything, preparation_days=preparation_days),
                                by_id) for c in cases.verdicts}
    judged = [ok for ok in checked.values() if ok is not None]
    summary["eligibility_accuracy"] = round(sum(judged) / len(judged), 3) if judged else None
    misses = [cid for cid, m in per_case.items() if not m[f"hit@{cases.k}"]]
    return {"mode": mode, "summary": summary, "misses": misses,
            "verdict_failures": [cid for cid, ok in checked.items() if ok is False],
            "verdict_gaps": [cid for cid, ok in checked.items() if ok is None]}
