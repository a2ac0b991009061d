"""Deprecated re-exports of ``index.embedding``; this module goes away once nothing imports it.

Use instead::

    from index.embedding import DEFAULT_MODEL, Embedder, EmbedderConfig, EmbedderError, load_embedder
    embedder = load_embedder(settings.embedder_config())

``Embedder(model, cache_dir, backend=..., threads=..., device=...)`` below keeps the old
constructor working meanwhile. It reads no environment variable: the backend, threads and
spinning come from its arguments (``auto``, all cores, no spinning by default), and hub
downloads are left to the ``HF_HUB_OFFLINE`` environment the command line sets, as before.
"""

from __future__ import annotations

from pathlib import Path

from index.embedding import DEFAULT_MODEL, EmbedderConfig, EmbedderError, embedder_backends, load_embedder
from index.embedding import Embedder as EmbedderProtocol
from index.embedding.onnx_graph import onnx_unsupported_reason, write_onnx_model

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL",
    "Embedder",
    "EmbedderError",
    "onnx_unsupported_reason",
    "write_onnx_model",
]

BACKENDS = embedder_backends()


# The old names: a class, and two private helpers the bench reached for.
_onnx_unsupported = onnx_unsupported_reason
_write_onnx = write_onnx_model


def Embedder(
    model: str,
    cache_dir: Path,
    *,
    device: str = "cpu",
    backend: str | None = None,
    threads: int | None = None,
) -> EmbedderProtocol:
    """``load_embedder`` with the old constructor's arguments."""
    config = EmbedderConfig(
        model=model, cache_dir=Path(cache_dir), backend=backend or "auto", threads=threads,
        allow_download=True, device=device,
    )
    return load_embedder(config)
