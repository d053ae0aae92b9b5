"""Databases holding a synthetic catalogue and its passage vectors, for the benchmarks that run `serve`.

Rows are bulk-inserted (programme rows and passage vectors only; no versions or events, which matching
never reads): going through ``store.upsert_programme`` would take minutes at 100,000 programmes and
measure the loader, not the matcher.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine

from bench.synth import SyntheticVectors
from catalog.db import open_database
from catalog.models import PassageVector, Programme, utcnow
from catalog.schema import ProgrammeIn

BATCH = 2000


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'foerdermatch.db'}"


def fresh_sqlite(folder: Path) -> str:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return sqlite_url(folder)


def fresh_postgres(cluster: Any, name: str) -> str:
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return str(cluster.url(name))


def _programme_row(p: ProgrammeIn) -> dict[str, Any]:
    data = p.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    now = utcnow()
    return {"id": p.id, "source": p.source, "source_key": p.source_key, "level": p.level, "title": p.title,
            "data": data, "content_hash": digest, "as_of": p.as_of, "first_seen": now, "last_seen": now,
            "last_changed": now, "gone_since": None, "missed_crawls": 0, "version": 1}


def load(url: str, programmes: list[ProgrammeIn], vectors: SyntheticVectors | None) -> Engine:
    """A migrated database at ``url`` holding the programmes and (when given) every passage vector."""
    engine = open_database(url)
    with engine.begin() as c:
        for i in range(0, len(programmes), BATCH):
            c.execute(insert(Programme.__table__), [_programme_row(p) for p in programmes[i : i + BATCH]])  # type: ignore[attr-defined]
    if vectors is not None:
        every = {**vectors.real, **vectors.vectors}
        rows = [{"model_id": vectors.model_id, "text_hash": h, "vector": np.asarray(v, np.float32).tobytes()}
                for h, v in every.items()]
        with engine.begin() as c:
            for i in range(0, len(rows), BATCH):
                c.execute(insert(PassageVector.__table__), rows[i : i + BATCH])  # type: ignore[attr-defined]
    return engine
