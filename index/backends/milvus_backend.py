"""The Milvus backend: passages, vectors and BM25 in Milvus, from Milvus Lite to a cluster.

``BackendOptions.milvus_uri`` picks the engine and nothing else changes: a local path opens
Milvus Lite embedded in this process (a ``.db`` file); ``http://host:19530`` talks gRPC to
Milvus Standalone or Distributed (or a ``milvus-lite server``) through the same client.

A build writes two new collections, ``<prefix>_<build>_p`` (one entity per passage: row as
primary key, document, the passage as JSON, its dense vector, and its BM25 terms) and
``<prefix>_<build>_s`` (one per sentence: its vector and its passage's row). Only when both
are complete does :meth:`MilvusBackend.save` point the aliases ``<prefix>_passages`` /
``<prefix>_sentences`` at them and record them in ``milvus.json`` (the build folder's one
file, covered by the store's manifest): a build killed halfway leaves collections nothing
names, dropped by the next build, and the served index is never half filled.

BM25 runs over our own Turkish analysis (``index.analysis.analyze``): the analysed terms are
stored space-joined in ``terms``, and their BM25 weights (``index.backends.sparse_bm25``) in
the sparse vector ``bm25``, searched by inner product, so Lite and a cluster score exactly as
the ``faiss`` backend's bm25s does. Milvus's built-in BM25 function (the ``standard`` analyzer
over ``terms``) was measured and not used: on Milvus Lite 3.2 it ranks the dev questions
differently from bm25s (docs/notes/issue-14.md). The vocabulary and IDF are refitted from
``terms`` when the collection is opened.

The build id and the centroid are collection properties; loading checks the id against
``milvus.json``, so a collection replaced by another build (another model or chunker, from
another machine sharing the prefix) is refused as stale and ``ensure_index`` rebuilds.
The token is sent to Milvus and nowhere else: not in ``milvus.json``, messages or logs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, TypeVar, cast

import numpy as np

from corpus import Passage
from index.analysis import analyze
from index.backends.base import (
    BackendDescription,
    BackendOptions,
    Vectors,
    check_vector_counts,
    display_uri,
    normalised_centroid,
)
from index.backends.milvus_collections import (
    MAX_LIMIT,
    QUERY_BATCH,
    Entity,
    MilvusClient,
    alias_target,
    aliases,
    as_float,
    as_int,
    connect,
    create_collection,
    drop_unnamed,
    insert_entities,
    passage_json,
    read_passages,
    reporting,
    search_probes,
)
from index.backends.sparse_bm25 import SparseBM25
from index.errors import CorruptIndexError, StaleIndexError

_BUILD_PROPERTY = "report_qa.build"
_CENTROID_PROPERTY = "report_qa.centroid"
T = TypeVar("T")


def _check_k(k: int) -> int:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return min(k, MAX_LIMIT)


class MilvusType:
    """The ``milvus`` :class:`index.backends.base.BackendType`, bound to one Milvus."""

    name: ClassVar[str] = "milvus"
    files: ClassVar[tuple[str, ...]] = ("milvus.json",)

    def __init__(self, options: BackendOptions) -> None:
        self.options = options

    def build(
        self, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors, *, exact_max: int
    ) -> MilvusBackend:
        check_vector_counts(passages, passage_vectors, sentence_vectors)
        client = connect(self.options)
        build = f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"
        names = (f"{self.options.milvus_prefix}_{build}_p", f"{self.options.milvus_prefix}_{build}_s")
        centroid = normalised_centroid(passage_vectors)
        dim = int(passage_vectors.shape[1])
        terms = [analyze(p.embed_text) for p in passages]
        bm25 = SparseBM25(terms)
        with reporting(self.options):
            create_collection(client, names[0], dim, len(passage_vectors), exact_max, lexical=True,
                    properties={_BUILD_PROPERTY: build, _CENTROID_PROPERTY: json.dumps(centroid.tolist())})
            insert_entities(client, names[0], (
                {"id": row, "doc": p.doc, "passage": passage_json(p), "terms": " ".join(terms[row]),
                 "bm25": bm25.document(terms[row]), "vector": vector}
                for row, (p, vector) in enumerate(zip(passages, passage_vectors, strict=True))
            ))
            create_collection(client, names[1], dim, len(sentence_vectors), exact_max, lexical=False,
                    properties={_BUILD_PROPERTY: build})
            owners = (row for row, p in enumerate(passages) for _ in p.sentences)
            insert_entities(client, names[1], (
                {"id": i, "row": row, "doc": passages[row].doc, "vector": vector}
                for i, (row, vector) in enumerate(zip(owners, sentence_vectors, strict=True))
            ))
        return MilvusBackend(
            client, self.options, build, names, list(passages), bm25, centroid, dim, len(sentence_vectors)
        )

    def load(self, folder: Path) -> MilvusBackend:
        try:
            record = json.loads((folder / "milvus.json").read_text(encoding="utf-8"))
            build, names = str(record["build"]), (str(record["passages"]), str(record["sentences"]))
            uri, dim, n_sentences = str(record["uri"]), int(record["dimension"]), int(record["sentences_count"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptIndexError(f"index in {folder} cannot be read: {exc}") from exc
        if uri != self.options.milvus_uri:
            raise StaleIndexError(f"index was built on another Milvus ({display_uri(uri)})")
        client = connect(self.options)
        with reporting(self.options):
            for name, alias in zip(names, aliases(self.options), strict=True):
                if not client.has_collection(name):
                    raise StaleIndexError(f"Milvus collection {name} is gone (dropped by a newer build?)")
                properties = client.describe_collection(name).get("properties", {})
                if properties.get(_BUILD_PROPERTY) != build:
                    raise StaleIndexError(f"Milvus collection {name} holds another build")
                if alias_target(client, alias) != name:
                    raise StaleIndexError(f"Milvus alias {alias} now names another build (from another index?)")
                client.load_collection(name)
            centroid = np.asarray(
                json.loads(client.describe_collection(names[0])["properties"][_CENTROID_PROPERTY]), dtype=np.float32
            )
            passages, terms = read_passages(client, names[0])
        if centroid.shape != (dim,):
            raise CorruptIndexError(f"Milvus collection {names[0]} has a centroid of another dimension")
        if sum(len(p.sentences) for p in passages) != n_sentences:
            raise CorruptIndexError(f"Milvus collections {', '.join(names)} do not match {folder / 'milvus.json'}")
        return MilvusBackend(
            client, self.options, build, names, passages, SparseBM25(terms), centroid, dim, n_sentences, folder
        )


class MilvusBackend:
    """One build's two Milvus collections; the passages are also held here, in row order."""

    name: ClassVar[str] = "milvus"

    def __init__(
        self,
        client: MilvusClient,
        options: BackendOptions,
        build: str,
        names: tuple[str, str],
        passages: list[Passage],
        bm25: SparseBM25,
        centroid: Vectors,
        dimension: int,
        sentence_count: int,
        location: Path | None = None,
    ) -> None:
        self._client = client
        self._options = options
        self._build = build
        self._passage_collection, self._sentence_collection = names
        self._passages = passages
        self._bm25 = bm25
        self._centroid = centroid
        self._dimension = dimension
        self._sentence_count = sentence_count
        self._location = location

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
        (folder / "milvus.json").write_text(json.dumps({
            "uri": self._options.milvus_uri,
            "build": self._build,
            "passages": self._passage_collection,
            "sentences": self._sentence_collection,
            "dimension": self._dimension,
            "sentences_count": self._sentence_count,
        }, indent=2), encoding="utf-8")
        self._location = folder

    # --------------------------------------------------------------- the SearchBackend protocol

    @property
    def size(self) -> int:
        return len(self._passages)

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def passages(self) -> list[Passage]:
        return self._passages

    @property
    def centroid(self) -> Vectors:
        return self._centroid

    def dense(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        hits = self._search(self._passage_collection, vector.tolist(), "vector", _check_k(k), "IP", docs=docs)
        return {as_int(hit["id"]): as_float(hit["distance"]) for hit in hits}

    def sentences(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        hits = self._search(
            self._sentence_collection, vector.tolist(), "vector", _check_k(k), "IP", ["row"], docs=docs
        )
        best: dict[int, float] = {}
        for hit in hits:
            row = as_int(cast(Entity, hit["entity"])["row"])
            best[row] = max(best.get(row, -1.0), as_float(hit["distance"]))
        return best

    def lexical(self, text: str, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        limit = _check_k(k)
        query = self._bm25.query(analyze(text))
        if not query:
            return {}
        hits = self._search(self._passage_collection, query, "bm25", limit, "IP", docs=docs)
        scores = {as_int(hit["id"]): as_float(hit["distance"]) for hit in hits}
        return {row: score for row, score in scores.items() if score > 0}

    def sentence_vectors(self, row: int) -> Vectors:
        self._passage(row)
        found = self._query(self._sentence_collection, f"row == {row}", ["vector"])
        found.sort(key=lambda entity: as_int(entity["id"]))
        return np.asarray([e["vector"] for e in found], dtype=np.float32).reshape(len(found), self._dimension)

    def passage_vectors(self, rows: Sequence[int]) -> Vectors:
        wanted = [int(row) for row in rows]
        for row in wanted:
            self._passage(row)
        by_row: dict[int, object] = {}
        for start in range(0, len(wanted), QUERY_BATCH):
            batch = sorted(set(wanted[start:start + QUERY_BATCH]))
            for entity in self._query(self._passage_collection, f"id in {batch}", ["vector"]):
                by_row[as_int(entity["id"])] = entity["vector"]
        return np.asarray([by_row[row] for row in wanted], dtype=np.float32).reshape(len(wanted), self._dimension)

    def describe(self) -> BackendDescription:
        where = display_uri(self._options.milvus_uri)
        return {
            "backend": self.name,
            "location": f"{where} ({self._passage_collection}, {self._sentence_collection})",
            "passages": self.size,
            "sentences": self._sentence_count,
            "dimension": self._dimension,
        }

    # --------------------------------------------------------------- internals

    def _passage(self, row: int) -> Passage:
        if not 0 <= row < len(self._passages):
            raise IndexError(f"passage row {row} outside 0..{len(self._passages) - 1}")
        return self._passages[row]

    def _search(
        self, collection: str, data: list[float] | dict[int, float], field: str, limit: int, metric: str,
        fields: list[str] | None = None, *, docs: frozenset[str] | None = None,
    ) -> list[Entity]:
        params: dict[str, object] = {"metric_type": metric}
        # Both collections carry the passage's document name: --doc is a filter on it.
        where = f"doc in {json.dumps(sorted(docs), ensure_ascii=False)}" if docs is not None else ""
        if field == "vector":
            params["params"] = {"nprobe": self._nprobe(collection)}
        return self._call(lambda: list(self._client.search(
            collection, data=[data], anns_field=field, limit=limit, output_fields=fields or ["id"],
            search_params=params, consistency_level="Strong", filter=where,
        )[0]))

    def _nprobe(self, collection: str) -> int:
        return search_probes(self.size if collection == self._passage_collection else self._sentence_count)

    def _query(self, collection: str, expression: str, fields: list[str]) -> list[Entity]:
        return self._call(lambda: list(self._client.query(
            collection, filter=expression, output_fields=["id", *fields], limit=MAX_LIMIT, consistency_level="Strong"
        )))

    def _call(self, request: Callable[[], T]) -> T:
        with reporting(self._options):
            return request()
