"""Search backends behind one protocol; ``faiss`` (FAISS + bm25s files) and ``milvus``."""

from index.backends.base import BackendDescription, BackendOptions, BackendType, SearchBackend
from index.backends.registry import DEFAULT_BACKEND, backend_names, backend_type, build_backend, open_backend

__all__ = [
    "DEFAULT_BACKEND",
    "BackendDescription",
    "BackendOptions",
    "BackendType",
    "SearchBackend",
    "backend_names",
    "backend_type",
    "build_backend",
    "open_backend",
]
