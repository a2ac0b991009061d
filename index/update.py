"""Gather the parts of the next build: cached for unchanged files, read and embedded for new or changed ones.

A file's part is found by its key (``index.doc_cache.part_key``: path, content hash, reader,
chunker and model versions); only files without a stored part are read, chunked and embedded,
all of them together in one batch per vector kind so embedding runs at the model's batch
throughput. Bad files are skipped with their reason; documents whose text duplicates an
earlier one, or whose passage ids clash with an earlier one's, are skipped too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from corpus import CleanDocument, CorpusError, Passage, chunk_document
from corpus.errors import ReportQAError
from corpus.loader import Problem, corpus_entries, duplicate_reason, no_usable_document, read_document, unknown_type
from corpus.readers import Reader
from corpus.readers.text import too_large
from corpus.reasons import Reason
from index.doc_cache import DocumentPart, load_part, part_key, save_part
from index.embedding import Embedder
from index.manifest import IndexConfig, sha256_file

log = logging.getLogger(__name__)


@dataclass
class Gathered:
    """The parts of the next build, in corpus order, and what happened to each file."""

    parts: list[DocumentPart] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fresh: set[str] = field(default_factory=set)  # names read and embedded in this update
    timings: dict[str, float] = field(default_factory=dict)


def _meta(doc: CleanDocument, reader: Reader, passages: list[Passage]) -> dict[str, object]:
    return {
        "name": doc.name,
        "title": doc.title,
        "type": reader.name,
        "pages": doc.pages,
        "notes": list(doc.notes),
        "sha256": doc.sha256,
        "passages": len(passages),
        "sentences": sum(len(p.sentences) for p in passages),
    }


def gather(
    config: IndexConfig,
    embedder: Embedder,
    show_progress: bool,
    on_stage: Callable[[str], None],
    *,
    reuse: bool = True,
) -> Gathered:
    """Every usable document's part, reading and embedding only what is not stored yet
    (everything when ``reuse`` is False: a forced rebuild).

    Raises:
        CorpusError: the corpus folder is missing, or no file in it is usable.
    """
    out = Gathered()
    t0 = time.perf_counter()
    on_stage("cleaning")
    chunker = config.chunker.to_dict()
    slots: list[DocumentPart | tuple[str, CleanDocument, Reader, list[Passage]]] = []
    entries = corpus_entries(config.corpus_dir)
    chunk_s = 0.0
    # A bar with an ETA on a terminal (show_progress); embedding draws its own.
    for path, rel, reader in tqdm(entries, desc="reading", unit="file", disable=not show_progress, leave=False):
        if reader is None:
            out.problems.append(Problem.of(rel, unknown_type(path)))
            continue
        try:
            size = path.stat().st_size
            if size > config.max_file_bytes:  # never hash or open what is refused anyway
                raise too_large(size, config.max_file_bytes)
            key = part_key(rel, sha256_file(path), reader.name, reader.version, chunker, embedder.fingerprint)
        except ReportQAError as exc:
            out.problems.append(Problem.from_error(rel, exc))
            continue
        except PermissionError:  # worded as the readers word it
            out.problems.append(Problem.of(rel, Reason.of("permission_denied")))
            continue
        except OSError as exc:
            out.problems.append(Problem.of(rel, Reason.of("cannot_read", detail=exc.strerror or exc)))
            continue
        cached = load_part(config.index_dir, key) if reuse else None
        if cached is not None:
            slots.append(cached)
            continue
        try:
            doc = read_document(path, rel, reader, config.max_file_bytes)
        except ReportQAError as exc:
            out.problems.append(Problem.from_error(rel, exc))
            continue
        t_chunk = time.perf_counter()
        slots.append((key, doc, reader, chunk_document(doc, config.chunker)))
        chunk_s += time.perf_counter() - t_chunk
    out.timings["clean_s"] = time.perf_counter() - t0 - chunk_s
    out.timings["chunk_s"] = chunk_s

    t0 = time.perf_counter()
    new = [slot for slot in slots if isinstance(slot, tuple)]
    texts = [p.embed_text for *_, passages in new for p in passages]
    sentences = [s.text for *_, passages in new for p in passages for s in p.sentences]
    windows = [w for *_, passages in new for p in passages for w in p.windows]
    if texts:
        on_stage(f"embedding {len(texts)} passages and {len(sentences)} sentences (alone and with the next one) "
                 f"of {len(new)} new or changed files")
    passage_vectors = embedder.encode_documents(texts, show_progress=show_progress)
    sentence_vectors = embedder.encode_documents(sentences, show_progress=show_progress)
    window_vectors = embedder.encode_documents(windows, show_progress=show_progress)
    out.timings["embed_s"] = time.perf_counter() - t0

    made: dict[str, DocumentPart] = {}
    p_at = s_at = 0
    for key, doc, reader, passages in new:
        n_sent = sum(len(p.sentences) for p in passages)
        part = DocumentPart(
            key,
            _meta(doc, reader, passages),
            passages,
            np.ascontiguousarray(passage_vectors[p_at : p_at + len(passages)]),
            np.ascontiguousarray(sentence_vectors[s_at : s_at + n_sent]),
            np.ascontiguousarray(window_vectors[s_at : s_at + n_sent]),
        )
        p_at += len(passages)
        s_at += n_sent
        save_part(config.index_dir, part)
        made[key] = part
        out.fresh.add(doc.name)
    ordered = [made[slot[0]] if isinstance(slot, tuple) else slot for slot in slots]
    out.parts = _usable(ordered, out.problems)
    for problem in out.problems:
        log.warning("skipped %s: %s", problem.path, problem.reason)
    if not out.parts:
        if not ordered:
            raise no_usable_document(config.corpus_dir, out.problems)
        raise CorpusError(f"no passages in {config.corpus_dir}: every document was skipped")
    return out


def _usable(parts: list[DocumentPart], problems: list[Problem]) -> list[DocumentPart]:
    """Drop duplicates, documents without passages, and documents whose passage ids clash.

    Passage ids come from file names ("Rapor.txt" and "rapor.md" both give "rapor-001"), and a
    citation must name exactly one passage.
    """
    kept: list[DocumentPart] = []
    seen: dict[str, str] = {}
    owner: dict[str, str] = {}
    for part in parts:
        sha = str(part.meta["sha256"])
        if sha in seen:
            problems.append(Problem.of(part.name, duplicate_reason(seen[sha])))
            continue
        seen[sha] = part.name
        if not part.passages:
            problems.append(Problem.of(part.name, Reason.of("no_passages")))
            continue
        clash = next((p.chunk_id for p in part.passages if p.chunk_id in owner), None)
        if clash is not None:
            problems.append(Problem.of(part.name, Reason.of("passage_id_clash", clash=clash, other=owner[clash])))
            continue
        owner.update((p.chunk_id, part.name) for p in part.passages)
        kept.append(part)
    return kept
