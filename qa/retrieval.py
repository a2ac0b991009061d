"""Retrieval over a search backend: dense, sentence, sentence-window, BM25, the glossary's
Turkish gloss of an English question (``qa.glossary``), and their weighted reciprocal-rank fusion.

The backend (``index.backends``) answers the four searches; which of them a retrieval mode
uses, and how they are fused, is decided here, so rankings are the same whichever backend runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from corpus import Passage
from corpus.errors import ReportQAError
from index.analysis import analyze
from index.backends import SearchBackend
from index.embedding import Embedder
from index.store import LoadedIndex
from qa.glossary import Glossary, Translation, default_glossary_path
from qa.language import detect_language
from qa.modes import RetrievalMode
from qa.settings import Settings
from qa.signals import defines, expansion_asked

# Each ranking contributes its best this-many candidates to the fusion.
FUSION_DEPTH = 50
# BM25 candidates searched for the passage that spells out a name whose full form is asked.
SPELLED_OUT_DEPTH = 10
# Questions whose spelled-out name is remembered: search, sentence selection, the features and the
# decline decision each ask for it while one question is answered.
DEFINITION_CACHE = 256
# Sentences (and sentence windows) searched per fusion candidate: a passage has several, and
# the best of each passage counts.
SENTENCES_PER_CANDIDATE = 4

# The signals each mode ranks by: one signal is used as it is, several are fused.
_SIGNALS: dict[RetrievalMode, tuple[str, ...]] = {
    RetrievalMode.HYBRID: ("dense", "sentence", "bm25", "window", "gloss_bm25", "gloss_sentence"),
    RetrievalMode.DENSE: ("dense",),
    RetrievalMode.BM25: ("bm25",),
}


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
    window: float | None = None  # the passage's best sentence-window cosine (hybrid, when searched)

    def to_json(self) -> dict[str, object]:
        p = self.passage
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "chunk_id": p.chunk_id,
            "doc": p.doc,
            "section": p.section,
            "page": p.page,
            "page_label": p.page_label,
            "paragraph": p.paragraph,
            "text": p.text,
        }


@dataclass(frozen=True)
class Gloss:
    """An English question's glossary translation (``qa.glossary``) and its embedding."""

    translation: Translation
    vector: NDArray[np.float32]


@dataclass(frozen=True)
class Definition:
    """Where the documents spell out the name whose full form a question asks for."""

    name: str  # as the documents write it: "TDT" for "What does OTS stand for?"
    rows: tuple[int, ...]  # the passages that spell it out, best BM25 match first


@dataclass(frozen=True)
class QueryVector:
    """A question's embedding, computed once and reused by search and answer."""

    text: str
    vector: NDArray[np.float32]
    # Made by Retriever.embed in the same batch as the question; when None, search translates
    # the question itself (and embeds the gloss only if there is one).
    gloss: Gloss | None = None


