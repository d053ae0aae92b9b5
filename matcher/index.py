"""The search index over a catalogue: passage offsets, the lexical index and (when a model is loaded) vectors.

Passage texts are not kept: a programme's passages are recomputed when one is quoted. Dense vectors are
stored as float16 (half the memory; the eval figures are unchanged). ``save_index``/``load_index`` keep a
built index on disk so a process starts without re-reading and re-indexing the catalogue; a loaded index
reads programmes and lexical postings from its files on demand.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast, overload

import numpy as np
from tqdm import tqdm

from catalog.passages import programme_passages
from catalog.schema import APPLICANT_TYPES, ProgrammeIn
from catalog.vectors import text_hash
from matcher.contribution import COFUNDING_LEVELS
from matcher.embed import Embedder
from matcher.lexical import LexicalIndex

log = logging.getLogger(__name__)
FORMAT = 1  # of the files save_index writes; part of the cache key


class VectorCache(Protocol):
    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]: ...
    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None: ...


@dataclass
class Index:
    programmes: Sequence[ProgrammeIn]
    starts: np.ndarray  # int64, programmes + 1: programme i owns passages starts[i]..starts[i+1]
    lexical: LexicalIndex
    dense: np.ndarray | None = None  # passages x dim, float16, L2-normalised rows
    stats: dict[str, int] = field(default_factory=dict)
    # Positions of the programmes that could co-fund an applicant of each type (level, grant, type).
    cofunding: dict[str, np.ndarray] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)  # small per-index caches of the matcher

    def passage(self, i: int, j: int) -> str:
        """Passage j (an index over all passages) of programme i."""
        return programme_passages(self.programmes[i])[j - int(self.starts[i])]

    def nbytes(self) -> dict[str, int]:
        sizes = {"dense": self.dense.nbytes if self.dense is not None else 0, "offsets": self.starts.nbytes}
        return {**sizes, **self.lexical.nbytes()}


def build_index(
    programmes: Sequence[ProgrammeIn], embedder: Embedder | None, cache: VectorCache | None = None,
    *, progress: bool = False, batch: int = 32,
) -> Index:
    passages: list[str] = []
    starts = [0]
    for p in programmes:
        passages.extend(programme_passages(p))
        starts.append(len(passages))
    index = Index(programmes, np.asarray(starts, dtype=np.int64), LexicalIndex(passages),
                  cofunding=cofunding_positions(programmes))
    index.stats = {"programmes": len(programmes), "passages": len(passages), "embedded": 0, "reused": 0}
    if embedder is not None and passages:
        index.dense = _vectors(passages, embedder, cache, index.stats, progress=progress, batch=batch)
    return index


def cofunding_positions(programmes: Sequence[ProgrammeIn]) -> dict[str, np.ndarray]:
    """A pre-filter for matcher.contribution's co-funding rule (which checks every candidate again)."""
    found: dict[str, list[int]] = {t: [] for t in APPLICANT_TYPES}
    for i, p in enumerate(programmes):
        if p.level in COFUNDING_LEVELS and not p.rules.no_grant:
            for t in p.rules.applicant_types or []:
                found[t].append(i)
    return {t: np.asarray(v, dtype=np.int64) for t, v in found.items()}


def _vectors(
    passages: list[str], embedder: Embedder, cache: VectorCache | None, stats: dict[str, int],
    *, progress: bool, batch: int, lookup: int = 20_000,
) -> np.ndarray:
    """The passages' vectors as float16 rows: stored ones looked up a slice of hashes at a time (a dict of
    every vector would take twice the matrix), missing ones embedded and stored."""
    rows: dict[str, list[int]] = {}
    texts: dict[str, str] = {}
    for i, text in enumerate(passages):
        h = text_hash(text)
        rows.setdefault(h, []).append(i)
        texts[h] = text
    dense: np.ndarray | None = None
    missing: list[str] = []
    unique = sorted(rows)
    for start in range(0, len(unique), lookup):
        chunk = unique[start : start + lookup]
        known = cache.get_many(embedder.model_id, chunk) if cache else {}
        for h, v in known.items():
            dense = _put(dense, len(passages), rows[h], v)
        missing += [h for h in chunk if h not in known]
    bar = tqdm(total=len(missing), desc="embedding passages", unit="passage", disable=not progress)
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = embedder.embed_passages([texts[h] for h in chunk])
        if cache:
            cache.put_many(embedder.model_id, dict(zip(chunk, vectors, strict=True)))
        for h, v in zip(chunk, vectors, strict=True):
            dense = _put(dense, len(passages), rows[h], v)
        bar.update(len(chunk))
    bar.close()
    stats["embedded"] = len(missing)
    stats["reused"] = len(passages) - sum(len(rows[h]) for h in missing)
    assert dense is not None
    return dense


