"""The ``milvus`` backend type: build two new collections, reopen them, or update them in place.

**Build.** Every passage and sentence goes into two new collections named after a new build id;
only when both are complete does :meth:`MilvusBackend.save` point the aliases
``<prefix>_passages`` / ``<prefix>_sentences`` at them and record them in the build folder: a
build killed halfway leaves collections nothing names, dropped by the next build, and the
served index is never half filled.

**Update** (the store calls it when only some documents changed): the served collections are
changed in place, by document. The passages of new or changed documents are inserted under
new ids, those of changed or removed documents deleted, and the rest are left untouched, so
adding one report to a library of thousands writes one report's vectors, not the library's.
Before it writes, an update marks both collections ``updating``; only when it is complete does
the mark become the new build id, which the next build folder records. An update killed
halfway thus leaves a mark no build folder records: loading refuses it as stale and the store
builds anew, so a half-updated collection is never served. A process that loaded the index
before the update keeps serving its own rows meanwhile (it ignores ids it does not know) and
sees the change when it reloads.

An update builds anew instead when in-place would drift from what a build gives: the vector
index's kind or size no longer fits (:data:`RESIZE_FACTOR`), or the average passage length,
which the stored BM25 weights were computed with, moved by more than :data:`BM25_LENGTH_DRIFT`.

The build id, the centroid and the vector-index size are recorded; loading checks the id
against the collection property, so a collection replaced by another build (another model or
chunker, from another machine sharing the prefix) is refused as stale and rebuilt.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from corpus import Passage
from index.analysis import analyze
from index.backends.base import (
    BackendOptions,
    Vectors,
    check_vector_counts,
    display_uri,
    normalised_centroid,
)
from index.backends.milvus_backend import RECORD, ROWS, VOCABULARY, MilvusBackend, MilvusState
from index.backends.milvus_collections import (
    Entity,
    MilvusClient,
    alias_target,
    aliases,
    connect,
    create_collection,
    delete_ids,
    insert_entities,
    passage_json,
    read_passages,
    reporting,
)
from index.backends.sparse_bm25 import SparseBM25, average_length
from index.errors import CorruptIndexError, StaleIndexError

log = logging.getLogger(__name__)

_BUILD_PROPERTY = "report_qa.build"
_CENTROID_PROPERTY = "report_qa.centroid"
# An IVF index is made for a number of vectors; an update that takes the count beyond this
# factor of it (either way) rebuilds, so cells and probes fit the data as a build would make them.
RESIZE_FACTOR = 2.0
# Stored BM25 passage weights depend on the average passage length; an update that moves it by
# more than this share rebuilds, keeping scores within a few per cent of a fresh build's.
BM25_LENGTH_DRIFT = 0.05


def _new_build_id() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"


class MilvusType:
    """The ``milvus`` :class:`index.backends.base.UpdatableBackendType`, bound to one Milvus."""

    name: ClassVar[str] = "milvus"
    files: ClassVar[tuple[str, ...]] = (RECORD, ROWS, VOCABULARY)

    def __init__(self, options: BackendOptions) -> None:
        self.options = options

    def check(self) -> None:
        connect(self.options)

    def build(
        self, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors,
        window_vectors: Vectors, *, exact_max: int,
    ) -> MilvusBackend:
        check_vector_counts(passages, passage_vectors, sentence_vectors, window_vectors)
        client = connect(self.options)
        build = _new_build_id()
        names = (f"{self.options.milvus_prefix}_{build}_p", f"{self.options.milvus_prefix}_{build}_s")
        terms = [analyze(p.embed_text) for p in passages]
        n_sentences = len(sentence_vectors)
        state = MilvusState(
            build, names, list(passages), list(range(len(passages))), terms, SparseBM25(terms),
            normalised_centroid(passage_vectors), int(passage_vectors.shape[1]), n_sentences,
            (len(passages), n_sentences), (len(passages), n_sentences), exact_max,
        )
        with reporting(self.options):
            create_collection(client, names[0], state.dimension, len(passages), exact_max, lexical=True,
                              properties=self._properties(state))
            insert_entities(client, names[0], _passage_entities(state, range(len(passages)), passage_vectors))
            create_collection(client, names[1], state.dimension, n_sentences, exact_max, lexical=False,
                              properties={_BUILD_PROPERTY: build}, windows=True)
            insert_entities(client, names[1], _sentence_entities(
                state, range(len(passages)), (sentence_vectors, window_vectors), 0
            ))
        return MilvusBackend(client, self.options, state)

    def load(self, folder: Path) -> MilvusBackend:
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            build, names = str(record["build"]), (str(record["passages"]), str(record["sentences"]))
            uri, dim, n_sentences = str(record["uri"]), int(record["dimension"]), int(record["sentences_count"])
            next_ids = (int(record["next_ids"][0]), int(record["next_ids"][1]))
            sized_for = (int(record["sized_for"][0]), int(record["sized_for"][1]))
            length = float(record["bm25_average_length"])
            exact_max = int(record["exact_max"])
            with np.load(folder / ROWS, allow_pickle=False) as rows:
                ids = [int(pid) for pid in rows["ids"]]
            vocabulary = json.loads((folder / VOCABULARY).read_text(encoding="utf-8"))
            if not isinstance(vocabulary, list) or not all(isinstance(term, str) for term in vocabulary):
                raise ValueError(f"{VOCABULARY} is not a list of terms")
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise CorruptIndexError(f"index in {folder} cannot be read: {exc}") from exc
        if uri != self.options.milvus_uri:
            raise StaleIndexError(f"index was built on another Milvus ({display_uri(uri)})")
        client = connect(self.options)
        with reporting(self.options):
            for name, alias in zip(names, aliases(self.options), strict=True):
                if not client.has_collection(name):
                    raise StaleIndexError(f"Milvus collection {name} is gone (dropped by a newer build?)")
                if _property(client, name, _BUILD_PROPERTY) != build:
                    raise StaleIndexError(f"Milvus collection {name} holds another build (or an unfinished update)")
                if alias_target(client, alias) != name:
                    raise StaleIndexError(f"Milvus alias {alias} now names another build (from another index?)")
                client.load_collection(name)
            if _vector_dimension(client, names[1], "wvector") != dim:
                raise StaleIndexError(f"Milvus collection {names[1]} has no window vectors of dimension {dim}")
            centroid = np.asarray(json.loads(_property(client, names[0], _CENTROID_PROPERTY)), dtype=np.float32)
            passages, terms = read_passages(client, names[0], ids)
        if centroid.shape != (dim,):
            raise CorruptIndexError(f"Milvus collection {names[0]} has a centroid of another dimension")
        if sum(len(p.sentences) for p in passages) != n_sentences:
            raise CorruptIndexError(f"Milvus collections {', '.join(names)} do not match {folder / RECORD}")
        try:
            bm25 = SparseBM25(terms, vocabulary, length)
            state = MilvusState(
                build, names, passages, ids, terms, bm25, centroid, dim, n_sentences, next_ids, sized_for, exact_max
            )
        except ValueError as exc:
            raise CorruptIndexError(f"index in {folder} is inconsistent: {exc}") from exc
        return MilvusBackend(client, self.options, state)

    def update(
        self, folder: Path, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors,
        window_vectors: Vectors, *, changed: frozenset[str], exact_max: int,
    ) -> MilvusBackend:
        """The index saved in ``folder`` changed in place to hold exactly ``passages`` (see the module docstring).

        Raises:
            StaleIndexError, CorruptIndexError: the saved index cannot be updated (the store builds anew).
        """
        check_vector_counts(passages, passage_vectors, sentence_vectors, window_vectors)
        old = self.load(folder).state
        kept = _kept_documents(old, passages, changed)
        terms = [analyze(p.embed_text) for p in passages]
        reason = _rebuild_reason(old, passages, terms, kept, exact_max)
        if reason is not None:
            log.info("building new Milvus collections instead of updating: %s", reason)
            return self.build(passages, passage_vectors, sentence_vectors, window_vectors, exact_max=exact_max)

        old_rows = _rows_by_document(old.passages)
        fresh = [row for row, p in enumerate(passages) if p.doc not in kept]
        gone = [old.ids[row] for doc, rows in old_rows.items() if doc not in kept for row in rows]
        ids, at = [], {doc: iter(old_rows[doc]) for doc in kept}
        next_passage, next_sentence = old.next_ids
        for passage in passages:
            if passage.doc in kept:
                ids.append(old.ids[next(at[passage.doc])])
            else:
                ids.append(next_passage)
                next_passage += 1
        n_new_sentences = sum(len(passages[row].sentences) for row in fresh)
        state = MilvusState(
            _new_build_id(), old.names, list(passages), ids, terms,
            SparseBM25(terms, old.bm25.terms, old.bm25.average_length), normalised_centroid(passage_vectors),
            old.dimension, len(sentence_vectors), (next_passage, next_sentence + n_new_sentences), old.sized_for,
            exact_max,
        )
        client = connect(self.options)
        with reporting(self.options):
            for name in old.names:  # an update killed from here on is refused when loaded
                client.alter_collection_properties(name, properties={_BUILD_PROPERTY: f"updating_{state.build}"})
            insert_entities(client, old.names[0], _passage_entities(state, fresh, passage_vectors))
            insert_entities(client, old.names[1], _sentence_entities(
                state, fresh, (sentence_vectors, window_vectors), next_sentence
            ))
            delete_ids(client, old.names, gone)
            for name in old.names:
                client.flush(name)
            client.alter_collection_properties(old.names[0], properties=self._properties(state))
            client.alter_collection_properties(old.names[1], properties={_BUILD_PROPERTY: state.build})
        log.info("updated Milvus collections in place: %d passages added, %d deleted", len(fresh), len(gone))
        return MilvusBackend(client, self.options, state)

    @staticmethod
    def _properties(state: MilvusState) -> dict[str, str]:
        return {_BUILD_PROPERTY: state.build, _CENTROID_PROPERTY: json.dumps(state.centroid.tolist())}


def _property(client: MilvusClient, collection: str, key: str) -> str:
    return str(client.describe_collection(collection).get("properties", {}).get(key, ""))


def _vector_dimension(client: MilvusClient, collection: str, field: str) -> int | None:
    """The dimension of ``collection``'s vector field ``field`` (None: it has no such field)."""
    for spec in client.describe_collection(collection).get("fields", []):
        if spec.get("name") == field:
            return int(spec.get("params", {}).get("dim", -1))
    return None


