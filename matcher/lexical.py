"""Lexical retrieval: character n-gram TF-IDF (robust to German compounds) over programme passages.

The scores are what ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)`` gives
(cosine of sublinear-TF x smoothed-IDF vectors), computed so that they scale:
- n-grams are hashed into 2**24 buckets, so no vocabulary grows with the catalogue (collisions are rare:
  the eval figures are the same as with a vocabulary);
- passages are kept as an inverted index, so a query reads only the postings of its own n-grams instead
  of multiplying the whole passage matrix; weights are stored as 16-bit fixed point (6 bytes a posting;
  numpy widens uint16 ten times faster than float16);
- an index loaded from the disk cache maps its postings files into memory when they are at most
  ``MMAP_MAX_BYTES`` (10,000 programmes: 230 MB): the API workers then share one copy in the page cache
  and a query reads it without system calls (two workers: twice the matches/s of ``pread``, see make
  bench). Larger postings (100,000 programmes: 2.4 GB) are read per query with ``os.pread``, so a
  process's resident memory stays bounded; the kernel's page cache still keeps the hot parts.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

N_FEATURES = 2**24
BUILD_CHUNK = 20_000  # passages hashed at a time
READ_BATCH = 250_000  # postings scored at a time: bounds the memory one query takes (~4 MB)
SCALE = 65535  # weight w in (0, 1] is stored as round(w * SCALE)
POSTING_BYTES = 6  # int32 passage + uint16 weight
MMAP_MAX_BYTES = 1 << 30  # postings up to this size are memory-mapped, larger ones read with pread

_HASHER = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=N_FEATURES, alternate_sign=False,
                            norm=None, lowercase=True, dtype=np.float32)


class LexicalIndex:
    """Sorted hashed n-gram ids (``features``) with their IDF and postings (passage, weight)."""

    def __init__(self, passages: list[str] | None = None) -> None:
        self.n_passages = 0
        self.features = np.zeros(0, dtype=np.int32)
        self.idf = np.zeros(0, dtype=np.float32)
        self.starts = np.zeros(1, dtype=np.int64)  # postings of features[k]: starts[k]..starts[k+1]
        self.ids: np.ndarray | None = np.zeros(0, dtype=np.int32)  # None: read from the files
        self.weights: np.ndarray | None = np.zeros(0, dtype=np.uint16)
        self._files: tuple[int, int] | None = None
        if passages:
            self._build(passages)

    def _build(self, passages: list[str]) -> None:
        counts = _hashed(passages)
        n = len(passages)
        df = np.bincount(counts.indices, minlength=N_FEATURES)
        self.features = np.flatnonzero(df).astype(np.int32)
        self.idf = (np.log((1 + n) / (1 + df[self.features])) + 1).astype(np.float32)
        del df
        compact = np.zeros(N_FEATURES, dtype=np.int32)
        compact[self.features] = np.arange(len(self.features), dtype=np.int32)
        for s in range(0, counts.nnz, BUILD_CHUNK * 100):  # in place, a slice at a time: the matrix is the big thing
            cols = counts.indices[s : s + BUILD_CHUNK * 100]
            cols[:] = compact[cols]
            data = counts.data[s : s + BUILD_CHUNK * 100]
            np.log(data, out=data)
            data += 1
            data *= self.idf[cols]
        del compact
        _normalise_rows(counts)
        # Quantise before transposing: the transpose then moves 6 bytes a posting, not 8.
        weights = np.empty(counts.nnz, dtype=np.uint16)
        for s in range(0, counts.nnz, BUILD_CHUNK * 100):
            weights[s : s + BUILD_CHUNK * 100] = np.maximum(np.rint(counts.data[s : s + BUILD_CHUNK * 100] * SCALE), 1)
        indices, indptr = counts.indices, counts.indptr
        del counts
        inverted = sparse.csr_matrix((weights, indices, indptr), shape=(n, len(self.features))).tocsc()
        del weights, indices, indptr
        self.ids = inverted.indices.astype(np.int32, copy=False)
        self.weights = inverted.data
        self.starts = inverted.indptr.astype(np.int64)
        self.n_passages = n

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of the query to every passage."""
        out = np.zeros(self.n_passages, dtype=np.float32)
        keys, weights = self._query(query)
        lengths = self.starts[keys + 1] - self.starts[keys]
        first = 0
        while first < len(keys):  # batches of features with at most READ_BATCH postings (or one feature)
            last = max(int(np.searchsorted(np.cumsum(lengths[first:]), READ_BATCH, side="right")), 1) + first
            ids, data = self._read(self.starts[keys[first:last]], self.starts[keys[first:last] + 1])
            indptr = np.concatenate(([0], np.cumsum(lengths[first:last])))
            postings = sparse.csr_matrix((data.astype(np.float32), ids, indptr),
                                         shape=(last - first, self.n_passages))
            out += postings.T @ (weights[first:last] / SCALE).astype(np.float32)
            first = last
        return out

    def _query(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``features`` of the query's known n-grams and their normalised TF-IDF weights."""
        q = _HASHER.transform([query])
        pos = np.searchsorted(self.features, q.indices)
        known = pos < len(self.features)
        known[known] = self.features[pos[known]] == q.indices[known]
        keys = pos[known]
        weights = (1 + np.log(q.data[known])) * self.idf[keys]
        norm = float(np.linalg.norm(weights))
        return keys, (weights / norm if norm else weights)

    def _read(self, begins: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The postings of some features, one after the other: passage ids and weights."""
        pairs = list(zip(begins.tolist(), ends.tolist(), strict=True))
        if self.ids is not None and self.weights is not None:
            return (np.concatenate([self.ids[b:e] for b, e in pairs] or [self.ids[:0]]),
                    np.concatenate([self.weights[b:e] for b, e in pairs] or [self.weights[:0]]))
        assert self._files is not None
        total = int((ends - begins).sum())
        ids, weights = np.empty(total, dtype=np.int32), np.empty(total, dtype=np.uint16)
        at = 0
        for b, e in pairs:
            _pread_into(self._files[0], ids[at : at + e - b], b)
            _pread_into(self._files[1], weights[at : at + e - b], b)
            at += e - b
        return ids, weights

    def nbytes(self) -> dict[str, int]:
        in_memory = self.features.nbytes + self.idf.nbytes + self.starts.nbytes
        mapped = isinstance(self.ids, np.memmap)
        if self.ids is not None and self.weights is not None and not mapped:
            in_memory += self.ids.nbytes + self.weights.nbytes
        postings = int(self.starts[-1]) * POSTING_BYTES
        return {"lexical_in_memory": in_memory, "lexical_postings": postings,
                "lexical_postings_mapped": postings if mapped else 0}

    def save(self, folder: Path) -> None:
        assert self.ids is not None and self.weights is not None, "only a freshly built index is saved"
        np.save(folder / "lex_features.npy", self.features)
        np.save(folder / "lex_idf.npy", self.idf)
        np.save(folder / "lex_starts.npy", self.starts)
        self.ids.tofile(folder / "lex_ids.bin")
        self.weights.tofile(folder / "lex_weights.bin")

    @classmethod
    def load(cls, folder: Path, n_passages: int) -> LexicalIndex:
        """An index whose postings stay in the files (read per query with pread)."""
        index = cls()
        index.features = np.load(folder / "lex_features.npy")
        index.idf = np.load(folder / "lex_idf.npy")
        index.starts = np.load(folder / "lex_starts.npy")
        index.n_passages, index.ids, index.weights = n_passages, None, None
        fds = os.open(folder / "lex_ids.bin", os.O_RDONLY), os.open(folder / "lex_weights.bin", os.O_RDONLY)
        index._files = fds
        sizes = os.fstat(fds[0]).st_size, os.fstat(fds[1]).st_size
        if sizes != (int(index.starts[-1]) * 4, int(index.starts[-1]) * 2):
            raise OSError(f"{folder}: the postings files do not match their offsets")
        total = int(index.starts[-1])
        if 0 < total * POSTING_BYTES <= MMAP_MAX_BYTES:
            index.ids = np.memmap(folder / "lex_ids.bin", dtype=np.int32, mode="r", shape=(total,))
            index.weights = np.memmap(folder / "lex_weights.bin", dtype=np.uint16, mode="r", shape=(total,))
        return index

    def __del__(self) -> None:
        for fd in getattr(self, "_files", None) or ():
            os.close(fd)


def _pread_into(fd: int, out: np.ndarray, first: int) -> None:
    """Fill ``out`` with items ``first``.. of the file (positional read: threads share the descriptor)."""
    size = out.nbytes
    got = os.preadv(fd, [out.view(np.uint8).data], first * out.itemsize)
    if got != size:
        raise OSError(f"short read from a postings file ({got} of {size} bytes)")


def _hashed(passages: list[str]) -> sparse.csr_matrix:
    """N-gram counts of all passages, hashed a chunk at a time and joined without a second full copy."""
    chunks = [_HASHER.transform(passages[i : i + BUILD_CHUNK]) for i in range(0, len(passages), BUILD_CHUNK)]
    nnz = sum(c.nnz for c in chunks)
    data, indices = np.empty(nnz, dtype=np.float32), np.empty(nnz, dtype=np.int32)
    indptr, at = [np.zeros(1, dtype=np.int64)], 0
    while chunks:
        c = chunks.pop(0)  # freed once copied
        data[at : at + c.nnz], indices[at : at + c.nnz] = c.data, c.indices
        indptr.append(c.indptr[1:].astype(np.int64) + at)
        at += c.nnz
    return sparse.csr_matrix((data, indices, np.concatenate(indptr)), shape=(len(passages), N_FEATURES))


def _normalise_rows(m: sparse.csr_matrix) -> None:
    """L2-normalise each row in place (a row without any n-gram stays zero)."""
    lengths = np.diff(m.indptr)
    for s in range(0, m.shape[0], BUILD_CHUNK):
        rows = lengths[s : s + BUILD_CHUNK]
        data = m.data[m.indptr[s] : m.indptr[s + len(rows)]]
        row_of = np.repeat(np.arange(len(rows)), rows)
        norms = np.sqrt(np.bincount(row_of, weights=data.astype(np.float64) ** 2, minlength=len(rows)))
        data /= np.maximum(norms, 1e-12).astype(np.float32)[row_of]
