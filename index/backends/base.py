"""The search-backend seam: what retrieval and answering need from a built index.

A backend holds the passages, their vectors, their sentences' vectors, their sentence windows'
vectors (a sentence with the next one of its passage: ``Passage.windows``, one per sentence) and
a lexical (BM25) index, and answers the four searches that ``qa.retrieval`` fuses. Passages are addressed by
**row**: the position of the passage in :attr:`SearchBackend.passages`. Rows are plain ints
so that fusion, tie-breaking and answers are the same whichever backend runs.

Building and persisting go through a :class:`BackendType` registered by name in
``index.backends.registry``; ``index.store`` keeps the rest (lock, manifest, checksums,
atomic swap, stale check) for every backend.

Limiting a search to chosen documents (``--doc``) goes through the backend: each search takes
``docs``, a set of document names (``Passage.doc``, the file's path in the corpus folder), and
returns only rows of passages from those documents; ``None`` searches everything. A backend
filters inside its search (FAISS: an ID selector; a server: a filter expression on the
passage's ``doc`` field), so ``k`` results come back even when the chosen documents are a small
part of the index.

Incremental updates (add, change or delete documents): ``index.store`` keeps each document's
passages and vectors in a per-document cache, so only new or changed files are read and
embedded. A backend whose type only has :meth:`BackendType.build` (``faiss``: its files are
rewritten in seconds) is then built anew from cached and new parts and swapped in atomically.
A backend whose data lives in a server, where rewriting a whole library for one new report
would cost hours, also implements :class:`UpdatableBackendType`: the store hands it the saved
index and the documents that changed, and it changes only those (``milvus``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypedDict, TypeGuard, runtime_checkable
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from corpus import Passage

# Rows of L2-normalised float32 vectors (a single vector: one row's worth, 1-D).
Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class BackendOptions:
    """Where a server backend keeps its data; file backends (``faiss``) ignore it.

    ``milvus_uri`` is a local file path (Milvus Lite, embedded) or ``http://host:19530``
    (Milvus Standalone or Distributed); ``milvus_prefix`` starts every collection and alias
    name. The token is left out of ``repr`` and is never logged or recorded.
    """

    milvus_uri: str = ""
    milvus_token: str | None = field(default=None, repr=False)
    milvus_prefix: str = "report_qa"


def display_uri(uri: str) -> str:
    """``uri`` without any ``user:password@`` part, fit for logs, status lines and ``--json``."""
    parts = urlsplit(uri)
    if parts.scheme and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
    return uri


class BackendDescription(TypedDict):
    """What :meth:`SearchBackend.describe` reports (logs, benchmarks, the index summary)."""

    backend: str  # the registered name
    location: str  # where it lives: a folder, a server URL and collection, or "memory"
    passages: int
    sentences: int
    dimension: int


@runtime_checkable
class SearchBackend(Protocol):
    """Dense, sentence, window and lexical search over one set of passages.

    Every search returns ``{row: score}`` for at most ``k`` rows, higher scores better; ``k``
    must be at least 1 and may exceed what there is.
    """

    @property
    def size(self) -> int:
        """The number of passages (rows are ``0 .. size - 1``)."""
        ...

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        ...

    @property
    def passages(self) -> list[Passage]:
        """Every passage, in row order."""
        ...

    @property
    def centroid(self) -> Vectors:
        """The normalised mean passage vector (1-D): how "on topic" a question is."""
        ...

    def dense(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        """The ``k`` passages most similar to ``vector`` (inner product of normalised vectors),
        among those of the documents ``docs`` (None: all)."""
        ...

    def sentences(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        """The passages owning the ``k`` sentences most similar to ``vector``, each scored by
        its best one (so at most ``k`` passages, usually fewer), among those of ``docs``."""
        ...

    def windows(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        """As :meth:`sentences`, over the passages' sentence windows (``Passage.windows``): the
        passages owning the ``k`` windows most similar to ``vector``, each scored by its best one."""
        ...

    def lexical(self, text: str, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        """The ``k`` passages with the highest positive BM25 score for ``text``, among those of ``docs``."""
        ...

    def sentence_vectors(self, row: int) -> Vectors:
        """The vectors of passage ``row``'s sentences, in order: ``(len(sentences), dimension)``."""
        ...

    def passage_vectors(self, rows: Sequence[int]) -> Vectors:
        """The vectors of the passages ``rows``, in that order: ``(len(rows), dimension)``."""
        ...

    def save(self, folder: Path) -> None:
        """Persist into the existing empty ``folder`` (or, for a server, record there where
        the data lives); :meth:`BackendType.load` reopens it."""
        ...

    def describe(self) -> BackendDescription:
        """Name, location and counts."""
        ...


