"""Ranking as pure functions over arrays: passage scores to programme scores, and rank fusion."""

from __future__ import annotations

import numpy as np

RRF_K = 60


def per_programme_max(passage_scores: np.ndarray, owner: np.ndarray, n_programmes: int) -> np.ndarray:
    """Each programme's best passage score (a programme matches where its best passage matches)."""
    out = np.full(n_programmes, -1.0, dtype=np.float32)
    np.maximum.at(out, owner, passage_scores.astype(np.float32))
    return out


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry, best score first."""
    order = np.argsort(-scores, kind="stable")
    r = np.empty_like(order)
    r[order] = np.arange(1, len(scores) + 1)
    return r


def rrf(score_lists: list[np.ndarray], weights: list[float], k: int = RRF_K) -> np.ndarray:
    """Weighted reciprocal-rank fusion, scaled so that first place in every list gives 1.0."""
    total = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, w in zip(score_lists, weights, strict=True):
        total += w / (k + ranks(scores))
    return total * (k + 1) / max(sum(weights), 1e-9)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first (argpartition keeps this cheap on large catalogues)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
