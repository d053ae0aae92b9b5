"""Indexing through the live path (database -> MatchRuntime -> build -> disk cache), with the real e5 model.

- Full build of the real catalogue (92 programmes, ~370 passages) into an empty vector store: passages/s.
- Incremental update after 1 % of the programmes changed (one sentence added to their text): only the
  changed passages are embedded; the lexical index and the disk cache are rebuilt whole.
Both on the real catalogue and on a synthetic 1,000-programme catalogue (1 % = 10 programmes).
Memory: the peak RSS of this process while building (the loaded model included).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bench import catalogue_db, synth
from bench.common import RssSampler, load_average, settings
from catalog import store
from catalog.schema import ProgrammeIn
from matcher.runtime import MatchRuntime


class _EmbedTimer:
    """Counts the seconds the embedder spends on passages (the rest of a build is lexical and I/O)."""

    def __init__(self, embedder: Any) -> None:
        self.embedder, self.seconds, self.original = embedder, 0.0, embedder.embed_passages

    def __enter__(self) -> _EmbedTimer:
        def timed(texts: list[str]) -> Any:
            t0 = time.perf_counter()
            try:
                return self.original(texts)
            finally:
                self.seconds += time.perf_counter() - t0

        self.embedder.embed_passages = timed
        return self

    def __exit__(self, *exc: object) -> None:
        del self.embedder.embed_passages  # back to the class's method


def _timed_build(rt: MatchRuntime) -> dict[str, Any]:
    with RssSampler(os.getpid(), 0.05) as rss, _EmbedTimer(rt.embedder) as timer:
        t0 = time.perf_counter()
        stats = dict(rt.index().stats)
        seconds = time.perf_counter() - t0
    embedded = stats.get("embedded", 0)
    return {"seconds": round(seconds, 2), "embed_seconds": round(timer.seconds, 2), "embedded": embedded,
            "reused": stats.get("reused", 0), "passages": stats.get("passages", 0),
            "passages_per_s": round(embedded / timer.seconds, 1) if embedded and timer.seconds else None,
            "peak_rss_mb": round(rss.peak_total)}


def _change(engine: Any, programmes: list[ProgrammeIn], share: float) -> int:
    """Add a sentence to the text of every 1/share-th programme (at least one); returns how many."""
    step = max(int(1 / share), 1)
    changed = programmes[::step][: max(int(len(programmes) * share), 1)]
    with Session(engine) as s, s.begin():
        for p in changed:
            note = " Neu: Anträge können ab sofort auch digital über das Förderportal gestellt werden."
            store.upsert_programme(s, p.model_copy(update={"text": p.text + note}))
    return len(changed)


def one_catalogue(folder: Path, programmes: list[ProgrammeIn], vectors: Any, embedder: Any) -> dict[str, Any]:
    url = catalogue_db.fresh_sqlite(folder)
    engine = catalogue_db.load(url, programmes, vectors)
    rt = MatchRuntime(engine, settings(data_dir=folder), embedder=embedder)
    full = _timed_build(rt)
    changed = _change(engine, programmes, 0.01)
    time.sleep(0.01)  # a new last_changed: the catalogue stamp moves on
    incremental = _timed_build(rt)
    engine.dispose()
    return {"programmes": len(programmes), "full": full, "changed_programmes": changed,
            "incremental": incremental, "load_average": load_average()}


def run(real: list[ProgrammeIn], real_vecs: dict[str, Any], embedder: Any, work: Path) -> dict[str, Any]:
    print("  indexing: real catalogue, full and 1 % changed ...", flush=True)
    out = {"real": one_catalogue(work / "index-real", real, None, embedder)}
    print("  indexing: 1,000 programmes (synthetic vectors stored), 1 % changed ...", flush=True)
    programmes, vectors = synth.build(real, real_vecs, embedder.model_id, 1000)
    out["synthetic_1k"] = one_catalogue(work / "index-1k", programmes, vectors, embedder)
    return out
