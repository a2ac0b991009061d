"""The local backend: FAISS inner-product indexes for passages and sentences, bm25s for BM25.

Files of a saved build::

    passages.jsonl   passages with sentences and offsets, in row order
    passages.faiss   passage vectors (FAISS's own format; row = passage row)
    sentences.faiss  sentence vectors, passage by passage, for answer selection
    windows.faiss    sentence-window vectors (``Passage.windows``), one per sentence, same order
    centroid.npy     normalised mean passage vector, for abstention
    bm25/            bm25s's npy/JSON files

Nothing is unpickled: passages are JSON, vectors are FAISS's own format, the centroid is
``.npy`` read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np
from numpy.typing import NDArray

from corpus import Passage
from index import vectors
from index.backends.base import BackendDescription, Vectors, check_vector_counts, normalised_centroid
from index.bm25 import BM25Index
from index.errors import CorruptIndexError
from index.vectors import build_vector_index, load_vector_index, save_vector_index


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


class FaissBackend:
    """Passages, their FAISS indexes and BM25, in memory; built or loaded through the class.

    ``FaissBackend`` itself is the :class:`index.backends.base.BackendType` registered as
    ``faiss``: ``FaissBackend.build(...)`` and ``FaissBackend.load(folder)``.
    """

    name: ClassVar[str] = "faiss"
    files: ClassVar[tuple[str, ...]] = (
        "passages.jsonl", "passages.faiss", "sentences.faiss", "windows.faiss", "centroid.npy"
    )

    def __init__(
        self,
        passages: list[Passage],
        passage_index: faiss.Index,
        sentence_index: faiss.Index,
        window_index: faiss.Index,
        bm25: BM25Index,
        centroid: Vectors,
        location: Path | None = None,
    ) -> None:
        self._passages = passages
        self._passage_index = passage_index
        self._sentence_index = sentence_index
        self._window_index = window_index  # one window per sentence: same rows as the sentences
        self._bm25 = bm25
        self._centroid = centroid
        self._location = location
        rows = [row for row, p in enumerate(passages) for _ in p.sentences]
        # sentence row -> passage row (sorted, so a passage's first sentence is a binary search away)
        self._sentence_passage: NDArray[np.int64] = np.array(rows, dtype=np.int64)
        self._docs: NDArray[np.str_] = np.array([p.doc for p in passages], dtype=np.str_)

    # --------------------------------------------------------------- building and persisting

    @classmethod
    def check(cls) -> None:
        """Nothing to reach: the files go into the index folder, which the store has checked."""

    @classmethod
    def build(
        cls, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors,
        window_vectors: Vectors, *, exact_max: int,
    ) -> FaissBackend:
        check_vector_counts(passages, passage_vectors, sentence_vectors, window_vectors)
        return cls(
            list(passages),
            build_vector_index(passage_vectors, exact_max=exact_max),
            build_vector_index(sentence_vectors, exact_max=exact_max),
            build_vector_index(window_vectors, exact_max=exact_max),
            BM25Index.build([p.embed_text for p in passages]),
            normalised_centroid(passage_vectors),
        )

    def save(self, folder: Path) -> None:
        with (folder / "passages.jsonl").open("w", encoding="utf-8") as fh:
            for passage in self._passages:
                fh.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
        save_vector_index(self._passage_index, folder / "passages.faiss")
        save_vector_index(self._sentence_index, folder / "sentences.faiss")
        save_vector_index(self._window_index, folder / "windows.faiss")
        np.save(folder / "centroid.npy", self._centroid, allow_pickle=False)
        (folder / "bm25").mkdir()
        self._bm25.save(folder / "bm25")
        self._location = folder

    @classmethod
    def load(cls, folder: Path) -> FaissBackend:
        try:
            with (folder / "passages.jsonl").open(encoding="utf-8") as fh:
                passages = [Passage.from_dict(json.loads(line)) for line in fh]
            passage_index = load_vector_index(folder / "passages.faiss")
            sentence_index = load_vector_index(folder / "sentences.faiss")
            window_index = load_vector_index(folder / "windows.faiss")
            bm25 = BM25Index.load(folder / "bm25", len(passages))
            centroid = np.load(folder / "centroid.npy", allow_pickle=False)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise CorruptIndexError(f"index in {folder} cannot be read: {exc}") from exc
        n_sentences = sum(len(p.sentences) for p in passages)
        if passage_index.ntotal != len(passages) or {sentence_index.ntotal, window_index.ntotal} != {n_sentences}:
            raise CorruptIndexError(f"index in {folder} has vector counts that do not match its passages")
        if centroid.ndim != 1 or len({passage_index.d, sentence_index.d, window_index.d, len(centroid)}) != 1:
            raise CorruptIndexError(f"index in {folder} has vectors of different dimensions")
        return cls(passages, passage_index, sentence_index, window_index, bm25, centroid, folder)

    # --------------------------------------------------------------- the SearchBackend protocol

    @property
    def size(self) -> int:
        return len(self._passages)

    @property
    def dimension(self) -> int:
        return int(self._passage_index.d)

    @property
    def passages(self) -> list[Passage]:
        return self._passages

    @property
    def centroid(self) -> Vectors:
        return self._centroid

    def _rows(self, docs: frozenset[str] | None) -> NDArray[np.int64] | None:
        """The rows of the passages of ``docs`` (None: no filter)."""
        if docs is None:
            return None
        return np.flatnonzero(np.isin(self._docs, list(docs))).astype(np.int64)

    def dense(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        _check_k(k)
        rows = self._rows(docs)
        if rows is not None and not len(rows):
            return {}
        scores, ids = vectors.search(self._passage_index, vector[None, :], k, rows)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}

    def sentences(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        return self._best_per_passage(self._sentence_index, vector, k, docs)

    def windows(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        return self._best_per_passage(self._window_index, vector, k, docs)

    def _best_per_passage(
        self, index: faiss.Index, vector: Vectors, k: int, docs: frozenset[str] | None
    ) -> dict[int, float]:
        """The passages owning the ``k`` best of ``index``'s per-sentence vectors, by their best one."""
        _check_k(k)
        rows = self._rows(docs)
        sentence_ids = None if rows is None else np.flatnonzero(np.isin(self._sentence_passage, rows))
        if sentence_ids is not None and not len(sentence_ids):
            return {}
        scores, ids = vectors.search(index, vector[None, :], k, sentence_ids)
        best: dict[int, float] = {}
        for i, s in zip(ids[0], scores[0], strict=True):
            if i < 0:
                continue
            row = int(self._sentence_passage[i])
            best[row] = max(best.get(row, -1.0), float(s))
        return best

    def lexical(self, text: str, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        _check_k(k)
        ids, scores = self._bm25.top(text, k, self._rows(docs))
        return {int(i): float(s) for i, s in zip(ids, scores, strict=True)}

    def sentence_vectors(self, row: int) -> Vectors:
        count = len(self._passage(row).sentences)
        first = int(np.searchsorted(self._sentence_passage, row))
        out: Vectors = self._sentence_index.reconstruct_n(first, count)
        return out

    def passage_vectors(self, rows: Sequence[int]) -> Vectors:
        for row in rows:
            self._passage(row)
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out: Vectors = self._passage_index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return out

    def describe(self) -> BackendDescription:
        return {
            "backend": self.name,
            "location": str(self._location) if self._location is not None else "memory",
            "passages": self.size,
            "sentences": len(self._sentence_passage),
            "dimension": self.dimension,
        }

    def _passage(self, row: int) -> Passage:
        if not 0 <= row < len(self._passages):
            raise IndexError(f"passage row {row} outside 0..{len(self._passages) - 1}")
        return self._passages[row]
