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
with ``os.replace``: a killed build never touches the index in use. The next build
(under the lock) removes whatever a killed one left behind.

Nothing is unpickled: passages and the manifest are JSON, vectors are FAISS's own
format, arrays are ``.npy`` read with ``allow_pickle=False``. Every file's sha256 is
in the manifest and checked before anything is loaded; the manifest has its own
checksum. An index built from another corpus, model, chunker setting or format is
never used: ``load_index`` refuses it and ``ensure_index`` rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from filelock import FileLock, Timeout

from corpus import ChunkerConfig, CleanDocument, CorpusError, Passage, chunk_document, load_corpus
from corpus.errors import ReportQAError
from corpus.loader import Problem, corpus_files
from index.bm25 import BM25Index
from index.embedder import Embedder
from index.vectors import EXACT_MAX_VECTORS, build_vector_index, load_vector_index, save_vector_index

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
LOCK_TIMEOUT_S = 600.0
# Files every build has; a manifest that does not list them all is not trusted.
REQUIRED_FILES = ("passages.jsonl", "passages.faiss", "sentences.faiss", "centroid.npy")
# What the user should do when an index cannot be repaired automatically.
_TMP_LINK_PREFIX = ".current-"
_LIBRARIES = ("faiss-cpu", "bm25s", "sentence-transformers", "transformers", "torch", "onnxruntime", "numpy")


class IndexStoreError(ReportQAError):
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


def library_versions(names: tuple[str, ...] = _LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution in ``names`` (None when not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
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
        expected = sha_path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise CorruptIndexError(f"index manifest missing in {build}: {exc.strerror}") from exc
    if hashlib.sha256(raw).hexdigest() != expected:
        raise CorruptIndexError(f"index manifest in {build} does not match its checksum (damaged)")
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptIndexError(f"index manifest in {build} is not valid JSON") from exc
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise CorruptIndexError(f"index manifest in {build} has no valid list of file checksums")
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise CorruptIndexError(f"index manifest in {build} does not cover {', '.join(missing)}")
    return manifest


def _verify_files(build: Path, manifest: dict[str, Any]) -> None:
    root = build.resolve()
    for rel, expected in manifest["files"].items():
        path = build / rel
        if not path.resolve().is_relative_to(root):
            raise CorruptIndexError(f"index manifest in {build} names a file outside the index: {rel}")
        if not path.is_file():
            raise CorruptIndexError(f"index file missing: {path}")
        if _sha256_file(path) != expected:
            raise CorruptIndexError(f"index file damaged (checksum mismatch): {path}")


def _stale_reason(manifest: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    labels = {
        "format_version": "another index format version",
        "model": "another embedding model",
        "chunker": "another chunker setting",
        "corpus_sha256": "another corpus (documents were added, changed or removed)",
    }
    for key, value in wanted.items():
        if manifest.get(key) != value:
            return f"index was built with {labels.get(key, 'another ' + key.replace('_', ' '))}"
    return None


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
    manifest = _read_manifest(build)
    reason = _stale_reason(manifest, _identity(config, embedder))
    if reason is not None:
        raise StaleIndexError(reason)
    if verify:
        _verify_files(build, manifest)
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
    dims = {passage_index.d, sentence_index.d, int(centroid.shape[0]) if centroid.ndim == 1 else -1}
    if dims != {embedder.dimension}:
        raise CorruptIndexError(f"index in {build} has vectors of another dimension than the model's")
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
    with _locked(config.index_dir):
        return _build_locked(config, embedder, show_progress, on_stage or (lambda _s: None))


@contextmanager
def _locked(index_dir: Path) -> Iterator[None]:
    """Hold the index lock: one build at a time per index folder, across processes.

    The lock is an OS file lock, released by the kernel when its holder dies, so a killed
    build never blocks the next one.
    """
    try:
        with _lock(index_dir):
            yield
    except Timeout as exc:
        raise IndexStoreError(
            f"another report-qa process has been building {index_dir} for over "
            f"{LOCK_TIMEOUT_S:.0f} s; wait for it to finish, or stop it and try again"
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
    passages, documents, problems = _chunk_all(loaded.documents, config, list(loaded.problems))
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
            "documents": [{"name": d.name, "sha256": d.sha256} for d in documents],
            "skipped": [{"path": p.path, "reason": p.reason} for p in problems],
            "counts": {"documents": len(documents), "passages": len(passages), "sentences": len(sentences)},
            "embedding_dimension": embedder.dimension,
            "libraries": library_versions(),
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
    _remove_leftovers(config.index_dir, keep=final)
    timings["write_s"] = time.perf_counter() - t0
    return BuildReport(final, len(documents), len(passages), len(sentences), problems, timings)


def _chunk_all(
    documents: list[CleanDocument], config: IndexConfig, problems: list[Problem]
) -> tuple[list[Passage], list[CleanDocument], list[Problem]]:
    """Chunk every document; one whose passage ids clash with an earlier one's is skipped.

    Passage ids come from file names ("Rapor.txt" and "rapor.md" both give "rapor-001"),
    and a citation must name exactly one passage.
    """
    passages: list[Passage] = []
    kept: list[CleanDocument] = []
    owner: dict[str, str] = {}
    for doc in documents:
        chunks = chunk_document(doc, config.chunker)
        if not chunks:
            problems.append(Problem(doc.name, "no passages: the document has only headings; add its text"))
            continue
        clash = next((p.chunk_id for p in chunks if p.chunk_id in owner), None)
        if clash is not None:
            problems.append(Problem(
                doc.name,
                f"its passage ids ({clash}, …) clash with those of {owner[clash]}, whose file name "
                "differs only in case, punctuation or extension: rename one of them",
            ))
            log.warning("skipped %s: passage ids clash with %s", doc.name, owner[clash])
            continue
        owner.update((p.chunk_id, doc.name) for p in chunks)
        passages.extend(chunks)
        kept.append(doc)
    if not passages:
        raise CorpusError(f"no passages in {config.corpus_dir}: every document was skipped")
    return passages, kept, problems


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def _point_current(index_dir: Path, build: Path) -> None:
    tmp_link = index_dir / f"{_TMP_LINK_PREFIX}{uuid.uuid4().hex[:8]}"
    tmp_link.symlink_to(build.relative_to(index_dir))
    os.replace(tmp_link, index_dir / "current")
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
    for link in index_dir.glob(f"{_TMP_LINK_PREFIX}*"):
        link.unlink(missing_ok=True)


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
