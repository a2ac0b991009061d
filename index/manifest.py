"""The manifest of an index build: what it was built from, its files' checksums, and the checks.

A build's ``manifest.json`` records its identity (format, backend, model fingerprint, chunker
setting, corpus hash), when and from what it was built, and the sha256 of every file;
``manifest.sha256`` holds the manifest's own checksum. A build is used only when its identity
equals the wanted one (:func:`stale_reason`) and its files match their checksums
(:func:`verify_files`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from corpus import ChunkerConfig, CorpusError
from corpus.loader import MAX_FILE_BYTES, corpus_files
from index.backends import DEFAULT_BACKEND, BackendOptions, backend_type
from index.backends.base import display_uri
from index.embedding import Embedder
from index.errors import CorruptIndexError, IndexStoreError
from index.vectors import EXACT_MAX_VECTORS

# 3: builds hold sentence-window vectors (``Passage.windows``); older builds lack them and are rebuilt.
FORMAT_VERSION = 3
# Manifests written before backends were named hold FAISS builds.
_MANIFEST_DEFAULTS = {"backend": "faiss"}
_LIBRARIES = (
    "faiss-cpu", "bm25s", "sentence-transformers", "transformers", "torch", "onnxruntime", "numpy",
    "pymilvus", "milvus-lite",
)
_STALE_LABELS = {
    "format_version": "another index format version",
    "backend": "another search backend",
    "model": "another embedding model",
    "chunker": "another chunker setting",
    "corpus_sha256": "another corpus (documents were added, changed or removed)",
}


@dataclass(frozen=True)
class IndexConfig:
    """Everything that decides what an index contains and where it lives.

    ``backend`` names a search backend of ``index.backends``, reached through ``options`` (a
    server's address); ``exact_max`` is the vector count above which it may search approximately.
    """

    corpus_dir: Path
    index_dir: Path
    cache_dir: Path
    model: str
    chunker: ChunkerConfig = field(default_factory=ChunkerConfig)
    exact_max: int = EXACT_MAX_VECTORS
    backend: str = DEFAULT_BACKEND
    max_file_bytes: int = MAX_FILE_BYTES  # larger corpus files are skipped
    options: BackendOptions = field(default_factory=BackendOptions)

    @property
    def location(self) -> str:
        """Where the searched data lives, without credentials: the index folder or the server."""
        if self.backend == "milvus":
            return display_uri(self.options.milvus_uri)
        return str(self.index_dir)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def corpus_hash(corpus_dir: Path) -> str:
    """A hash of every document's name and bytes, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir} (pass --corpus DIR with .txt or .md files)")
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.relative_to(corpus_dir).as_posix().encode())
        try:
            digest.update(sha256_file(path).encode())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def library_versions(names: tuple[str, ...] = _LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution in ``names`` (None when not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def identity(config: IndexConfig, embedder: Embedder) -> dict[str, Any]:
    """The manifest fields that must match for an index to be reused."""
    return {
        "format_version": FORMAT_VERSION,
        "backend": config.backend,
        "model": {"model_id": embedder.model_id, "fingerprint": embedder.fingerprint},
        "chunker": config.chunker.to_dict(),
        "corpus_sha256": corpus_hash(config.corpus_dir),
    }


def write_manifest(build: Path, manifest: dict[str, Any]) -> None:
    """``manifest.json`` and its checksum ``manifest.sha256`` into ``build``."""
    raw = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (build / "manifest.json").write_bytes(raw)
    (build / "manifest.sha256").write_text(hashlib.sha256(raw).hexdigest() + "\n")


def read_manifest(build: Path) -> dict[str, Any]:
    """The manifest of ``build``, once it matches its checksum and lists the backend's files.

    Raises:
        CorruptIndexError: missing, damaged, or not a manifest this code wrote.
    """
    manifest_path = build / "manifest.json"
    sha_path = build / "manifest.sha256"
    try:
        raw = manifest_path.read_bytes()
        expected = sha_path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise CorruptIndexError(f"index manifest missing in {build}: {exc.strerror}") from exc
    if hashlib.sha256(raw).hexdigest() != expected:
        raise CorruptIndexError(f"index manifest in {build} does not match its checksum (damaged)")
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptIndexError(f"index manifest in {build} is not valid JSON") from exc
    if not isinstance(manifest, dict):
        raise CorruptIndexError(f"index manifest in {build} is not a JSON object")
    manifest = {**_MANIFEST_DEFAULTS, **manifest}
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise CorruptIndexError(f"index manifest in {build} has no valid list of file checksums")
    if manifest.get("format_version") != FORMAT_VERSION:
        # Another format lists other files: ``stale_reason`` names the format, not damage.
        return manifest
    try:
        required = backend_type(str(manifest["backend"])).files
    except IndexStoreError as exc:
        raise CorruptIndexError(f"index manifest in {build}: {exc}") from exc
    missing = [name for name in required if name not in files]
    if missing:
        raise CorruptIndexError(f"index manifest in {build} does not cover {', '.join(missing)}")
    return manifest


def verify_files(build: Path, manifest: dict[str, Any]) -> None:
    """Check every file the manifest lists against its sha256.

    Raises:
        CorruptIndexError: a file is missing, altered, or outside ``build``.
    """
    root = build.resolve()
    for rel, expected in manifest["files"].items():
        path = build / rel
        if not path.resolve().is_relative_to(root):
            raise CorruptIndexError(f"index manifest in {build} names a file outside the index: {rel}")
        try:
            actual = sha256_file(path)
        except (FileNotFoundError, IsADirectoryError) as exc:  # also: a concurrent build removed it
            raise CorruptIndexError(f"index file missing: {path}") from exc
        if actual != expected:
            raise CorruptIndexError(f"index file damaged (checksum mismatch): {path}")


def stale_reason(manifest: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """Why a build with ``manifest`` is not the ``wanted`` identity (None when it is)."""
    for key, value in wanted.items():
        if manifest.get(key) != value:
            return f"index was built with {_STALE_LABELS.get(key, 'another ' + key.replace('_', ' '))}"
    return None