class Retriever:
    """Searches one loaded index (through its backend) with one embedder."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.backend: SearchBackend = index.backend
        self.embedder = embedder
        self.settings = settings
        # Hugging Face fast tokenizers are not safe to call from several threads at once
        # ("Already borrowed"); the web server answers from a thread pool.
        self._embed_lock = threading.Lock()
        self._df_lock = threading.Lock()
        self._df: dict[str, int] | None = None
        # Like the document frequencies, valid for this retriever's index: a changed index gets a new retriever.
        self._definitions = lru_cache(maxsize=DEFINITION_CACHE)(self._find_definition)
        path = settings.glossary or default_glossary_path()
        try:
            self.glossary = Glossary.load(path)
        except ValueError as exc:
            raise ReportQAError(
                f"cannot use the glossary: {exc}; fix the file or unset REPORT_QA_GLOSSARY", "bad_glossary"
            ) from exc

    @property
    def size(self) -> int:
        return self.backend.size

    @property
    def centroid(self) -> NDArray[np.float32]:
        """The normalised mean passage vector: how "on topic" a question is."""
        return self.backend.centroid

    @property
    def document_frequency(self) -> dict[str, int]:
        """In how many passages each analysed term occurs (computed once)."""
        with self._df_lock:
            if self._df is None:
                df: dict[str, int] = {}
                for p in self.backend.passages:
                    for term in set(analyze(p.text)):
                        df[term] = df.get(term, 0) + 1
                self._df = df
            return self._df

    def translate(self, text: str) -> Translation | None:
        """``text`` in the index's Turkish words through the glossary (None: too little of it translates)."""
        return self.glossary.translate(text, self.document_frequency)

    def spelled_out(self, text: str, docs: frozenset[str] | None = None) -> Definition | None:
        """Where the documents spell out the name whose full form ``text`` asks for ("What does
        INTCEN stand for?", "PNR neyin kısaltması?"), or None. A name the documents lack is looked
        up in the glossary: "OTS" is the report's "TDT"."""
        name = expansion_asked(text)
        return None if name is None else self._definitions(name, docs)

    def _find_definition(self, name: str, docs: frozenset[str] | None) -> Definition | None:
        glossed = [f.upper() if name.isupper() else f for f in self.glossary.forms(name)]
        passages = self.backend.passages
        for candidate in dict.fromkeys([name, *glossed]):
            scores = self.backend.lexical(candidate, SPELLED_OUT_DEPTH, docs)
            rows = [r for r in sorted(scores, key=lambda r: (-scores[r], r))
                    if any(defines(s.text, candidate) for s in passages[r].sentences)]
            if rows:
                return Definition(candidate, tuple(rows))
        return None

    def sentence_vectors(self, row: int) -> NDArray[np.float32]:
        """The vectors of passage ``row``'s sentences, in order."""
        return self.backend.sentence_vectors(row)

    def embed(self, text: str) -> QueryVector:
        """``text``'s query vector; for a question the glossary translates, its gloss's in the same batch."""
        translation = self.translate(text) if self._embeds_gloss(text) else None
        with self._embed_lock:
            if translation is None:
                return QueryVector(text, self.embedder.encode_queries([text])[0])
            vectors = self.embedder.encode_queries([text, translation.text])
        return QueryVector(text, vectors[0], Gloss(translation, vectors[1]))

    def with_gloss(self, query: QueryVector) -> QueryVector:
        """``query`` with its gloss embedded, as :meth:`embed` makes it, when it was embedded
        without one (evaluation embeds questions in batches) and the glossary translates it."""
        if query.gloss is not None or not self._embeds_gloss(query.text):
            return query
        translation = self.translate(query.text)
        if translation is None:
            return query
        return replace(query, gloss=Gloss(translation, self.embed_many([translation.text])[0]))

    def _embeds_gloss(self, text: str) -> bool:
        """Whether a hybrid search of ``text`` ranks by its embedded gloss (non-Turkish questions)."""
        return self.settings.fusion_weights(detect_language(text)).gloss_sentence > 0

    def embed_documents(self, texts: list[str]) -> NDArray[np.float32]:
        """Document-side vectors of ``texts`` (one row each), comparable with the index's sentence vectors."""
        with self._embed_lock:
            return self.embedder.encode_documents(texts)

    def embed_many(self, texts: list[str]) -> NDArray[np.float32]:
        """Query-side vectors of ``texts`` (one row each), e.g. generated sentences to validate."""
        with self._embed_lock:
            return self.embedder.encode_queries(texts)

    def _signals(
        self, query: QueryVector, depth: int, docs: frozenset[str] | None
    ) -> dict[str, Callable[[], dict[int, float]]]:
        made: list[Translation | None] = []  # translated once, when a gloss signal first needs it

        def translation() -> Translation | None:
            if query.gloss is not None:
                return query.gloss.translation
            if not made:
                made.append(self.translate(query.text))
            return made[0]

        def gloss_sentence() -> dict[int, float]:
            t = translation()
            if t is None:
                return {}
            vector = query.gloss.vector if query.gloss is not None else self.embed_many([t.text])[0]
            return self.backend.sentences(vector, depth * SENTENCES_PER_CANDIDATE, docs)

        def gloss_bm25() -> dict[int, float]:
            t = translation()
            return self.backend.lexical(t.terms, depth, docs) if t is not None and t.terms else {}

        return {
            "dense": lambda: self.backend.dense(query.vector, depth, docs),
            "sentence": lambda: self.backend.sentences(query.vector, depth * SENTENCES_PER_CANDIDATE, docs),
            "bm25": lambda: self.backend.lexical(query.text, depth, docs),
            "window": lambda: self.backend.windows(query.vector, depth * SENTENCES_PER_CANDIDATE, docs),
            "gloss_bm25": gloss_bm25,
            "gloss_sentence": gloss_sentence,
        }

    def search(
        self,
        query: QueryVector,
        k: int,
        mode: RetrievalMode | None = None,
        docs: frozenset[str] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query`` under ``mode`` (default: settings.retriever),
        from the documents ``docs`` only when given (names as in ``Passage.doc``).

        The fusion weights depend on the question's language (``Settings.fusion_weights``):
        English questions, matched across languages, lean on the dense sentence match and on
        their glossary translation; Turkish ones on the sentence window. A signal whose weight
        is 0 is not searched at all.
        """
        names = _SIGNALS[RetrievalMode(mode or self.settings.retriever)]
        depth = min(self.size, max(FUSION_DEPTH, 4 * k))
        s = self.settings
        fusion = s.fusion_weights(detect_language(query.text)) if len(names) > 1 else None
        searches = self._signals(query, depth, docs)
        if fusion is None:
            scores = {name: searches[name]() for name in names}
            fused = scores[names[0]]
        else:
            weights = fusion._asdict()
            scores = {name: searches[name]() for name in names if weights[name] > 0}
            fused = _rrf([(scores[name], weights[name]) for name in scores], s.rrf_k)
        definition = self.spelled_out(query.text, docs)
        if definition is not None:
            # The passage that spells the name out answers the question, whatever else matches it.
            fused = _put_first(fused, definition.rows)
        order = sorted(fused, key=lambda row: (-fused[row], row))[:k]
        passages = self.backend.passages
        return [
            Hit(
                rank=rank,
                score=fused[row],
                row=row,
                passage=passages[row],
                dense=scores.get("dense", {}).get(row),
                sentence=scores.get("sentence", {}).get(row),
                bm25=scores.get("bm25", {}).get(row),
                window=scores.get("window", {}).get(row),
            )
            for rank, row in enumerate(order, start=1)
        ]


def rank_rows(retriever: Retriever, query: QueryVector, rows: list[int]) -> list[Hit]:
    """The passages at ``rows`` as hits, ranked by dense similarity to ``query``.

    For a question a whole section answers (``qa.broad``): that section's passages come first.
    """
    if not rows:
        return []
    sims = retriever.backend.passage_vectors(rows) @ query.vector
    order = sorted(zip(rows, (float(s) for s in sims), strict=True), key=lambda item: (-item[1], item[0]))
    passages = retriever.backend.passages
    return [
        Hit(rank=rank, score=score, row=row, passage=passages[row], dense=score)
        for rank, (row, score) in enumerate(order, start=1)
    ]


def _put_first(fused: dict[int, float], rows: tuple[int, ...]) -> dict[int, float]:
    """``fused`` with ``rows`` scored above every other row, in their order."""
    top = max(fused.values(), default=0.0)
    return {**fused, **{row: top + (len(rows) - i) * 1e-6 for i, row in enumerate(rows)}}


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
