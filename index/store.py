"""The on-disk index: build, verify, load, and rebuild when stale.

Layout of ``index_dir``::

    .lock                       file lock held while building
    current -> builds/<id>      symlink, swapped atomically when a build completes
    builds/<id>/manifest.json   model, chunker, corpus hash, library versions, file checksums
    builds/<id>/manifest.sha256 checksum of manifest.json
    builds/<id>/passages.jsonl  passages with sentences and offsets
    builds/<id>/passages.faiss  passage vectors (FAISS's own format)
    builds/<id>/sentences.faiss sentence vectors, for answer selection
    builds/<id>/centroid.npy    mean passage vector, for abstention
    builds/<id>/bm25/           bm25s's npy/JSON files

A build writes a new ``builds/<id>`` folder, then replaces the ``current`` symlink
with ``os.replace``: a killed build never touches the index in use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from filelock import FileLock, Timeout

from corpus import ChunkerConfig, CorpusError, Passage, chunk_document, load_corpus
from corpus.loader import Problem, corpus_files
from index.bm25 import BM25Index
from index.embedder import Embedder
from index.vectors import EXACT_MAX_VECTORS, build_vector_index, load_vector_index, save_vector_index

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
LOCK_TIMEOUT_S = 600.0
_LIBRARIES = ("faiss-cpu", "bm25s", "sentence-transformers", "transformers", "torch", "numpy")


class IndexStoreError(Exception):
    """The index cannot be used; the message says why and what to do."""


class StaleIndexError(IndexStoreError):
    """The index was built from another corpus, model or chunker setting."""


class CorruptIndexError(IndexStoreError):
    """An index file is missing, truncated or altered."""


@dataclass(frozen=True)
class IndexConfig:
    """Everything that decides what an index contains and where it lives."""

    corpus_dir: Path
    index_dir: Path
    cache_dir: Path
    model: str
    chunker: ChunkerConfig = field(default_factory=ChunkerConfig)
    exact_max: int = EXACT_MAX_VECTORS


@dataclass
class LoadedIndex:
    """An index in memory, ready for retrieval."""

    path: Path
    manifest: dict[str, Any]
    passages: list[Passage]
    passage_index: faiss.Index
    sentence_index: faiss.Index
    sentence_passage: np.ndarray  # sentence row -> passage row
    sentence_position: np.ndarray  # sentence row -> position within its passage
    bm25: BM25Index
    centroid: np.ndarray  # normalised mean passage vector: how "on topic" a question is

    @property
    def summary(self) -> dict[str, Any]:
        docs = sorted({p.doc for p in self.passages})
        return {
            "documents": len(docs),
            "passages": len(self.passages),
            "model": self.manifest["model"]["model_id"],
            "built_at": self.manifest["built_at"],
            "index_dir": str(self.path),
        }


@dataclass
class BuildReport:
    """What a build did, for the CLI summary and benchmarks."""

    path: Path
    documents: int
    passages: int
    sentences: int
    problems: list[Problem]
    timings: dict[str, float]


def _sha256_file(path: Path) -> str:
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
            digest.update(_sha256_file(path).encode())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def _identity(config: IndexConfig, embedder: Embedder) -> dict[str, Any]:
    """The manifest fields that must match for an index to be reused."""
    return {
        "format_version": FORMAT_VERSION,
        "model": {"model_id": embedder.model_id, "fingerprint": embedder.fingerprint},
        "chunker": config.chunker.to_dict(),
        "corpus_sha256": corpus_hash(config.corpus_dir),
    }


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def _read_manifest(build: Path) -> dict[str, Any]:
    manifest_path = build / "manifest.json"
    sha_path = build / "manifest.sha256"
    try:
        raw = manifest_path.read_bytes()
        expected = sha_path.read_text().strip()
    except OSError as exc:
        raise CorruptIndexError(f"index manifest missing in {build}: {exc.strerror}") from exc
    if hashlib.sha256(raw).hexdigest() != expected:
        raise CorruptIndexError(f"index manifest in {build} does not match its checksum")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorruptIndexError(f"index manifest in {build} is not valid JSON") from exc


def _verify_files(build: Path, manifest: dict[str, Any]) -> None:
    for rel, expected in manifest.get("files", {}).items():
        path = build / rel
        if not path.is_file():
            raise CorruptIndexError(f"index file missing: {path}")
        if _sha256_file(path) != expected:
            raise CorruptIndexError(f"index file damaged (checksum mismatch): {path}")


def check_index(config: IndexConfig, embedder: Embedder) -> str | None:
    """None when the current index can be used, else the reason it cannot."""
    build = current_build(config.index_dir)
    if build is None:
        return f"no index in {config.index_dir}"
    try:
        manifest = _read_manifest(build)
    except CorruptIndexError as exc:
        return str(exc)
    wanted = _identity(config, embedder)
    for key, value in wanted.items():
        if manifest.get(key) != value:
            return f"index was built with another {key.replace('_', ' ')}"
    return None


def load_index(config: IndexConfig, embedder: Embedder, *, verify: bool = True) -> LoadedIndex:
    """Load the current index, refusing one that is stale or damaged.

    Raises:
        StaleIndexError, CorruptIndexError: see the message; ``ensure_index`` rebuilds.
    """
    reason = check_index(config, embedder)
    if reason is not None:
        raise StaleIndexError(reason) if "another" in reason else CorruptIndexError(reason)
    build = current_build(config.index_dir)
    assert build is not None  # check_index returned None
    manifest = _read_manifest(build)
    if verify:
        _verify_files(build, manifest)
    try:
        with (build / "passages.jsonl").open(encoding="utf-8") as fh:
            passages = [Passage.from_dict(json.loads(line)) for line in fh]
        passage_index = load_vector_index(build / "passages.faiss")
        sentence_index = load_vector_index(build / "sentences.faiss")
        bm25 = BM25Index.load(build / "bm25", len(passages))
        centroid = np.load(build / "centroid.npy", allow_pickle=False)
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise CorruptIndexError(f"index in {build} cannot be read: {exc}") from exc
    rows = [(i, j) for i, p in enumerate(passages) for j in range(len(p.sentences))]
    if passage_index.ntotal != len(passages) or sentence_index.ntotal != len(rows):
        raise CorruptIndexError(f"index in {build} has vector counts that do not match its passages")
    return LoadedIndex(
        path=build,
        manifest=manifest,
        passages=passages,
        passage_index=passage_index,
        sentence_index=sentence_index,
        sentence_passage=np.array([i for i, _ in rows], dtype=np.int64),
        sentence_position=np.array([j for _, j in rows], dtype=np.int64),
        bm25=bm25,
        centroid=centroid,
    )


def _lock(index_dir: Path) -> FileLock:
    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / ".lock"), timeout=LOCK_TIMEOUT_S)


def build_index(
    config: IndexConfig,
    embedder: Embedder,
    *,
    show_progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build a new index and make it current. Holds the index lock while building.

    Raises:
        CorpusError: the corpus folder is missing or has no usable document.
        IndexStoreError: another process holds the lock for too long.
    """
    try:
        with _lock(config.index_dir):
            return _build_locked(config, embedder, show_progress, on_stage or (lambda _s: None))
    except Timeout as exc:
        raise IndexStoreError(
            f"another report-qa process has been building {config.index_dir} for over "
            f"{LOCK_TIMEOUT_S:.0f} s; wait for it or remove {config.index_dir / '.lock'} if it died"
        ) from exc


