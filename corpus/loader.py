"""Load a folder of documents, each read by the reader registered for its suffix, reporting every bad file by name."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import ReportQAError
from corpus.models import CleanDocument
from corpus.readers import Reader, reader_for, registered_readers
from corpus.readers.text import MAX_FILE_BYTES, sanitize_text, too_large

__all__ = [
    "MAX_FILE_BYTES",
    "CorpusError",
    "LoadResult",
    "Problem",
    "corpus_files",
    "default_corpus_dir",
    "load_corpus",
    "sanitize_text",
]

log = logging.getLogger(__name__)


class CorpusError(ReportQAError):
    """The corpus as a whole cannot be used (missing folder, no usable document)."""


@dataclass(frozen=True)
class Problem:
    """A file that was skipped, and why."""

    path: str
    reason: str


@dataclass
class LoadResult:
    documents: list[CleanDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def default_corpus_dir() -> Path:
    """The report shipped with the project."""
    return Path(__file__).resolve().parent / "documents"


def _all_files(directory: Path) -> list[tuple[Path, Reader | None]]:
    """Every file under ``directory`` with its reader (None: no reader takes its type), in a stable order.

    Hidden files and folders (a leading dot) *inside* ``directory`` are skipped; the folder
    itself may live anywhere, e.g. under ``~/.local``. Folders named like documents are not files.
    """
    found = []
    for path in sorted(directory.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(directory).parts)
        if not hidden and path.is_file():
            found.append((path, reader_for(path)))
    return found


def corpus_files(directory: Path) -> list[Path]:
    """The document files under ``directory`` (those some reader takes), in a stable order."""
    return [path for path, reader in _all_files(directory) if reader is not None]


def load_corpus(directory: Path, max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Read every document in ``directory`` with the reader for its suffix.

    Bad files (of an unknown type, empty, binary, not UTF-8, unreadable, over ``max_file_bytes``,
    encrypted or damaged, duplicates) are skipped and listed in ``problems``; the good ones are
    still loaded. What a reader could not read inside a good file (scanned pages) is logged. Control characters
    and bidirectional overrides are removed from the text (see ``sanitize_text``).

    Raises:
        CorpusError: the folder is missing or holds no usable document.
    """
    if not directory.exists():
        raise CorpusError(f"corpus folder not found: {directory} (pass --corpus DIR with {_kinds()} files)")
    if not directory.is_dir():
        raise CorpusError(f"corpus path is not a folder: {directory} (pass --corpus DIR)")
    result = LoadResult()
    seen: dict[str, str] = {}
    for path, reader in _all_files(directory):
        rel = path.relative_to(directory).as_posix()
        if reader is None:
            kind = path.suffix.lower() or "without an extension"
            result.problems.append(Problem(rel, f"unknown file type ({kind}): only {_kinds()} are read; remove it"))
            continue
        try:
            size = path.stat().st_size
            if size > max_file_bytes:
                raise too_large(size, max_file_bytes)
            document = reader.read(path, rel)
        except ReportQAError as exc:
            result.problems.append(Problem(rel, str(exc)))
            continue
        except OSError as exc:
            result.problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}; remove it"))
            continue
        for note in document.notes:
            log.warning("%s: %s", rel, note)
        if document.sha256 in seen:
            reason = f"duplicate of {seen[document.sha256]} (same text); remove one of them"
            result.problems.append(Problem(rel, reason))
            continue
        seen[document.sha256] = rel
        result.documents.append(document)
    for problem in result.problems:
        log.warning("skipped %s: %s", problem.path, problem.reason)
    if not result.documents:
        detail = "; ".join(f"{p.path}: {p.reason}" for p in result.problems) or f"no {_kinds()} files"
        raise CorpusError(f"no usable document in {directory} ({detail})")
    return result


def _kinds() -> str:
    """Each reader's usual suffix (its first), for messages: ".txt or .md"."""
    usual = [reader.suffixes[0] for reader in registered_readers()]
    return usual[0] if len(usual) == 1 else f"{', '.join(usual[:-1])} or {usual[-1]}"
