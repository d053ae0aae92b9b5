"""Matching a profile against the catalogue: hybrid relevance, then eligibility and Eigenanteil per programme."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from catalog.filters import allows_country
from catalog.schema import ProgrammeIn
from catalog.status import next_deadline, status
from matcher.contribution import MAX_COFUNDING, cofunding_candidates, fits_cofunding, own_contribution
from matcher.eligibility import RuleContext, assess
from matcher.embed import Embedder
from matcher.index import Index
from matcher.language import detect_language
from matcher.profile import Profile
from matcher.rank import dense_scores, per_programme_max, rrf, top_k

# How much a verdict or call state moves a programme down: flagged and lower, never dropped.
VERDICT_FACTOR = {"eligible": 1.0, "unclear": 0.93, "ineligible": 0.55}
STATUS_FACTOR = {"closed": 0.85, "paused": 0.9}
# Share of the profile's partner countries a programme accepts moves it by up to ±15 %: a Franco-German
# fund suits a French partner, not a five-country network that merely includes France.
COVERAGE_SPAN = (0.85, 1.15)
CANDIDATES = 60
# The most a profile factor can lift a score: bounds what a not yet judged programme could still reach.
MAX_FACTOR = max(VERDICT_FACTOR.values()) * COVERAGE_SPAN[1]


@dataclass
class MatchOptions:
    top: int = 10
    only_eligible: bool = False
    mode: str = "hybrid"  # hybrid | dense | lexical (baselines for evaluation)
    today: dt.date | None = None


@dataclass
class Relevance:
    scores: np.ndarray  # per programme, fused
    passage_scores: np.ndarray  # per passage: dense if used, else lexical
    starts: np.ndarray  # programme i owns passages starts[i]..starts[i+1]
    language: str
    timings: dict[str, float] = field(default_factory=dict)

    def best_passage(self, i: int) -> int:
        """The programme's best passage (the first of equals), as an index over all passages."""
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return lo + int(np.argmax(self.passage_scores[lo:hi]))


def query_text(profile: Profile) -> str:
    return " ".join([profile.project.idea, *profile.project.themes]).strip()


def relevance(index: Index, embedder: Embedder | None, profile: Profile, *, mode: str = "hybrid",
              lexical_weight: float = 1.0) -> Relevance:
    """Per-programme relevance. Lexical fusion only for German queries: it cannot cross languages."""
    t0 = time.perf_counter()
    text = query_text(profile)
    lang = detect_language(text)
    n = len(index.programmes)
    lists: list[np.ndarray] = []
    weights: list[float] = []
    passage_scores = np.zeros(int(index.starts[-1]), dtype=np.float32)
    timings: dict[str, float] = {}
    use_dense = index.dense is not None and embedder is not None and mode in ("hybrid", "dense")
    if use_dense:
        assert embedder is not None and index.dense is not None
        qv = embedder.embed_queries([text])[0]
        timings["embed_ms"] = (time.perf_counter() - t0) * 1000
        passage_scores = dense_scores(index.dense, qv)
        lists.append(per_programme_max(passage_scores, index.starts))
        weights.append(1.0)
    if mode == "lexical" or not use_dense or (mode == "hybrid" and lang == "de" and lexical_weight > 0):
        lex = index.lexical.scores(text)
        if not use_dense:
            passage_scores = lex
        lists.append(per_programme_max(lex, index.starts))
        weights.append(lexical_weight if use_dense else 1.0)
    fused = rrf(lists, weights) if n else np.zeros(0)
    timings["retrieve_ms"] = (time.perf_counter() - t0) * 1000 - timings.get("embed_ms", 0.0)
    return Relevance(fused, passage_scores, index.starts, lang, timings)


def partner_coverage(profile: Profile, p: ProgrammeIn) -> float | None:
    """Share of the profile's partner countries the programme names or lists; None if nothing to say."""
    rule, countries = p.rules.partner_rule, profile.partner_countries()
    if rule is None or not countries or not (rule.countries or rule.lists):
        return None
    return sum(allows_country(rule, c) is True for c in countries) / len(countries)


def profile_factor(profile: Profile, p: ProgrammeIn, verdict: str, today: dt.date) -> float:
    state = status(p, today)
    # A closed call that recurs is "next call expected", not gone: it keeps its place.
    factor = VERDICT_FACTOR[verdict] * (1.0 if state == "closed" and p.rhythm else STATUS_FACTOR.get(state, 1.0))
    coverage = partner_coverage(profile, p)
    if coverage is not None:
        low, high = COVERAGE_SPAN
        factor *= low + (high - low) * coverage
    return factor