def _build_locked(
    config: IndexConfig, embedder: Embedder, show_progress: bool, on_stage: Callable[[str], None]
) -> BuildReport:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    on_stage("cleaning")
    identity = _identity(config, embedder)
    loaded = load_corpus(config.corpus_dir)
    timings["clean_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    on_stage("chunking")
    passages = [p for doc in loaded.documents for p in chunk_document(doc, config.chunker)]
    sentences = [s.text for p in passages for s in p.sentences]
    timings["chunk_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    on_stage(f"embedding {len(passages)} passages and {len(sentences)} sentences")
    passage_vectors = embedder.encode_documents([p.embed_text for p in passages], show_progress=show_progress)
    sentence_vectors = embedder.encode_documents(sentences, show_progress=show_progress)
    timings["embed_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    on_stage("writing index")
    builds = config.index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
            for passage in passages:
                fh.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
        save_vector_index(build_vector_index(passage_vectors, exact_max=config.exact_max), tmp / "passages.faiss")
        save_vector_index(build_vector_index(sentence_vectors, exact_max=config.exact_max), tmp / "sentences.faiss")
        centroid = passage_vectors.mean(axis=0)
        np.save(tmp / "centroid.npy", (centroid / np.linalg.norm(centroid)).astype(np.float32), allow_pickle=False)
        (tmp / "bm25").mkdir()
        BM25Index.build([p.embed_text for p in passages]).save(tmp / "bm25")
        files = {
            p.relative_to(tmp).as_posix(): _sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        manifest = {
            **identity,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "corpus_dir": str(config.corpus_dir),
            "documents": [{"name": d.name, "sha256": d.sha256} for d in loaded.documents],
            "skipped": [{"path": p.path, "reason": p.reason} for p in loaded.problems],
            "counts": {"documents": len(loaded.documents), "passages": len(passages), "sentences": len(sentences)},
            "embedding_dimension": embedder.dimension,
            "libraries": _library_versions(),
            "files": files,
        }
        raw = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        (tmp / "manifest.json").write_bytes(raw)
        (tmp / "manifest.sha256").write_text(hashlib.sha256(raw).hexdigest() + "\n")
        _fsync_tree(tmp)
        final = builds / build_id
        tmp.rename(final)
        _point_current(config.index_dir, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_builds(builds, keep=final)
    timings["write_s"] = time.perf_counter() - t0
    return BuildReport(final, len(loaded.documents), len(passages), len(sentences), loaded.problems, timings)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def _point_current(index_dir: Path, build: Path) -> None:
    tmp_link = index_dir / f".current-{uuid.uuid4().hex[:8]}"
    tmp_link.symlink_to(build.relative_to(index_dir))
    os.replace(tmp_link, index_dir / "current")
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove_old_builds(builds: Path, keep: Path) -> None:
    """Delete superseded builds and leftovers of killed ones (we hold the lock)."""
    for path in builds.iterdir():
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)


def ensure_index(
    config: IndexConfig,
    embedder: Embedder,
    *,
    show_progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> LoadedIndex:
    """Load the index, building or rebuilding it first when missing, stale or damaged."""
    try:
        return load_index(config, embedder)
    except IndexStoreError as exc:
        log.warning("%s; rebuilding the index", exc)
    build_index(config, embedder, show_progress=show_progress, on_stage=on_stage)
    return load_index(config, embedder)
