"""The Milvus backend's searches: passages, vectors and BM25 in Milvus, from Milvus Lite to a cluster.

``BackendOptions.milvus_uri`` picks the engine and nothing else changes: a local path opens
Milvus Lite embedded in this process (a ``.db`` file); ``http://host:19530`` talks gRPC to
Milvus Standalone or Distributed (or a ``milvus-lite server``) through the same client.
``index.backends.milvus_build`` makes, reopens and updates the collections; this module
searches them.

Two collections hold one index: ``<prefix>_<build>_p`` (one entity per passage: its id as
primary key, document, the passage as JSON, its dense vector, its BM25 terms and their sparse
BM25 weights) and ``<prefix>_<build>_s`` (one per sentence: its vector ``vector``, its window's
vector ``wvector`` (the sentence with the next one, ``Passage.windows``) and its passage's id
``pid``). A passage's id is not its row: an update deletes and inserts passages in place, so
ids have gaps and new ones come after the old, while rows stay ``0 .. size - 1`` in the
store's passage order (the same as the ``faiss`` backend's). :class:`MilvusState` holds the
mapping; hits whose id it does not know (a passage another process inserted since this one
loaded) are left out.

BM25 runs over our own Turkish analysis (``index.analysis.analyze``): the analysed terms are
stored space-joined in ``terms``, and their BM25 weights (``index.backends.sparse_bm25``) in
the sparse vector ``bm25``, searched by inner product, so Lite and a cluster score exactly as
the ``faiss`` backend's bm25s does. Milvus's built-in BM25 function (the ``standard`` analyzer
over ``terms``) was measured and not used: on Milvus Lite 3.2 it ranks the dev questions
differently from bm25s (docs/milvus.md). The token is sent to Milvus and nowhere else: not in
``milvus.json``, messages or logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar, cast

import numpy as np

from corpus import Passage
from index.analysis import analyze
from index.backends.base import BackendDescription, BackendOptions, Vectors, display_uri
from index.backends.milvus_collections import (
    MAX_LIMIT,
    QUERY_BATCH,
    Entity,
    MilvusClient,
    alias_target,
    aliases,
    as_float,
    as_int,
    drop_unnamed,
    reporting,
    search_probes,
)
from index.backends.sparse_bm25 import SparseBM25

T = TypeVar("T")
# The files a saved Milvus index has in its build folder (the data lives in Milvus).
RECORD, ROWS, VOCABULARY = "milvus.json", "rows.npz", "vocabulary.json"


def _check_k(k: int) -> int:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return min(k, MAX_LIMIT)


@dataclass
class MilvusState:
    """What one index holds, as known to this process: enough to search, save and update it."""

    build: str  # the content's id: a collection property, changed by every build and update
    names: tuple[str, str]  # the passage and sentence collections
    passages: list[Passage]  # in row order
    ids: list[int]  # each row's passage id (its primary key)
    terms: list[list[str]]  # each row's analysed BM25 terms
    bm25: SparseBM25
    centroid: Vectors
    dimension: int
    sentence_count: int
    next_ids: tuple[int, int]  # the next free passage and sentence ids
    sized_for: tuple[int, int]  # how many vectors each collection's vector index was made for
    exact_max: int  # above this many vectors a collection's index was made approximate (IVF)
    rows: dict[int, int] = field(init=False)  # passage id -> row

    def __post_init__(self) -> None:
        self.rows = {pid: row for row, pid in enumerate(self.ids)}
        if len(self.rows) != len(self.passages) or len(self.terms) != len(self.passages):
            raise ValueError("a Milvus index state needs one distinct id and one term list per passage")


class MilvusBackend:
    """One build's two Milvus collections; the passages are also held here, in row order."""

    name: ClassVar[str] = "milvus"

    def __init__(self, client: MilvusClient, options: BackendOptions, state: MilvusState) -> None:
        self._client = client
        self._options = options
        self.state = state
        self._passage_collection, self._sentence_collection = state.names

    # --------------------------------------------------------------- persisting

    def save(self, folder: Path) -> None:
        """Point the aliases at this build, drop builds no alias names, record it in ``folder``."""
        names = (self._passage_collection, self._sentence_collection)
        with reporting(self._options):
            previous = {alias_target(self._client, alias) for alias in aliases(self._options)} - {None}
            for name, alias in zip(names, aliases(self._options), strict=True):
                if alias_target(self._client, alias) is None:
                    self._client.create_alias(name, alias)
                else:
                    self._client.alter_alias(name, alias)
            drop_unnamed(self._client, self._options.milvus_prefix, keep={*names, *cast(set[str], previous)})
        state = self.state
        (folder / RECORD).write_text(json.dumps({
            "uri": self._options.milvus_uri,
            "build": state.build,
            "passages": self._passage_collection,
            "sentences": self._sentence_collection,
            "dimension": state.dimension,
            "sentences_count": state.sentence_count,
            "next_ids": list(state.next_ids),
            "sized_for": list(state.sized_for),
            "exact_max": state.exact_max,
            "bm25_average_length": state.bm25.average_length,
        }, indent=2), encoding="utf-8")
        np.savez(folder / ROWS, ids=np.asarray(state.ids, dtype=np.int64))
        (folder / VOCABULARY).write_text(json.dumps(state.bm25.terms, ensure_ascii=False), encoding="utf-8")

    # --------------------------------------------------------------- the SearchBackend protocol

    @property
    def size(self) -> int:
        return len(self.state.passages)

    @property
    def dimension(self) -> int:
        return self.state.dimension

    @property
    def passages(self) -> list[Passage]:
        return self.state.passages

    @property
    def centroid(self) -> Vectors:
        return self.state.centroid

    def dense(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        hits = self._search(self._passage_collection, vector.tolist(), "vector", _check_k(k), "IP", docs=docs)
        return self._by_row((as_int(hit["id"]), as_float(hit["distance"])) for hit in hits)

    def sentences(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        return self._best_per_passage("vector", vector, k, docs)

    def windows(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        return self._best_per_passage("wvector", vector, k, docs)

    def _best_per_passage(
        self, field: str, vector: Vectors, k: int, docs: frozenset[str] | None
    ) -> dict[int, float]:
        """The passages owning the ``k`` best sentence-collection vectors of ``field``, by their best one."""
        hits = self._search(self._sentence_collection, vector.tolist(), field, _check_k(k), "IP", ["pid"], docs=docs)
        best: dict[int, float] = {}
        for pid, score in ((as_int(cast(Entity, hit["entity"])["pid"]), as_float(hit["distance"])) for hit in hits):
            row = self.state.rows.get(pid)
            if row is not None:
                best[row] = max(best.get(row, -1.0), score)
        return best

    def lexical(self, text: str, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        limit = _check_k(k)
        query = self.state.bm25.query(analyze(text))
        if not query:
            return {}
        hits = self._search(self._passage_collection, query, "bm25", limit, "IP", docs=docs)
        scores = self._by_row((as_int(hit["id"]), as_float(hit["distance"])) for hit in hits)
        return {row: score for row, score in scores.items() if score > 0}

    def sentence_vectors(self, row: int) -> Vectors:
        pid = self._id(row)
        found = self._query(self._sentence_collection, f"pid == {pid}", ["vector"])
        found.sort(key=lambda entity: as_int(entity["id"]))
        return np.asarray([e["vector"] for e in found], dtype=np.float32).reshape(len(found), self.dimension)

    def passage_vectors(self, rows: Sequence[int]) -> Vectors:
        wanted = [self._id(int(row)) for row in rows]
        by_id: dict[int, object] = {}
        for start in range(0, len(wanted), QUERY_BATCH):
            batch = sorted(set(wanted[start:start + QUERY_BATCH]))
            for entity in self._query(self._passage_collection, f"id in {batch}", ["vector"]):
                by_id[as_int(entity["id"])] = entity["vector"]
        return np.asarray([by_id[pid] for pid in wanted], dtype=np.float32).reshape(len(wanted), self.dimension)

    def describe(self) -> BackendDescription:
        where = display_uri(self._options.milvus_uri)
        return {
            "backend": self.name,
            "location": f"{where} ({self._passage_collection}, {self._sentence_collection})",
            "passages": self.size,
            "sentences": self.state.sentence_count,
            "dimension": self.dimension,
        }

    # --------------------------------------------------------------- internals

    def _id(self, row: int) -> int:
        if not 0 <= row < self.size:
            raise IndexError(f"passage row {row} outside 0..{self.size - 1}")
        return self.state.ids[row]

    def _by_row(self, hits: Iterable[tuple[int, float]]) -> dict[int, float]:
        """Hits by passage id as ``{row: score}``, without passages this process does not know."""
        rows = self.state.rows
        return {rows[pid]: score for pid, score in hits if pid in rows}

    def _search(
        self, collection: str, data: list[float] | dict[int, float], field: str, limit: int, metric: str,
        fields: list[str] | None = None, *, docs: frozenset[str] | None = None,
    ) -> list[Entity]:
        params: dict[str, object] = {"metric_type": metric}
        # Both collections carry the passage's document name: --doc is a filter on it.
        where = f"doc in {json.dumps(sorted(docs), ensure_ascii=False)}" if docs is not None else ""
        if field != "bm25":  # a dense vector field: IVF probes as the faiss backend uses
            params["params"] = {"nprobe": self._nprobe(collection)}
        return self._call(lambda: list(self._client.search(
            collection, data=[data], anns_field=field, limit=limit, output_fields=fields or ["id"],
            search_params=params, consistency_level="Strong", filter=where,
        )[0]))

    def _nprobe(self, collection: str) -> int:
        passages, sentences = self.state.sized_for
        return search_probes(passages if collection == self._passage_collection else sentences)

    def _query(self, collection: str, expression: str, fields: list[str]) -> list[Entity]:
        return self._call(lambda: list(self._client.query(
            collection, filter=expression, output_fields=["id", *fields], limit=MAX_LIMIT, consistency_level="Strong"
        )))

    def _call(self, request: Callable[[], T]) -> T:
        with reporting(self._options):
            return request()
