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

from index.embedding import DEFAULT_MODEL, EmbedderConfig, EmbedderError, load_embedder
from index.embedding import Embedder as EmbedderProtocol

__all__ = ["DEFAULT_MODEL", "Embedder", "EmbedderError"]


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