def match(index: Index, embedder: Embedder | None, profile: Profile, options: MatchOptions, *,
          preparation_days: int = 14, lexical_weight: float = 1.0) -> dict[str, Any]:
    today = options.today or dt.date.today()
    rel = relevance(index, embedder, profile, mode=options.mode, lexical_weight=lexical_weight)
    t0 = time.perf_counter()
    ctx = RuleContext(today=today, preparation_days=preparation_days)
    judged = _judge_eligible(index, rel, profile, options, ctx) if options.only_eligible else [
        _judge(index, rel, profile, int(i), ctx) for i in top_k(rel.scores, max(CANDIDATES, options.top * 3))
    ]
    judged.sort(key=lambda t: -t[0])
    rel.timings["eligibility_ms"] = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    matches = [
        _match_entry(rank, index, int(i), score, verdict, profile, today, rel)
        for rank, (score, i, verdict) in enumerate(judged[: options.top], start=1)
    ]
    rel.timings["entries_ms"] = (time.perf_counter() - t0) * 1000
    return {"id": profile.id, "language": rel.language, "matches": matches, "timings": rel.timings}


def _judge(index: Index, rel: Relevance, profile: Profile, i: int, ctx: RuleContext) -> tuple[float, int, Any]:
    p = index.programmes[i]
    verdict = assess(profile, p, ctx)
    return float(rel.scores[i]) * profile_factor(profile, p, verdict.verdict, ctx.today), i, verdict


def _judge_eligible(index: Index, rel: Relevance, profile: Profile, options: MatchOptions,
                    ctx: RuleContext) -> list[tuple[float, int, Any]]:
    """Eligible programmes only: judged in order of relevance, stopping once no programme not yet judged
    could still reach the top (its score times the largest profile factor falls below the top-th)."""
    order = top_k(rel.scores, len(rel.scores))
    judged: list[tuple[float, int, Any]] = []
    for start in range(0, len(order), CANDIDATES):
        for i in order[start : start + CANDIDATES]:
            found = _judge(index, rel, profile, int(i), ctx)
            if found[2].verdict == "eligible":
                judged.append(found)
        rest = order[start + CANDIDATES : start + CANDIDATES + 1]
        if len(judged) >= options.top and len(rest):
            kth = sorted(-t[0] for t in judged)[options.top - 1]
            if rel.scores[rest[0]] * MAX_FACTOR < -kth:
                break
    return judged


def _match_entry(rank: int, index: Index, i: int, score: float, verdict: Any, profile: Profile,
                 today: dt.date, rel: Relevance) -> dict[str, Any]:
    p = index.programmes[i]
    nd = next_deadline(p, today)
    contribution = own_contribution(profile, p)
    entry = {
        "rank": rank, "programme_id": p.id, "title": p.title, "short_name": p.short_name,
        "funder": p.funder, "level": p.level, "url": p.url, "score": round(min(score, 1.0), 4),
        "status": status(p, today),
        "next_call_expected": p.rhythm if status(p, today) == "closed" and p.rhythm else None,
        "next_deadline": nd.model_dump(mode="json", exclude_none=True) if nd else None,
        "eligibility": {"verdict": verdict.verdict, "checks": [c.as_dict() for c in verdict.checks]},
        "own_contribution": contribution.as_dict(),
        "why": _why(index, i, rel, verdict),
    }
    cofund = cofunding_candidates(profile, p, _CofundingPool(index, profile))
    if cofund:
        entry["cofunding"] = cofund
    return entry


def _why(index: Index, i: int, rel: Relevance, verdict: Any) -> list[str]:
    passage = index.passage(i, rel.best_passage(i))
    reasons = [f"Passende Textstelle: „{_clip(passage, 240)}“"]
    reasons += [c.reason for c in verdict.checks if c.verdict == "eligible"][:2]
    return reasons


class _CofundingPool:
    """The first programmes (in catalogue order) that could co-fund this applicant: computed when the
    Eigenanteil calls for co-funding at all, and kept per applicant type and partner countries."""

    def __init__(self, index: Index, profile: Profile) -> None:
        self.index, self.profile = index, profile

    def __iter__(self) -> Iterator[ProgrammeIn]:
        key = ("cofunding", self.profile.applicant.type, tuple(self.profile.partner_countries()))
        pool = self.index.memo.get(key)
        if pool is None:
            positions = self.index.cofunding.get(self.profile.applicant.type, np.zeros(0, dtype=np.int64))
            candidates = (self.index.programmes[int(i)] for i in positions)
            # One more than shown: the programme itself may be among them.
            pool = list(islice((c for c in candidates if fits_cofunding(self.profile, c)), MAX_COFUNDING + 1))
            if len(self.index.memo) > 1024:
                self.index.memo.clear()
            self.index.memo[key] = pool
        return iter(pool)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: text.rfind(" ", 0, n)] + " …"
