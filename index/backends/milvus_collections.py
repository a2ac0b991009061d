"""Milvus connections and collections for the milvus backend: connect, create, fill, read, alias.

Kept apart from ``index.backends.milvus_backend`` (the backend's searches and lifecycle) so
each module has one job. Every pymilvus failure is turned into one line by :func:`reporting`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import numpy as np

# gRPC's C core prints keepalive notices ("too_many_pings") straight to stderr; failures reach
# us as exceptions anyway. Must be set before grpc loads; a user's own setting wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
from pymilvus import DataType, MilvusClient, MilvusException

from corpus import Passage
from index.backends.base import BackendOptions, display_uri
from index.errors import BackendUnavailableError, CorruptIndexError, StaleIndexError
from index.vectors import ivf_cells, ivf_probes

__all__ = ["MilvusClient"]

log = logging.getLogger(__name__)
# pymilvus logs every failed call with a traceback at ERROR level; we report failures ourselves,
# in one line (``reporting``).
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
_AUTH_WORDS = ("auth", "token", "credential", "password", "permission", "denied", "unauthenticated")
# An entity or a search hit as pymilvus returns it.
Entity = dict[str, object]


def as_int(value: object) -> int:
    return int(cast(int, value))


def as_float(value: object) -> float:
    return float(cast(float, value))


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
    with reporting(options):
        client = MilvusClient(uri=uri, token=options.milvus_token or "", timeout=10)
        client.list_collections()
    return client


@contextmanager
def reporting(options: BackendOptions) -> Iterator[None]:
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


def search_probes(count: int) -> int:
    """IVF cells searched per query over ``count`` vectors: ``index.vectors``'s rule (ignored by FLAT)."""
    return min(ivf_probes(ivf_cells(count)), ivf_cells(count))


def aliases(options: BackendOptions) -> tuple[str, str]:
    return f"{options.milvus_prefix}_passages", f"{options.milvus_prefix}_sentences"


def alias_target(client: MilvusClient, alias: str) -> str | None:
    if alias not in client.list_aliases().get("aliases", []):
        return None
    target = client.describe_alias(alias).get("collection_name")
    return str(target) if target else None


def drop_unnamed(client: MilvusClient, prefix: str, keep: set[str]) -> None:
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
    properties: dict[str, str], windows: bool = False,
) -> None:
    """A new collection ``name`` for ``count`` vectors: an exact (FLAT) index, or IVF-Flat above
    ``exact_max`` with ``index.vectors``'s cell count, as the ``faiss`` backend does.

    ``lexical``: a passage collection (the passage, its BM25 terms and weights); else a sentence
    collection (its passage's id ``pid``), which with ``windows`` also holds each sentence's
    window vector (``Passage.windows``) in a second vector field ``wvector``, indexed as ``vector``.
    """
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc", DataType.VARCHAR, max_length=1024)
    index = client.prepare_index_params()
    for field in ("vector", "wvector") if windows and not lexical else ("vector",):
        schema.add_field(field, DataType.FLOAT_VECTOR, dim=dim)
        if count > exact_max:
            index.add_index(field, index_type="IVF_FLAT", metric_type="IP", params={"nlist": ivf_cells(count)})
        else:
            index.add_index(field, index_type="FLAT", metric_type="IP")
    if lexical:
        schema.add_field("passage", DataType.VARCHAR, max_length=MAX_TEXT)
        schema.add_field("terms", DataType.VARCHAR, max_length=MAX_TEXT)
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    else:
        schema.add_field("pid", DataType.INT64)  # the id of the sentence's passage
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong",
                             properties=properties)


def insert_entities(client: MilvusClient, name: str, entities: Iterator[Entity]) -> None:
    """Insert in batches, then flush and load: the collection is complete and searchable."""
    batch: list[Entity] = []
    for entity in entities:
        for field in ("vector", "wvector"):
            if field in entity:
                entity[field] = np.asarray(entity[field], dtype=np.float32).tolist()  # JSON-able floats
        batch.append(entity)
        if len(batch) == INSERT_BATCH:
            client.insert(name, batch)
            batch = []
    if batch:
        client.insert(name, batch)
    client.flush(name)
    client.load_collection(name)


def passage_json(passage: Passage) -> str:
    text = json.dumps(passage.to_dict(), ensure_ascii=False)
    if len(text) > MAX_TEXT:
        raise ValueError(f"passage {passage.chunk_id} is too long for Milvus ({len(text)} > {MAX_TEXT} characters)")
    return text


def read_passages(client: MilvusClient, name: str, ids: Sequence[int]) -> tuple[list[Passage], list[list[str]]]:
    """The passages ``ids`` of collection ``name`` and their BM25 terms, in that order.

    Raises:
        StaleIndexError: the collection holds other passages than ``ids`` (changed since recorded).
        CorruptIndexError: a stored passage cannot be read.
    """
    found: dict[int, tuple[Passage, list[str]]] = {}
    # Pages by id range: query_iterator needs a call (AllocTimestamp) Milvus Lite lacks.
    top = max(ids, default=-1) + 1
    try:
        for start in range(0, top, QUERY_BATCH):
            page = client.query(name, filter=f"id >= {start} and id < {start + QUERY_BATCH}",
                                output_fields=["id", "passage", "terms"], limit=QUERY_BATCH)
            for entity in page:
                passage = Passage.from_dict(json.loads(entity["passage"]))
                found[as_int(entity["id"])] = (passage, str(entity["terms"]).split())
        count = as_int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptIndexError(f"Milvus collection {name} holds a passage that cannot be read: {exc}") from exc
    if count != len(ids) or set(found) != set(ids):
        raise StaleIndexError(f"Milvus collection {name} no longer holds the passages its index records")
    rows = [found[pid] for pid in ids]
    return [passage for passage, _ in rows], [terms for _, terms in rows]


def delete_ids(client: MilvusClient, names: tuple[str, str], ids: Sequence[int]) -> None:
    """Delete the passages ``ids`` from the passage collection and their sentences from the other."""
    passages, sentences = names
    for start in range(0, len(ids), QUERY_BATCH):
        batch = [int(pid) for pid in ids[start:start + QUERY_BATCH]]
        client.delete(passages, ids=batch)
        client.delete(sentences, filter=f"pid in {batch}")
