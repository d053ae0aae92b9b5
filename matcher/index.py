"""The search index over a catalogue: passages, their lexical matrix and (when a model is loaded) vectors."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from tqdm import tqdm

from catalog.passages import programme_passages
from catalog.schema import ProgrammeIn
from catalog.vectors import text_hash
from matcher.embed import Embedder
from matcher.lexical import LexicalIndex

log = logging.getLogger(__name__)


class VectorCache(Protocol):
    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]: ...
    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None: ...


@dataclass
class Index:
    programmes: list[ProgrammeIn]
    passages: list[str]
    owner: np.ndarray  # passage -> programme position
    lexical: LexicalIndex
    dense: np.ndarray | None = None  # passages x dim, L2-normalised
    stats: dict[str, int] = field(default_factory=dict)


def build_index(
    programmes: list[ProgrammeIn], embedder: Embedder | None, cache: VectorCache | None = None,
    *, progress: bool = False, batch: int = 32,
) -> Index:
    passages: list[str] = []
    owner: list[int] = []
    for i, p in enumerate(programmes):
        for text in programme_passages(p):
            passages.append(text)
            owner.append(i)
    index = Index(programmes, passages, np.asarray(owner, dtype=np.int64), LexicalIndex(passages))
    index.stats = {"programmes": len(programmes), "passages": len(passages), "embedded": 0, "reused": 0}
    if embedder is not None and passages:
        index.dense = _vectors(passages, embedder, cache, index.stats, progress=progress, batch=batch)
    return index


def _vectors(
    passages: list[str], embedder: Embedder, cache: VectorCache | None, stats: dict[str, int],
    *, progress: bool, batch: int,
) -> np.ndarray:
    hashes = [text_hash(t) for t in passages]
    known = cache.get_many(embedder.model_id, sorted(set(hashes))) if cache else {}
    missing = sorted({h: t for h, t in zip(hashes, passages, strict=True) if h not in known}.items())
    fresh: dict[str, np.ndarray] = {}
    bar = tqdm(total=len(missing), desc="embedding passages", unit="passage", disable=not progress)
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = embedder.embed_passages([t for _, t in chunk])
        fresh.update({h: v for (h, _), v in zip(chunk, vectors, strict=True)})
        bar.update(len(chunk))
    bar.close()
    if cache and fresh:
        cache.put_many(embedder.model_id, fresh)
    stats["embedded"], stats["reused"] = len(fresh), len(hashes) - sum(h in fresh for h in hashes)
    known.update(fresh)
    return np.vstack([known[h] for h in hashes]).astype(np.float32)
