"""Search backends by name: ``faiss`` (the local FAISS + bm25s files) today.

A new backend is a class implementing :class:`index.backends.base.SearchBackend` whose class
(or a small factory object) is a :class:`index.backends.base.BackendType`, added to ``_TYPES``;
``tests/index/test_backend_contract.py`` then runs the same checks over it.
"""

from __future__ import annotations

from pathlib import Path

from corpus import Passage
from index.backends.base import BackendType, SearchBackend, Vectors
from index.backends.faiss_backend import FaissBackend
from index.errors import IndexStoreError
from index.vectors import EXACT_MAX_VECTORS

DEFAULT_BACKEND = "faiss"
_TYPES: dict[str, BackendType] = {FaissBackend.name: FaissBackend}


def backend_names() -> tuple[str, ...]:
    """The registered backend names."""
    return tuple(_TYPES)


def backend_type(name: str) -> BackendType:
    """The backend kind registered as ``name``.

    Raises:
        IndexStoreError: no backend has that name.
    """
    kind = _TYPES.get(name)
    if kind is None:
        raise IndexStoreError(f"unknown search backend {name!r}; use one of {', '.join(backend_names())}")
    return kind


def build_backend(
    name: str,
    passages: list[Passage],
    passage_vectors: Vectors,
    sentence_vectors: Vectors,
    *,
    exact_max: int = EXACT_MAX_VECTORS,
) -> SearchBackend:
    """A new, unsaved backend of kind ``name`` over ``passages`` and their vectors."""
    return backend_type(name).build(passages, passage_vectors, sentence_vectors, exact_max=exact_max)


def open_backend(name: str, folder: Path) -> SearchBackend:
    """The backend of kind ``name`` saved in ``folder``.

    Raises:
        IndexStoreError: unknown name; CorruptIndexError: unreadable or inconsistent files.
    """
    return backend_type(name).load(folder)
