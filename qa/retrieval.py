"""Retrieval over a loaded index: dense, BM25, and their weighted reciprocal-rank fusion."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from corpus import Passage
from index import vectors
from index.embedder import Embedder
from index.store import LoadedIndex
from qa.settings import Retrieval, Settings

# Each ranking contributes its best this-many candidates to the fusion.
FUSION_DEPTH = 50


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and the signals behind it."""

    rank: int
    score: float
    row: int
    passage: Passage
    dense: float | None = None
    sentence: float | None = None
    bm25: float | None = None

    def to_json(self) -> dict:
        p = self.passage
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "chunk_id": p.chunk_id,
            "doc": p.doc,
            "section": p.section,
            "page": p.page,
            "paragraph": p.paragraph,
            "text": p.text,
        }


@dataclass(frozen=True)
class QueryVector:
    """A question's embedding, computed once and reused by search and answer."""

    text: str
    vector: np.ndarray


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        # Hugging Face fast tokenizers are not safe to call from several threads at once
        # ("Already borrowed"); the web server answers from a thread pool.
        self._embed_lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.index.passages)

    @property
    def centroid(self) -> np.ndarray:
        """The normalised mean passage vector: how "on topic" a question is."""
        return self.index.centroid

    def sentence_vectors(self, row: int) -> np.ndarray:
        """The vectors of passage ``row``'s sentences, in order."""
        count = len(self.index.passages[row].sentences)
        first = int(np.searchsorted(self.index.sentence_passage, row))
        return self.index.sentence_index.reconstruct_n(first, count)

    def embed(self, text: str) -> QueryVector:
        with self._embed_lock:
            return QueryVector(text, self.embedder.encode_queries([text])[0])

    def _dense(self, q: np.ndarray, depth: int) -> dict[int, float]:
        scores, ids = vectors.search(self.index.passage_index, q[None, :], depth)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}

    def _sentence(self, q: np.ndarray, depth: int) -> dict[int, float]:
        """Best sentence similarity per passage, over the top sentences."""
        scores, ids = vectors.search(self.index.sentence_index, q[None, :], depth * 4)
        best: dict[int, float] = {}
        for i, s in zip(ids[0], scores[0], strict=True):
            if i < 0:
                continue
            row = int(self.index.sentence_passage[i])
            best[row] = max(best.get(row, -1.0), float(s))
        return best

    def _bm25(self, text: str, depth: int) -> dict[int, float]:
        ids, scores = self.index.bm25.top(text, depth)
        return {int(i): float(s) for i, s in zip(ids, scores, strict=True)}

    def search(self, query: QueryVector, k: int, mode: Retrieval | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` under ``mode`` (default: settings.retriever)."""
        mode = mode or self.settings.retriever
        depth = min(self.size, max(FUSION_DEPTH, 4 * k))
        dense = self._dense(query.vector, depth) if mode != "bm25" else {}
        sentence = self._sentence(query.vector, depth) if mode == "hybrid" else {}
        bm25 = self._bm25(query.text, depth) if mode != "dense" else {}
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = bm25
        else:
            s = self.settings
            fused = _rrf([(dense, s.weight_dense), (sentence, s.weight_sentence), (bm25, s.weight_bm25)], s.rrf_k)
        order = sorted(fused, key=lambda row: (-fused[row], row))[:k]
        return [
            Hit(
                rank=rank,
                score=fused[row],
                row=row,
                passage=self.index.passages[row],
                dense=dense.get(row),
                sentence=sentence.get(row),
                bm25=bm25.get(row),
            )
            for rank, row in enumerate(order, start=1)
        ]


def _rrf(rankings: list[tuple[dict[int, float], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal-rank fusion of score dictionaries."""
    fused: dict[int, float] = {}
    for scores, weight in rankings:
        if weight <= 0 or not scores:
            continue
        ordered = sorted(scores, key=lambda row: (-scores[row], row))
        for rank, row in enumerate(ordered, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused
