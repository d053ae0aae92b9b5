"""The live matcher of a process: loads the embedder once, keeps the index in step with the catalogue."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog import store
from catalog.vectors import VectorStore
from config.settings import Settings
from matcher.embed import Embedder, load_embedder
from matcher.index import Index, build_index
from matcher.profile import Profile
from matcher.service import MatchOptions, match

log = logging.getLogger(__name__)


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

    def index(self, *, progress: bool = False) -> Index:
        """The current index; rebuilt (re-embedding only new passages) when the catalogue changed."""
        with Session(self.engine) as s:
            stamp = store.catalogue_stamp(s)
            if self._index is not None and stamp == self._stamp:
                return self._index
            programmes = [p for _, p in store.all_programmes(s)]
        with self._lock:
            if self._index is None or stamp != self._stamp:
                self._index = build_index(programmes, self.embedder, VectorStore(self.engine), progress=progress)
                self._stamp = stamp
                self._built_at = time.time()
                log.info("index built: %s", self._index.stats)
            return self._index

    def match(self, profile: Profile, options: MatchOptions) -> dict[str, Any]:
        return match(self.index(), self.embedder, profile, options,
                     preparation_days=self.settings.preparation_days, lexical_weight=self.settings.lexical_weight)

    def peek_index_stats(self) -> dict[str, Any]:
        """What /health shows: no rebuild, just what is loaded and whether it is current."""
        if self._index is None:
            return {"built": False}
        with Session(self.engine) as s:
            fresh = store.catalogue_stamp(s) == self._stamp
        age = round(time.time() - (self._built_at or time.time()))
        return {"built": True, "fresh": fresh, "age_s": age, **self._index.stats}
