"""Stored passage vectors, keyed by model and passage-text hash, so unchanged passages are never re-embedded."""

from __future__ import annotations

import hashlib

import numpy as np
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from catalog.models import PassageVector


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class VectorStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with Session(self.engine) as s:
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                query = select(PassageVector).where(
                    PassageVector.model_id == model_id, col(PassageVector.text_hash).in_(chunk)
                )
                for row in s.exec(query):
                    found[row.text_hash] = np.frombuffer(row.vector, dtype=np.float32)
        return found

    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        """Store new vectors. Several API processes may embed the same new passages at once (a cold start, a
        crawl): a vector another one stored first is kept, not a unique-key error that fails the match."""
        rows = [{"model_id": model_id, "text_hash": h, "vector": v.astype(np.float32).tobytes()}
                for h, v in vectors.items()]
        if not rows:
            return
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        with Session(self.engine) as s, s.begin():
            for i in range(0, len(rows), 500):  # bound the statement's parameters (SQLite has a limit)
                s.execute(insert(PassageVector).values(rows[i : i + 500]).on_conflict_do_nothing())
