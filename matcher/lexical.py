"""Lexical retrieval: character n-gram TF-IDF (robust to German compounds) over programme passages."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


class LexicalIndex:
    def __init__(self, passages: list[str]) -> None:
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True, dtype=np.float32
        )
        self.matrix = self.vectorizer.fit_transform(passages) if passages else None

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of the query to every passage (rows are L2-normalised by TF-IDF)."""
        if self.matrix is None:
            return np.zeros(0, dtype=np.float32)
        q = self.vectorizer.transform([query])
        return np.asarray((self.matrix @ q.T).todense()).ravel()
