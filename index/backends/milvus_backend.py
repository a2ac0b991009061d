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
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, TypeVar, cast

import numpy as np

# gRPC's C core prints keepalive notices ("too_many_pings") straight to stderr; failures reach
# us as exceptions anyway. Must be set before grpc loads; a user's own setting wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
from pymilvus import DataType, MilvusClient, MilvusException

from corpus import Passage
from index.analysis import analyze
from index.backends.base import BackendDescription, BackendOptions, Vectors, display_uri
from index.backends.sparse_bm25 import SparseBM25
from index.errors import BackendUnavailableError, CorruptIndexError, StaleIndexError
from index.vectors import ivf_cells, ivf_probes

log = logging.getLogger(__name__)
# pymilvus logs every failed call with a traceback at ERROR level; we report failures ourselves,
# in one line (``_reporting``).
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
# Embedded Milvus Lite serves gRPC inside this process and logs a traceback for each call it does
# not implement (AllocTimestamp, which pymilvus then does without).
logging.getLogger("grpc._server").setLevel(logging.CRITICAL)

# Milvus returns at most this many hits per search, and a query this many entities.
MAX_LIMIT = 16_384
INSERT_BATCH = 2_000
QUERY_BATCH = 4_000
MAX_TEXT = 65_535  # Milvus's longest VARCHAR
_PREFIX_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,150}")
_BUILD_PROPERTY = "report_qa.build"
_CENTROID_PROPERTY = "report_qa.centroid"
_AUTH_WORDS = ("auth", "token", "credential", "password", "permission", "denied", "unauthenticated")
T = TypeVar("T")
# An entity or a search hit as pymilvus returns it.
Entity = dict[str, object]


def _int(value: object) -> int:
    return int(cast(int, value))


def _float(value: object) -> float:
    return float(cast(float, value))


def _check_k(k: int) -> int:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return min(k, MAX_LIMIT)


