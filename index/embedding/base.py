"""The embedder seam: what retrieval and the index store need from an embedding model.

An embedder turns texts into L2-normalised float32 vectors, with the model's own prompts
for queries and documents (e5: ``query: `` / ``passage: ``). Its ``fingerprint`` names the
exact vectors it produces: an index built with one fingerprint is never searched with
another (``index.store``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from corpus.errors import ReportQAError

# The alias that means "our offline rebuild of intfloat/multilingual-e5-small".
DEFAULT_MODEL = "multilingual-e5-small"

# Rows of L2-normalised float32 vectors, one per text.
Vectors = NDArray[np.float32]


class EmbedderError(ReportQAError):
    """The embedding model cannot be loaded."""


class EmbedderDescription(TypedDict):
    """What :meth:`Embedder.describe` reports (manifests, benchmarks, logs)."""

    model_id: str
    fingerprint: str
    dimension: int
    backend: str


@dataclass(frozen=True)
class EmbedderConfig:
    """Everything that decides which embedder is loaded and how it runs.

    Attributes:
        model: ``DEFAULT_MODEL`` (the offline e5 rebuild), a sentence-transformers folder, or
            a hub model name already in the Hugging Face cache.
        cache_dir: where the rebuilt model and the ONNX encoder are kept.
        backend: a name registered in ``index.embedding.factory`` (``auto``, ``onnx``,
            ``onnx-int8``, ``torch``).
        threads: compute threads; None uses all cores.
        spin: let onnxruntime's idle worker threads spin (faster when idle, stalls a busy machine).
        allow_download: let sentence-transformers fetch a hub model; otherwise it reads only
            local files.
        device: the torch device; the ONNX backends run on ``cpu`` only.
    """

    model: str
    cache_dir: Path
    backend: str = "auto"
    threads: int | None = None
    spin: bool = False
    allow_download: bool = False
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1 (or None for all cores), got {self.threads}")


@runtime_checkable
class Embedder(Protocol):
    """Encodes queries and documents into L2-normalised float32 vectors of ``dimension``."""

    model_id: str
    fingerprint: str
    dimension: int
    backend: str

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """One row per text, with the model's query prompt; ``(0, dimension)`` for no text."""
        ...

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """One row per text, with the model's document prompt; ``(0, dimension)`` for no text."""
        ...

    def describe(self) -> EmbedderDescription:
        """The model id, fingerprint, dimension and backend name."""
        ...
