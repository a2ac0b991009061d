"""Pick and load an embedder by backend name.

========== ====================================================================
``auto``   ONNX when the model is one it runs (the default e5 model is), else torch;
           an ONNX backend that fails to start falls back to torch with a warning
``onnx``   the ONNX embedder, or an error naming why it cannot run the model
``onnx-int8`` the ONNX embedder with int8 weights (other vectors, own fingerprint)
``torch``  sentence-transformers
========== ====================================================================

A new backend is a class implementing :class:`index.embedding.base.Embedder` and one entry in
``_LOADERS``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from index.embedding.base import Embedder, EmbedderConfig, EmbedderError
from index.embedding.models import ResolvedModel, resolve_model
from index.embedding.onnx_graph import onnx_unsupported_reason

log = logging.getLogger(__name__)

# Errors an ONNX embedder raises when its files or runtime are unusable.
_ONNX_LOAD_ERRORS = (OSError, ValueError, RuntimeError, KeyError)

Loader = Callable[[ResolvedModel, EmbedderConfig], Embedder]


def _load_torch(model: ResolvedModel, config: EmbedderConfig) -> Embedder:
    from index.embedding.torch_backend import TorchEmbedder

    return TorchEmbedder(model, config)


def _load_onnx(model: ResolvedModel, config: EmbedderConfig, *, quantized: bool) -> Embedder:
    from index.embedding.onnx_backend import OnnxEmbedder

    name = "onnx-int8" if quantized else "onnx"
    reason = onnx_unsupported_reason(model.folder, config.device)
    if reason is not None or model.folder is None:
        raise EmbedderError(f"the {name} backend cannot run {model.setting!r}: {reason}")
    try:
        return OnnxEmbedder(model.model_id, model.folder, config, quantized=quantized)
    except _ONNX_LOAD_ERRORS as exc:
        raise EmbedderError(f"cannot load {model.setting!r} with the {name} backend: {exc}") from exc


def _load_auto(model: ResolvedModel, config: EmbedderConfig) -> Embedder:
    if model.folder is not None and onnx_unsupported_reason(model.folder, config.device) is None:
        from index.embedding.onnx_backend import OnnxEmbedder

        try:
            return OnnxEmbedder(model.model_id, model.folder, config, quantized=False)
        except _ONNX_LOAD_ERRORS as exc:
            log.warning("ONNX backend unavailable (%s); using sentence-transformers", exc)
    return _load_torch(model, config)


_LOADERS: dict[str, Loader] = {
    "auto": _load_auto,
    "onnx": partial(_load_onnx, quantized=False),
    "onnx-int8": partial(_load_onnx, quantized=True),
    "torch": _load_torch,
}


def embedder_backends() -> tuple[str, ...]:
    """The registered backend names, ``auto`` first."""
    return tuple(_LOADERS)


def load_embedder(config: EmbedderConfig) -> Embedder:
    """The embedder ``config`` names, its model rebuilt or loaded first.

    Raises:
        EmbedderError: unknown backend, a model that cannot be loaded, or a backend that
            cannot run it (the message says which and why).
    """
    backend = config.backend.strip().lower()
    loader = _LOADERS.get(backend)
    if loader is None:
        raise EmbedderError(
            f"unknown embedding backend {config.backend!r}; use one of {', '.join(embedder_backends())}"
        )
    config = replace(config, cache_dir=Path(config.cache_dir).expanduser())
    return loader(resolve_model(config.model, config.cache_dir), config)
