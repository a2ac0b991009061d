"""Sentence-transformers embedder with per-model query/document prompts, fully offline."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# The alias that means "our offline rebuild of intfloat/multilingual-e5-small".
DEFAULT_MODEL = "multilingual-e5-small"
# Weight files are hashed only at their ends: hashing a 470 MB file on every start
# would cost a second, and sizes plus both ends catch any real change of model.
_FINGERPRINT_EDGE = 1 << 20


class EmbedderError(Exception):
    """The embedding model cannot be loaded."""


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        size = path.stat().st_size
        digest.update(f"{rel}\0{size}\0".encode())
        with path.open("rb") as fh:
            digest.update(fh.read(_FINGERPRINT_EDGE))
            if size > 2 * _FINGERPRINT_EDGE:
                fh.seek(-_FINGERPRINT_EDGE, os.SEEK_END)
                digest.update(fh.read())
    return digest.hexdigest()


def resolve_model(model: str, cache_dir: Path) -> tuple[str, Path | None]:
    """Map a model setting to (model id, local folder or None for a hub name)."""
    if model == DEFAULT_MODEL:
        from index.e5_model import DEFAULT_MODEL_ID, ensure_e5_model

        return DEFAULT_MODEL_ID, ensure_e5_model(cache_dir)
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve()), path.resolve()
    return model, None


class Embedder:
    """Encodes queries and documents into L2-normalised float32 vectors."""

    def __init__(self, model: str, cache_dir: Path, *, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every command

        self.model_id, folder = resolve_model(model, cache_dir)
        try:
            self._model = SentenceTransformer(str(folder or model), device=device)
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"cannot load embedding model {model!r}: {exc}. Use the default "
                f"{DEFAULT_MODEL!r}, a local sentence-transformers folder, or a model "
                "already in the Hugging Face cache."
            ) from exc
        folder = folder or Path(self._model.tokenizer.name_or_path)
        self.fingerprint = _fingerprint(folder) if folder.exists() else self.model_id
        self.dimension = int(self._model.get_embedding_dimension())

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        vectors = self._model.encode_query(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_documents(
        self, texts: list[str], batch_size: int = 32, *, show_progress: bool = False
    ) -> np.ndarray:
        vectors = self._model.encode_document(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def describe(self) -> dict[str, str | int]:
        return {"model_id": self.model_id, "fingerprint": self.fingerprint, "dimension": self.dimension}

