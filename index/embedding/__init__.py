"""Sentence embeddings behind one protocol, with ONNX and sentence-transformers backends.

Load one with ``load_embedder(EmbedderConfig(model, cache_dir, backend=...))``; see
``index.embedding.factory`` for the backend names and ``index.embedding.base`` for the protocol.
"""

from index.embedding.base import (
    DEFAULT_MODEL,
    Embedder,
    EmbedderConfig,
    EmbedderDescription,
    EmbedderError,
    Vectors,
)
from index.embedding.factory import embedder_backends, load_embedder

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "EmbedderConfig",
    "EmbedderDescription",
    "EmbedderError",
    "Vectors",
    "embedder_backends",
    "load_embedder",
]