class BackendType(Protocol):
    """A kind of backend: how it is built from vectors and reopened after :meth:`SearchBackend.save`."""

    @property
    def name(self) -> str:
        """The name it is registered and recorded in manifests under."""
        ...

    @property
    def files(self) -> tuple[str, ...]:
        """Files every saved build has; a manifest that does not list them all is not trusted."""
        ...

    def check(self) -> None:
        """Fail now if a build could not be stored, before the corpus is read and embedded.

        Raises:
            BackendUnavailableError: the server is down or refuses the credentials.
        """
        ...

    def build(
        self, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors,
        window_vectors: Vectors, *, exact_max: int,
    ) -> SearchBackend:
        """A backend over ``passages``; ``sentence_vectors`` and ``window_vectors`` have one row per
        sentence (its window's, for the latter), passage by passage. Above ``exact_max`` vectors a
        backend may search approximately.

        Raises:
            ValueError: the vector counts or shapes do not match the passages.
        """
        ...

    def load(self, folder: Path) -> SearchBackend:
        """The backend saved in ``folder``.

        Raises:
            CorruptIndexError: the saved files are unreadable or inconsistent.
        """
        ...


@runtime_checkable
class UpdatableBackendType(BackendType, Protocol):
    """A :class:`BackendType` that can change a saved index by document instead of rebuilding it."""

    def update(
        self, folder: Path, passages: list[Passage], passage_vectors: Vectors, sentence_vectors: Vectors,
        window_vectors: Vectors, *, changed: frozenset[str], exact_max: int,
    ) -> SearchBackend:
        """The index saved in ``folder``, changed to hold exactly ``passages`` (with their vectors,
        as for :meth:`BackendType.build`), searching as a fresh build of them would.

        Passages of documents in ``changed`` (``Passage.doc``: read again since the saved build)
        or absent from ``passages`` are replaced or removed; the others may be kept as stored.
        The result is saved into a new folder as a build is; ``folder`` is not written. A type
        may build anew when an update would not give what a build gives.

        Raises:
            StaleIndexError, CorruptIndexError: the saved index cannot be updated; build instead.
        """
        ...


def updates_in_place(kind: BackendType) -> TypeGuard[UpdatableBackendType]:
    """Whether ``kind`` changes a saved index by document (:class:`UpdatableBackendType`)."""
    return isinstance(kind, UpdatableBackendType)


def check_vector_counts(
    passages: Sequence[Passage], passage_vectors: Vectors, sentence_vectors: Vectors, window_vectors: Vectors
) -> None:
    """Refuse vectors that do not match the passages one to one (passages, then their sentences,
    then their sentences' windows).

    Raises:
        ValueError: the counts differ.
    """
    n_sentences = sum(len(p.sentences) for p in passages)
    if len(passage_vectors) != len(passages) or n_sentences != len(sentence_vectors) or (
        n_sentences != len(window_vectors)
    ):
        raise ValueError(
            f"{len(passage_vectors)} passage, {len(sentence_vectors)} sentence and {len(window_vectors)} window "
            f"vectors for {len(passages)} passages with {n_sentences} sentences"
        )


def normalised_centroid(passage_vectors: Vectors) -> Vectors:
    """The mean passage vector scaled to unit length: how "on topic" a question is."""
    mean = passage_vectors.mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)
