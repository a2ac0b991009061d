"""Per-document parts of the index, kept between builds so an update re-reads and re-embeds only changed files.

Layout under ``index_dir/docs/<key>/``::

    meta.json        the document's name, title, type, pages, notes, text sha256, counts, file checksums
    passages.jsonl   its passages (JSON, as in a build)
    vectors.npz      its passage, sentence and sentence-window vectors (``allow_pickle=False``;
                     keys ``passages``, ``sentences``, ``windows``)

``<key>`` is the sha256 of everything that decides the part's content: the file's path in the
corpus, the sha256 of its bytes, the reader's name and version, the chunker settings (with the
chunking algorithm version) and the embedding model's fingerprint. A part never changes once
written: it is written into a temporary sibling and renamed into place (``index.atomic``), and
its files' checksums are checked when it is read back, so a killed update leaves at most an
unused temporary folder, and a damaged part is simply made again. So is a part stored before
window vectors existed (no ``windows`` key): it is read and embedded again, like a changed file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus import Passage
from index import atomic
from index.backends.base import Vectors
from index.manifest import sha256_file

log = logging.getLogger(__name__)

PARTS = "docs"
_FILES = ("passages.jsonl", "vectors.npz")


@dataclass
class DocumentPart:
    """One document's passages and vectors, with what ``docs list`` shows about it."""

    key: str
    meta: dict[str, Any]  # name, title, type, pages, notes, text_sha256
    passages: list[Passage]
    passage_vectors: Vectors
    sentence_vectors: Vectors
    window_vectors: Vectors  # one per sentence: the sentence with the next one (``Passage.windows``)

    @property
    def name(self) -> str:
        return str(self.meta["name"])


def part_key(name: str, file_sha256: str, reader: str, reader_version: str, chunker: dict[str, int], model: str) -> str:
    """The key of a document part (see the module docstring)."""
    identity = json.dumps(
        {"name": name, "file": file_sha256, "reader": [reader, reader_version], "chunker": chunker, "model": model},
        sort_keys=True,
    )
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def load_part(index_dir: Path, key: str) -> DocumentPart | None:
    """The part stored under ``key``, or None when there is none or it is damaged."""
    folder = index_dir / PARTS / key
    if not folder.is_dir():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        for name in _FILES:
            if sha256_file(folder / name) != meta["files"][name]:
                raise ValueError(f"{name} does not match its checksum")
        with (folder / "passages.jsonl").open(encoding="utf-8") as fh:
            passages = [Passage.from_dict(json.loads(line)) for line in fh]
        with np.load(folder / "vectors.npz", allow_pickle=False) as data:
            passage_vectors = data["passages"].astype(np.float32)
            sentence_vectors = data["sentences"].astype(np.float32)
            if "windows" not in data.files:
                log.info("cached part %s of the index has no window vectors; it will be made again", key[:12])
                return None
            window_vectors = data["windows"].astype(np.float32)
        n_sentences = sum(len(p.sentences) for p in passages)
        if len(passage_vectors) != len(passages) or {len(sentence_vectors), len(window_vectors)} != {n_sentences}:
            raise ValueError("vector counts do not match the passages")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("cached part %s of the index is damaged (%s); it will be made again", key[:12], exc)
        return None
    return DocumentPart(key, meta, passages, passage_vectors, sentence_vectors, window_vectors)


def save_part(index_dir: Path, part: DocumentPart) -> None:
    """Store ``part`` under its key, atomically, replacing a part stored under that key before."""
    target = index_dir / PARTS / part.key
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic.staged(target) as tmp:
        tmp.mkdir()
        with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
            for passage in part.passages:
                fh.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
        np.savez(tmp / "vectors.npz", passages=part.passage_vectors, sentences=part.sentence_vectors,
                 windows=part.window_vectors)
        files = {name: sha256_file(tmp / name) for name in _FILES}
        (tmp / "meta.json").write_text(json.dumps({**part.meta, "files": files}, ensure_ascii=False), encoding="utf-8")


def remove_unused_parts(index_dir: Path, keep: set[str]) -> None:
    """Delete parts no build uses any more, and what killed updates left (hold the index lock)."""
    folder = index_dir / PARTS
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
