"""The live matcher of a process: loads the embedder once, keeps the index in step with the catalogue."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from catalog import store
from catalog.models import ProgrammeEvent
from catalog.vectors import VectorStore
from config.settings import Settings
from matcher.embed import Embedder, load_embedder
from matcher.index import FORMAT, Index, build_index, load_index, save_index
from matcher.profile import Profile
from matcher.service import MatchOptions, match

log = logging.getLogger(__name__)
QUERY_CACHE_SIZE = 2048  # query vectors kept per process (1.5 KB each with e5-small)


class CachedQueries(Embedder):
    """An embedder that remembers its query vectors (least recently used go first). The same query text
    comes back often: a what-if with another budget or partner country, the export after a match, the
    newsletter's saved profiles after every crawl. Passages go straight to the model."""

    def __init__(self, embedder: Embedder, size: int = QUERY_CACHE_SIZE) -> None:
        self.embedder, self.size = embedder, size
        self.model_id = embedder.model_id
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed_batch(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed_passages(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = dict(zip(missing, self.embedder.embed_queries(missing), strict=True))
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
            found.update(fresh)
        return np.vstack([found[t] for t in texts]) if texts else self.embedder.embed_queries([])


class MatchRuntime:
    def __init__(self, engine: Engine, settings: Settings, *, embedder: Embedder | None = None,
                 load_model: bool = True) -> None:
        self.engine, self.settings = engine, settings
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._stamp: Any = None
        self._built_at: float | None = None
        self.embedder: Embedder | None
        if embedder is not None:
            self.embedder, self.model_status = embedder, embedder.model_id
        elif load_model:
            self.embedder, self.model_status = load_embedder(settings)
        else:
            self.embedder, self.model_status = None, "lexical-only (model loading disabled)"
        log.info("matcher model: %s", self.model_status)
        self._queries = CachedQueries(self.embedder) if self.embedder is not None else None

    def index(self, *, progress: bool = False) -> Index:
        """The current index: loaded from the disk cache when it matches the catalogue, else rebuilt
        (re-embedding only new passages) and saved there for the next process."""
        with Session(self.engine) as s:
            stamp = store.catalogue_stamp(s)
            if self._index is not None and stamp == self._stamp:
                return self._index
        with self._lock:
            if self._index is None or stamp != self._stamp:
                self._index = self._load_or_build(stamp, progress=progress)
                self._stamp = stamp
                self._built_at = time.time()
                log.info("index ready: %s", self._index.stats)
            return self._index

    def _cache_folder(self, stamp: Any) -> Path:
        """Keyed by the catalogue stamp and the newest programme event: the stamp does not move when a
        programme is only marked gone, its event does (a saved index must not outlive that)."""
        with Session(self.engine) as s:
            event = s.exec(select(func.max(ProgrammeEvent.id))).one()
        model = self.embedder.model_id if self.embedder else "none"
        key = repr((FORMAT, self.engine.url.render_as_string(hide_password=True), model, stamp, event))
        return Path(self.settings.data_dir) / "index" / hashlib.sha256(key.encode()).hexdigest()[:20]

    def _load_or_build(self, stamp: Any, *, progress: bool) -> Index:
        folder = self._cache_folder(stamp)
        folder.parent.mkdir(parents=True, exist_ok=True)
        # One builder at a time across processes: the other API workers wait, then load what it saved.
        with open(folder.parent / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            index = load_index(folder)
            if index is not None:
                return index
            with Session(self.engine) as s:
                programmes = [p for _, p in store.all_programmes(s)]
            built = build_index(programmes, self.embedder, VectorStore(self.engine), progress=progress)
            try:
                save_index(built, folder)
            except OSError as e:  # a read-only data dir must not stop matching
                log.warning("index not cached in %s: %s", folder, e)
                return built
            for old in folder.parent.iterdir():  # earlier catalogues' indexes (open files stay readable)
                if old.is_dir() and old != folder and ".tmp" not in old.name:
                    shutil.rmtree(old, ignore_errors=True)
        # Serve from the files: programmes and postings are then read on demand, not all held in memory.
        return load_index(folder) or built

    def match(self, profile: Profile, options: MatchOptions) -> dict[str, Any]:
        return match(self.index(), self._queries, profile, options,
                     preparation_days=self.settings.preparation_days, lexical_weight=self.settings.lexical_weight)

    def peek_index_stats(self) -> dict[str, Any]:
        """What /health shows: no rebuild, just what is loaded and whether it is current."""
        if self._index is None:
            return {"built": False}
        with Session(self.engine) as s:
            fresh = store.catalogue_stamp(s) == self._stamp
        age = round(time.time() - (self._built_at or time.time()))
        return {"built": True, "fresh": fresh, "age_s": age, **self._index.stats}