def _rows_by_document(passages: Sequence[Passage]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = defaultdict(list)
    for row, passage in enumerate(passages):
        rows[passage.doc].append(row)
    return rows


def _kept_documents(old: MilvusState, passages: Sequence[Passage], changed: frozenset[str]) -> set[str]:
    """Documents whose stored passages can stay: not ``changed``, and stored exactly as now."""
    before = _rows_by_document(old.passages)
    now = _rows_by_document(passages)
    return {
        doc for doc, rows in now.items()
        if doc not in changed and doc in before
        and [old.passages[row] for row in before[doc]] == [passages[row] for row in rows]
    }


def _rebuild_reason(
    old: MilvusState, passages: Sequence[Passage], terms: Sequence[list[str]], kept: set[str], exact_max: int
) -> str | None:
    """Why updating ``old`` in place would not give what a build gives (None: it would)."""
    if not kept:
        return "no document is unchanged"
    if exact_max != old.exact_max:
        return f"the exact-search limit changed ({old.exact_max} -> {exact_max} vectors)"
    n_sentences = sum(len(p.sentences) for p in passages)
    for now, sized in zip((len(passages), n_sentences), old.sized_for, strict=True):
        if (now > exact_max) != (sized > exact_max):
            return "the vector index changes between exact and approximate"
        if sized > exact_max and not sized / RESIZE_FACTOR <= now <= sized * RESIZE_FACTOR:
            return f"the approximate vector index was made for {sized} vectors, not {now}"
    drift = abs(average_length(terms) / old.bm25.average_length - 1)
    if drift > BM25_LENGTH_DRIFT:
        return f"the average passage length moved by {drift:.0%}"
    return None


def _passage_entities(state: MilvusState, rows: Sequence[int], vectors: Vectors) -> Iterator[Entity]:
    for row in rows:
        passage, terms = state.passages[row], state.terms[row]
        yield {"id": state.ids[row], "doc": passage.doc, "passage": passage_json(passage),
               "terms": " ".join(terms), "bm25": state.bm25.document(terms), "vector": vectors[row]}


def _sentence_entities(
    state: MilvusState, rows: Sequence[int], vectors: tuple[Vectors, Vectors], first_id: int
) -> Iterator[Entity]:
    """The sentences of passages ``rows``, numbered from ``first_id``, with their windows; ``vectors``
    (sentence, window) has every passage's."""
    sentence_vectors, window_vectors = vectors
    starts = np.cumsum([0] + [len(p.sentences) for p in state.passages])
    sid = first_id
    for row in rows:
        for offset in range(len(state.passages[row].sentences)):
            at = int(starts[row]) + offset
            yield {"id": sid, "pid": state.ids[row], "doc": state.passages[row].doc,
                   "vector": sentence_vectors[at], "wvector": window_vectors[at]}
            sid += 1
