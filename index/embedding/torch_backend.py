"""The sentence-transformers embedder on torch: any model sentence-transformers can load."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.base import DEFAULT_MODEL, EmbedderConfig, EmbedderDescription, EmbedderError, Vectors
from index.embedding.models import ResolvedModel, folder_fingerprint

BATCH_SIZE = 32


class TorchEmbedder:
    """sentence-transformers with the model's own ``encode_query`` / ``encode_document`` prompts.

    Build it with :func:`index.embedding.load_embedder`.
    """

    backend = "torch"

    def __init__(self, model: ResolvedModel, config: EmbedderConfig) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every command
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        try:
            self._model = SentenceTransformer(
                str(model.folder or model.setting), device=config.device, local_files_only=not config.allow_download
            )
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"cannot load embedding model {model.setting!r}: {exc}. Use the default "
                f"{DEFAULT_MODEL!r}, a local sentence-transformers folder, or a model "
                "already in the Hugging Face cache."
            ) from exc
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbedderError(f"embedding model {model.setting!r} does not say how long its vectors are")
        self.model_id = model.model_id
        self.dimension = int(dimension)
        folder = model.folder or Path(self._model.tokenizer.name_or_path)
        self.fingerprint = folder_fingerprint(folder) if folder.exists() else self.model_id

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=True, show_progress=False)

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        return self._encode(texts, query=False, show_progress=show_progress)

    def describe(self) -> EmbedderDescription:
        return {"model_id": self.model_id, "fingerprint": self.fingerprint, "dimension": self.dimension,
                "backend": self.backend}

    def _encode(self, texts: Sequence[str], *, query: bool, show_progress: bool) -> Vectors:
        method = self._model.encode_query if query else self._model.encode_document
        vectors = method(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)
