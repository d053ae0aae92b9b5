"""Plain word BM25 (Okapi, k1 = 1.5, b = 0.75) over whole programme texts: what a keyword portal does.

Words are lower-cased Unicode word tokens; no stemming, no compound splitting, no stop words, so
"Städtepartnerschaft" does not match "Partnerschaft": that is the baseline's point.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

K1, B = 1.5, 0.75


class BM25:
    def __init__(self, documents: list[str]) -> None:
        self.vectorizer = CountVectorizer(lowercase=True, token_pattern=r"(?u)\b\w\w+\b", dtype=np.float32)
        tf = sparse.csr_matrix(self.vectorizer.fit_transform(documents))
        n = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        norm = K1 * (1 - B + B * lengths / max(lengths.mean(), 1e-9))
        rows = np.repeat(np.arange(n), np.diff(tf.indptr))
        # Per (document, term): idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen)).
        tf.data = self.idf[tf.indices] * tf.data * (K1 + 1) / (tf.data + norm[rows])
        self.weights = tf.tocsc()

    def scores(self, query: str) -> np.ndarray:
        """BM25 of each document for the query's distinct words."""
        q = self.vectorizer.transform([query])
        terms = np.unique(q.indices)
        return np.asarray(self.weights[:, terms].sum(axis=1)).ravel()