def connect(options: BackendOptions) -> MilvusClient:
    """A client for ``options.milvus_uri``, known to answer.

    Raises:
        BackendUnavailableError: no URI, Milvus is down, or it refuses the token.
    """
    if not options.milvus_uri:
        raise BackendUnavailableError("the milvus backend needs REPORT_QA_MILVUS_URI (a local .db path or http://host:19530)")
    if not _PREFIX_RE.fullmatch(options.milvus_prefix):
        raise ValueError(f"Milvus collection prefix {options.milvus_prefix!r}: use letters, digits and _")
    uri = options.milvus_uri
    if "://" not in uri:
        Path(uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
        uri = str(Path(uri).expanduser())
    with _reporting(options):
        client = MilvusClient(uri=uri, token=options.milvus_token or "", timeout=10)
        client.list_collections()
    return client


@contextmanager
def _reporting(options: BackendOptions) -> Iterator[None]:
    """Turn the client's failures into one line that names the server and what to do."""
    where = display_uri(options.milvus_uri)
    try:
        yield
    except MilvusException as exc:
        text = str(getattr(exc, "message", "") or exc)
        if options.milvus_token:
            text = text.replace(options.milvus_token, "***")
        if any(word in text.lower() for word in _AUTH_WORDS):
            raise BackendUnavailableError(
                f"Milvus at {where} refused the credentials ({text}); check REPORT_QA_MILVUS_TOKEN"
            ) from None
        raise BackendUnavailableError(
            f"cannot use Milvus at {where}: {text}; start it, or fix REPORT_QA_MILVUS_URI"
        ) from None


class MilvusType:
    """The ``milvus`` :class:`index.backends.base.BackendType`, bound to one Milvus."""

    name: ClassVar[str] = "milvus"
    files: ClassVar[tuple[str, ...]] = ("milvus.json",)

    def __init__(self, options: BackendOptions) -> None:
        self.options = options

    def build(
        self, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors, *, exact_max: int
    ) -> MilvusBackend:
        n_sentences = sum(len(p.sentences) for p in passages)
        if len(passage_vectors) != len(passages) or len(sentence_vectors) != n_sentences:
            raise ValueError(
                f"{len(passage_vectors)} passage and {len(sentence_vectors)} sentence vectors for "
                f"{len(passages)} passages with {n_sentences} sentences"
            )
        client = connect(self.options)
        build = f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"
        names = (f"{self.options.milvus_prefix}_{build}_p", f"{self.options.milvus_prefix}_{build}_s")
        mean = passage_vectors.mean(axis=0)
        centroid = (mean / np.linalg.norm(mean)).astype(np.float32)
        dim = int(passage_vectors.shape[1])
        terms = [analyze(p.embed_text) for p in passages]
        bm25 = SparseBM25(terms)
        with _reporting(self.options):
            create_collection(client, names[0], dim, len(passage_vectors), exact_max, lexical=True,
                    properties={_BUILD_PROPERTY: build, _CENTROID_PROPERTY: json.dumps(centroid.tolist())})
            insert_entities(client, names[0], (
                {"id": row, "doc": p.doc, "passage": _passage_json(p), "terms": " ".join(terms[row]),
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
        return MilvusBackend(client, self.options, build, names, list(passages), bm25, centroid, dim, n_sentences)

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
        with _reporting(self.options):
            for name, alias in zip(names, _aliases(self.options), strict=True):
                if not client.has_collection(name):
                    raise StaleIndexError(f"Milvus collection {name} is gone (dropped by a newer build?)")
                properties = client.describe_collection(name).get("properties", {})
                if properties.get(_BUILD_PROPERTY) != build:
                    raise StaleIndexError(f"Milvus collection {name} holds another build")
                if _alias_target(client, alias) != name:
                    raise StaleIndexError(f"Milvus alias {alias} now names another build (from another index?)")
                client.load_collection(name)
            centroid = np.asarray(
                json.loads(client.describe_collection(names[0])["properties"][_CENTROID_PROPERTY]), dtype=np.float32
            )
            passages, terms = _read_passages(client, names[0])
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
        with _reporting(self._options):
            previous = {_alias_target(self._client, alias) for alias in _aliases(self._options)} - {None}
            for name, alias in zip(names, _aliases(self._options), strict=True):
                if _alias_target(self._client, alias) is None:
                    self._client.create_alias(name, alias)
                else:
                    self._client.alter_alias(name, alias)
            _drop_unnamed(self._client, self._options.milvus_prefix, keep={*names, *cast(set[str], previous)})
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

    def dense(self, vector: Vectors, k: int) -> dict[int, float]:
        hits = self._search(self._passage_collection, vector.tolist(), "vector", _check_k(k), "IP")
        return {_int(hit["id"]): _float(hit["distance"]) for hit in hits}

    def sentences(self, vector: Vectors, k: int) -> dict[int, float]:
        hits = self._search(self._sentence_collection, vector.tolist(), "vector", _check_k(k), "IP", ["row"])
        best: dict[int, float] = {}
        for hit in hits:
            row = _int(cast(Entity, hit["entity"])["row"])
            best[row] = max(best.get(row, -1.0), _float(hit["distance"]))
        return best

    def lexical(self, text: str, k: int) -> dict[int, float]:
        limit = _check_k(k)
        query = self._bm25.query(analyze(text))
        if not query:
            return {}
        hits = self._search(self._passage_collection, query, "bm25", limit, "IP")
        scores = {_int(hit["id"]): _float(hit["distance"]) for hit in hits}
        return {row: score for row, score in scores.items() if score > 0}

    def sentence_vectors(self, row: int) -> Vectors:
        self._passage(row)
        found = self._query(self._sentence_collection, f"row == {row}", ["vector"])
        found.sort(key=lambda entity: _int(entity["id"]))
        return np.asarray([e["vector"] for e in found], dtype=np.float32).reshape(len(found), self._dimension)

    def passage_vectors(self, rows: Sequence[int]) -> Vectors:
        wanted = [int(row) for row in rows]
        for row in wanted:
            self._passage(row)
        by_row: dict[int, object] = {}
        for start in range(0, len(wanted), QUERY_BATCH):
            batch = sorted(set(wanted[start:start + QUERY_BATCH]))
            for entity in self._query(self._passage_collection, f"id in {batch}", ["vector"]):
                by_row[_int(entity["id"])] = entity["vector"]
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
        fields: list[str] | None = None,
    ) -> list[Entity]:
        params: dict[str, object] = {"metric_type": metric}
        if field == "vector":
            params["params"] = {"nprobe": self._nprobe(collection)}
        return self._call(lambda: list(self._client.search(
            collection, data=[data], anns_field=field, limit=limit, output_fields=fields or ["id"],
            search_params=params, consistency_level="Strong",
        )[0]))

    def _nprobe(self, collection: str) -> int:
        return search_probes(self.size if collection == self._passage_collection else self._sentence_count)

    def _query(self, collection: str, expression: str, fields: list[str]) -> list[Entity]:
        return self._call(lambda: list(self._client.query(
            collection, filter=expression, output_fields=["id", *fields], limit=MAX_LIMIT, consistency_level="Strong"
        )))

    def _call(self, request: Callable[[], T]) -> T:
        with _reporting(self._options):
            return request()


# ------------------------------------------------------------------- collections


def search_probes(count: int) -> int:
    """IVF cells searched per query over ``count`` vectors: ``index.vectors``'s rule (ignored by FLAT)."""
    return min(ivf_probes(ivf_cells(count)), ivf_cells(count))


def _aliases(options: BackendOptions) -> tuple[str, str]:
    return f"{options.milvus_prefix}_passages", f"{options.milvus_prefix}_sentences"


def _alias_target(client: MilvusClient, alias: str) -> str | None:
    if alias not in client.list_aliases().get("aliases", []):
        return None
    target = client.describe_alias(alias).get("collection_name")
    return str(target) if target else None


def _drop_unnamed(client: MilvusClient, prefix: str, keep: set[str]) -> None:
    """Drop this prefix's build collections outside ``keep``: superseded or left by killed builds.

    The previous build is kept, so a process still serving it finishes its answers.
    """
    pattern = re.compile(re.escape(prefix) + r"_\d{14}_[0-9a-f]{8}_[ps]")
    for name in client.list_collections():
        if pattern.fullmatch(name) and name not in keep:
            client.drop_collection(name)
            log.info("dropped Milvus collection %s", name)


def create_collection(
    client: MilvusClient, name: str, dim: int, count: int, exact_max: int, *, lexical: bool,
    properties: dict[str, str],
) -> None:
    """A new collection ``name`` for ``count`` vectors: an exact (FLAT) index, or IVF-Flat above
    ``exact_max`` with ``index.vectors``'s cell count, as the ``faiss`` backend does."""
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc", DataType.VARCHAR, max_length=1024)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    if count > exact_max:
        index.add_index("vector", index_type="IVF_FLAT", metric_type="IP", params={"nlist": ivf_cells(count)})
    else:
        index.add_index("vector", index_type="FLAT", metric_type="IP")
    if lexical:
        schema.add_field("passage", DataType.VARCHAR, max_length=MAX_TEXT)
        schema.add_field("terms", DataType.VARCHAR, max_length=MAX_TEXT)
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    else:
        schema.add_field("row", DataType.INT64)
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong",
                             properties=properties)


def insert_entities(client: MilvusClient, name: str, entities: Iterator[Entity]) -> None:
    """Insert in batches, then flush and load: the collection is complete and searchable."""
    batch: list[Entity] = []
    for entity in entities:
        entity["vector"] = np.asarray(entity["vector"], dtype=np.float32).tolist()  # JSON-able floats
        batch.append(entity)
        if len(batch) == INSERT_BATCH:
            client.insert(name, batch)
            batch = []
    if batch:
        client.insert(name, batch)
    client.flush(name)
    client.load_collection(name)


def _passage_json(passage: Passage) -> str:
    text = json.dumps(passage.to_dict(), ensure_ascii=False)
    if len(text) > MAX_TEXT:
        raise ValueError(f"passage {passage.chunk_id} is too long for Milvus ({len(text)} > {MAX_TEXT} characters)")
    return text


def _read_passages(client: MilvusClient, name: str) -> tuple[list[Passage], list[list[str]]]:
    """Every passage of collection ``name`` and its BM25 terms, in row order; rows must be ``0 .. n - 1``."""
    by_row: dict[int, tuple[Passage, list[str]]] = {}
    # Pages by row range: query_iterator needs a call (AllocTimestamp) Milvus Lite lacks.
    count = _int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])
    try:
        for start in range(0, count, QUERY_BATCH):
            page = client.query(name, filter=f"id >= {start} and id < {start + QUERY_BATCH}",
                                output_fields=["id", "passage", "terms"], limit=QUERY_BATCH)
            for entity in page:
                passage = Passage.from_dict(json.loads(entity["passage"]))
                by_row[_int(entity["id"])] = (passage, str(entity["terms"]).split())
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptIndexError(f"Milvus collection {name} holds a passage that cannot be read: {exc}") from exc
    if sorted(by_row) != list(range(len(by_row))):
        raise CorruptIndexError(f"Milvus collection {name} is missing passages")
    rows = [by_row[row] for row in range(len(by_row))]
    return [passage for passage, _ in rows], [terms for _, terms in rows]
