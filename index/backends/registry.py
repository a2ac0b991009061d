"""Search backends by name: ``faiss`` (the local FAISS + bm25s files) and ``milvus``.

A new backend is a class implementing :class:`index.backends.base.SearchBackend` whose class
(or a small factory object) is a :class:`index.backends.base.BackendType`, added to ``_TYPES``
as a function of the :class:`BackendOptions`; ``tests/index/test_backend_contract.py`` then
runs the same checks over it. ``milvus`` is imported only when asked for: ``pymilvus`` is the
optional extra ``report-qa[milvus]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from corpus import Passage
from index.backends.base import BackendOptions, BackendType, SearchBackend, Vectors
from index.errors import IndexStoreError
from index.vectors import EXACT_MAX_VECTORS

DEFAULT_BACKEND = "faiss"


def _faiss(_options: BackendOptions) -> BackendType:
    # Imported when asked for, like milvus: the settings list the names at every start.
    from index.backends.faiss_backend import FaissBackend

    return FaissBackend


def _milvus(options: BackendOptions) -> BackendType:
    try:
        from index.backends.milvus_build import MilvusType
    except ImportError as exc:  # pymilvus is an optional extra
        raise IndexStoreError(
            f"the milvus backend needs pymilvus ({exc.name} is not installed): "
            'pip install "report-qa[milvus]", or set REPORT_QA_BACKEND=faiss'
        ) from exc
    return MilvusType(options)


_TYPES: dict[str, Callable[[BackendOptions], BackendType]] = {
    DEFAULT_BACKEND: _faiss,
    "milvus": _milvus,
}


def backend_names() -> tuple[str, ...]:
    """The registered backend names."""
    return tuple(_TYPES)


def backend_type(name: str, options: BackendOptions | None = None) -> BackendType:
    """The backend kind registered as ``name``, reaching its data through ``options``.

    Raises:
        IndexStoreError: no backend has that name, or its optional library is not installed.
    """
    make = _TYPES.get(name)
    if make is None:
        raise IndexStoreError(f"unknown search backend {name!r}; use one of {', '.join(backend_names())}")
    return make(options or BackendOptions())


def build_backend(
    name: str,
    passages: list[Passage],
    passage_vectors: Vectors,
    sentence_vectors: Vectors,
    window_vectors: Vectors,
    *,
    exact_max: int = EXACT_MAX_VECTORS,
    options: BackendOptions | None = None,
) -> SearchBackend:
    """A new, unsaved backend of kind ``name`` over ``passages`` and their vectors."""
    return backend_type(name, options).build(
        passages, passage_vectors, sentence_vectors, window_vectors, exact_max=exact_max
    )


def open_backend(name: str, folder: Path, options: BackendOptions | None = None) -> SearchBackend:
    """The backend of kind ``name`` saved in ``folder``.

    Raises:
        IndexStoreError: unknown name; CorruptIndexError: unreadable or inconsistent files.
    """
    return backend_type(name, options).load(folder)