def _put(dense: np.ndarray | None, n: int, at: list[int], vector: np.ndarray) -> np.ndarray:
    if dense is None:
        dense = np.empty((n, len(vector)), dtype=np.float16)
    dense[at] = vector
    return dense


class ProgrammeFile(Sequence[ProgrammeIn]):
    """Programmes read on demand from a file of JSON records; the most recently used stay decoded."""

    def __init__(self, path: Path, offsets: np.ndarray, keep: int = 4096) -> None:
        self.offsets, self.keep = offsets, keep
        self._fd = os.open(path, os.O_RDONLY)
        self._decoded: OrderedDict[int, ProgrammeIn] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> ProgrammeIn: ...
    @overload
    def __getitem__(self, i: slice) -> list[ProgrammeIn]: ...
    def __getitem__(self, i: int | slice) -> ProgrammeIn | list[ProgrammeIn]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = int(i) + len(self) if i < 0 else int(i)
        if not 0 <= i < len(self):
            raise IndexError(i)
        with self._lock:
            found = self._decoded.get(i)
            if found is not None:
                self._decoded.move_to_end(i)
                return found
        begin, end = int(self.offsets[i]), int(self.offsets[i + 1])
        p = ProgrammeIn.model_validate_json(os.pread(self._fd, end - begin, begin))
        with self._lock:
            self._decoded[i] = p
            if len(self._decoded) > self.keep:
                self._decoded.popitem(last=False)
        return p

    def __iter__(self) -> Iterator[ProgrammeIn]:
        return (self[i] for i in range(len(self)))

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)


def save_index(index: Index, folder: Path) -> None:
    """Write the index to ``folder`` (atomically: a half-written folder is never seen)."""
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    offsets = [0]
    with open(tmp / "programmes.jsonl", "wb") as f:
        for p in index.programmes:
            offsets.append(offsets[-1] + f.write(p.model_dump_json().encode() + b"\n"))
    np.save(tmp / "programme_offsets.npy", np.asarray(offsets, dtype=np.int64))
    np.save(tmp / "passage_starts.npy", index.starts)
    if index.dense is not None:
        np.save(tmp / "dense.npy", index.dense)
    np.savez(tmp / "cofunding.npz", **cast(dict[str, Any], index.cofunding))
    index.lexical.save(tmp)
    (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "stats": index.stats}))
    try:
        tmp.rename(folder)
    except OSError:  # another process saved the same index first
        shutil.rmtree(tmp, ignore_errors=True)


def load_index(folder: Path) -> Index | None:
    """The index saved in ``folder``, or None when there is none (or it is unreadable or of an old format)."""
    if not (folder / "meta.json").exists():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != FORMAT:
            return None
        starts = np.load(folder / "passage_starts.npy")
        programmes = ProgrammeFile(folder / "programmes.jsonl", np.load(folder / "programme_offsets.npy"))
        dense = np.load(folder / "dense.npy") if (folder / "dense.npy").exists() else None
        with np.load(folder / "cofunding.npz") as z:
            cofunding = {k: z[k] for k in z.files}
        lexical = LexicalIndex.load(folder, int(starts[-1]))
    except (OSError, ValueError, KeyError) as e:
        log.warning("index cache %s not usable: %s", folder, e)
        return None
    return Index(programmes, starts, lexical, dense, dict(meta["stats"]), cofunding)
