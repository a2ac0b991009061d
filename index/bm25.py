"""BM25 over Turkish-analysed tokens, stored with bm25s's own JSON/npy format (no pickle)."""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

from index.analysis import analyze

log = logging.getLogger(__name__)
# bm25s logs every build at DEBUG level on its own logger.
logging.getLogger("bm25s").setLevel(logging.WARNING)
BM25_K1 = 1.2
BM25_B = 0.75


class BM25Index:
    """A BM25 index over passage texts; scores come back for every passage."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> BM25Index:
        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        retriever.index([analyze(t) or ["∅"] for t in texts], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int) -> BM25Index:
        retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return cls(retriever, size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no term matches)."""
        tokens = [t for t in analyze(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def top(self, query: str, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the ``k`` best passages with a positive score, among ``rows`` when given."""
        scores = self.scores(query)
        if rows is not None:
            kept = np.zeros_like(scores)
            kept[rows] = scores[rows]
            scores = kept
        k = min(k, self.size)
        ids = np.argpartition(-scores, k - 1)[:k] if k < self.size else np.arange(self.size)
        ids = ids[np.argsort(-scores[ids], kind="stable")]
        keep = scores[ids] > 0
        return ids[keep], scores[ids][keep]
