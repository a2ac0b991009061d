"""The on-disk index: build, verify, load, and rebuild when stale, for any search backend.

Layout of ``index_dir``::

    .lock                       file lock held while building
    current -> builds/<id>      symlink, swapped atomically when a build completes
    builds/<id>/manifest.json   backend, model, chunker, corpus hash, library versions, file checksums
    builds/<id>/manifest.sha256 checksum of manifest.json
    builds/<id>/...             the backend's own files (``faiss``: see index.backends.faiss_backend)
    docs/<key>/                 one document's passages and vectors, reused while its file is
                                unchanged (``index.doc_cache``): an update reads and embeds only
                                new or changed files, then builds and swaps in a whole new build

A build is written into a temporary folder and renamed to ``builds/<id>``, then the
``current`` symlink is replaced (``index.atomic``): a killed build never touches the index
in use. The next build (under the lock) removes whatever a killed one left behind.

A backend whose type implements ``UpdatableBackendType`` (``milvus``: its data lives in a
server) is not rebuilt for a changed corpus: it is handed the current build and the changed
documents and changes only those (see ``index.backends.milvus_build`` for how it stays safe to
kill); the new build folder then records the result and is swapped in as above.

The manifest (``index.manifest``) is JSON and nothing is unpickled. Every file's sha256 is
in the manifest and checked before anything is loaded; the manifest has its own checksum. An
index built from another corpus, model, chunker setting, backend or format is never used:
``load_index`` refuses it and ``ensure_index`` rebuilds it.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus import Passage
from corpus.loader import Problem
from index import atomic
from index.backends import SearchBackend, backend_type
from index.backends.base import BackendType, Vectors, updates_in_place
from index.doc_cache import remove_unused_parts
from index.embedding import Embedder
from index.errors import CorruptIndexError, IndexStoreError, StaleIndexError
from index.manifest import (
    IndexConfig,
    corpus_hash,
    identity,
    library_versions,
    read_manifest,
    sha256_file,
    stale_reason,
    verify_files,
    write_manifest,
)
from index.update import gather

log = logging.getLogger(__name__)

__all__ = [
    "BuildReport",
    "CorruptIndexError",
    "IndexConfig",
    "IndexStoreError",
    "LoadedIndex",
    "StaleIndexError",
    "build_index",
    "check_index",
    "corpus_hash",
    "current_build",
    "ensure_index",
    "library_versions",
    "load_index",
]

LOCK_TIMEOUT_S = 600.0


@dataclass
class LoadedIndex:
    """An index in memory: where it was loaded from, its manifest, and its search backend."""

    path: Path
    manifest: dict[str, Any]
    backend: SearchBackend

    @property
    def passages(self) -> list[Passage]:
        """Every passage, in row order (the backend's)."""
        return self.backend.passages

    @property
    def summary(self) -> dict[str, Any]:
        docs = sorted({p.doc for p in self.passages})
        return {
            "documents": len(docs),
            "passages": len(self.passages),
            "model": self.manifest["model"]["model_id"],
            "built_at": self.manifest["built_at"],
            "index_dir": str(self.path),
            "backend": self.manifest["backend"],
            "location": self.backend.describe()["location"],
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
    added: list[str] = field(default_factory=list)  # file names read for the first time
    updated: list[str] = field(default_factory=list)  # file names whose content changed
    removed: list[str] = field(default_factory=list)  # file names no longer indexed
    unchanged: int = 0  # documents taken from the previous build without reading them


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def _checked_build(
    config: IndexConfig, embedder: Embedder, verify: bool, build: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """``build`` (default: the current one) and its manifest, once both are known to be usable.

    Raises:
        StaleIndexError, CorruptIndexError
    """
    build = build or current_build(config.index_dir)
    if build is None:
        raise CorruptIndexError(f"no index in {config.index_dir}")
    manifest = read_manifest(build)
    reason = stale_reason(manifest, identity(config, embedder))
    if reason is not None:
        raise StaleIndexError(reason)
    if verify:
        verify_files(build, manifest)
    return build, manifest


def check_index(config: IndexConfig, embedder: Embedder, *, verify: bool = True) -> str | None:
    """None when the current index can be used, else the reason it cannot.

    With ``verify`` (the default) every index file is checked against its recorded sha256,
    so a damaged file is found here and not at load time.
    """
    try:
        _checked_build(config, embedder, verify)
    except IndexStoreError as exc:
        return str(exc)
    return None


def load_index(config: IndexConfig, embedder: Embedder, *, verify: bool = True) -> LoadedIndex:
    """Load the current index, refusing one that is stale or damaged.

    A build that a concurrent ``build_index`` swaps out while it is being read is read
    again from the new ``current``.

    Raises:
        StaleIndexError, CorruptIndexError: see the message; ``ensure_index`` rebuilds.
    """
    build = current_build(config.index_dir)
    try:
        return _load_build(config, embedder, verify, build)
    except CorruptIndexError:
        now = current_build(config.index_dir)
        if now is None or now == build:
            raise
        return _load_build(config, embedder, verify, now)  # swapped while we read it: read the new one


def _load_build(config: IndexConfig, embedder: Embedder, verify: bool, build: Path | None) -> LoadedIndex:
    build, manifest = _checked_build(config, embedder, verify, build)
    backend = backend_type(manifest["backend"], config.options).load(build)
    if backend.dimension != embedder.dimension:
        raise CorruptIndexError(f"index in {build} has vectors of another dimension than the model's")
    return LoadedIndex(path=build, manifest=manifest, backend=backend)


@contextmanager
def _locked(index_dir: Path) -> Iterator[None]:
    """Hold the index lock: one build at a time per index folder, across processes.

    The lock is an OS file lock, released by the kernel when its holder dies, so a killed
    build never blocks the next one.
    """
    try:
        with atomic.exclusive(index_dir / ".lock", LOCK_TIMEOUT_S):
            yield
    except atomic.LockTimeout as exc:
        raise IndexStoreError(
            f"another report-qa process has been building {index_dir} for over "
            f"{LOCK_TIMEOUT_S:.0f} s; wait for it to finish, or stop it and try again"
        ) from exc


def build_index(
    config: IndexConfig,
    embedder: Embedder,
    *,
    show_progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
    reuse: bool = True,
) -> BuildReport:
    """Build a new index and make it current. Holds the index lock while building.

    Documents whose file is unchanged since an earlier build are taken from the part it stored
    (``index.doc_cache``), unless ``reuse`` is False: then every file is read and embedded again.

    Raises:
        CorpusError: the corpus folder is missing or has no usable document.
        IndexStoreError: another process holds the lock for too long, or the backend is unknown.
    """
    with _locked(config.index_dir):
        return _build_locked(config, embedder, show_progress, on_stage or (lambda _s: None), reuse)


def _build_locked(
    config: IndexConfig,
    embedder: Embedder,
    show_progress: bool,
    on_stage: Callable[[str], None],
    reuse: bool = True,
) -> BuildReport:
    kind = backend_type(config.backend, config.options)
    kind.check()  # a down server is reported before minutes of embedding, not after
    wanted = identity(config, embedder)
    before = _indexed_documents(config.index_dir)
    gathered = gather(config, embedder, show_progress, on_stage, reuse=reuse)
    parts, problems = gathered.parts, gathered.problems
    timings = dict(gathered.timings)
    passages = [p for part in parts for p in part.passages]
    sentences = sum(len(p.sentences) for p in passages)

    t0 = time.perf_counter()
    on_stage("writing index")
    dimension = embedder.dimension
    passage_vectors = np.concatenate([part.passage_vectors for part in parts]).reshape(-1, dimension)
    sentence_vectors = np.concatenate([part.sentence_vectors for part in parts]).reshape(-1, dimension)
    window_vectors = np.concatenate([part.window_vectors for part in parts]).reshape(-1, dimension)
    vectors = (passage_vectors, sentence_vectors, window_vectors)
    changed = frozenset(gathered.fresh)
    backend = _updated(config, kind, wanted, passages, vectors, changed) if reuse else None
    if backend is None:
        backend = kind.build(passages, *vectors, exact_max=config.exact_max)
    builds = config.index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    final = builds / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    with atomic.staged(final) as tmp:
        tmp.mkdir()
        backend.save(tmp)
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        write_manifest(tmp, {
            **wanted,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "corpus_dir": str(config.corpus_dir),
            "documents": [{**_public(part.meta), "part": part.key} for part in parts],
            "skipped": [{"path": p.path, "reason": p.reason, **({"cause": p.cause.to_json()} if p.cause else {})}
                        for p in problems],
            "counts": {"documents": len(parts), "passages": len(passages), "sentences": sentences},
            "embedding_dimension": dimension,
            "libraries": library_versions(),
            "files": files,
        })
        _fsync_tree(tmp)
    _point_current(config.index_dir, final)
    _remove_leftovers(config.index_dir, keep=final)
    remove_unused_parts(config.index_dir, {part.key for part in parts})
    timings["write_s"] = time.perf_counter() - t0
    now = [part.name for part in parts]
    return BuildReport(
        final, len(parts), len(passages), sentences, problems, timings,
        added=[n for n in now if n in gathered.fresh and n not in before],
        updated=[n for n in now if n in gathered.fresh and n in before],
        removed=sorted(before - set(now)),
        unchanged=sum(1 for n in now if n not in gathered.fresh and n in before),
    )


def _updated(
    config: IndexConfig, kind: BackendType, wanted: dict[str, Any], passages: list[Passage],
    vectors: tuple[Vectors, Vectors, Vectors], changed: frozenset[str],
) -> SearchBackend | None:
    """The current build changed by document, when its backend can do that and it was made with
    the same model, chunker and backend (only the corpus differs); None: build anew. ``vectors``:
    the passage, sentence and window vectors, as ``BackendType.build`` takes them."""
    previous = current_build(config.index_dir)
    if previous is None or not updates_in_place(kind):
        return None
    try:
        manifest = read_manifest(previous)
        verify_files(previous, manifest)
        reason = stale_reason(manifest, {key: value for key, value in wanted.items() if key != "corpus_sha256"})
        if reason is not None:
            raise StaleIndexError(reason)
        return kind.update(previous, passages, *vectors, changed=changed, exact_max=config.exact_max)
    except (StaleIndexError, CorruptIndexError) as exc:
        log.info("building the index anew, not updating it: %s", exc)
        return None


def _public(meta: dict[str, Any]) -> dict[str, Any]:
    """A part's metadata as the manifest lists the document (without the part's own checksums)."""
    return {k: v for k, v in meta.items() if k != "files"}


def _indexed_documents(index_dir: Path) -> set[str]:
    """The names of the documents in the current build (none when there is no readable one)."""
    build = current_build(index_dir)
    if build is None:
        return set()
    try:
        return {str(d["name"]) for d in read_manifest(build).get("documents", [])}
    except (IndexStoreError, KeyError, TypeError):
        return set()


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def _point_current(index_dir: Path, build: Path) -> None:
    with atomic.staged(index_dir / "current") as link:
        link.symlink_to(build.relative_to(index_dir))
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove_leftovers(index_dir: Path, keep: Path) -> None:
    """Delete superseded builds and what killed builds left behind (we hold the lock)."""
    for path in (index_dir / "builds").iterdir():
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)
    atomic.remove_leftovers(index_dir / "current")


def ensure_index(
    config: IndexConfig,
    embedder: Embedder,
    *,
    show_progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> LoadedIndex:
    """Load the index, building or rebuilding it first when missing, stale or damaged.

    Processes that start together build once: whoever gets the lock second finds the
    index fresh and only loads it.
    """
    try:
        return load_index(config, embedder)
    except IndexStoreError as exc:
        log.warning("%s; rebuilding the index", exc)
    with _locked(config.index_dir):
        try:
            return load_index(config, embedder)  # another process rebuilt it while we waited
        except IndexStoreError:
            pass
        _build_locked(config, embedder, show_progress, on_stage or (lambda _s: None))
        return load_index(config, embedder)
