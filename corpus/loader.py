"""Load a folder of documents, each read by the reader registered for its suffix, reporting every bad file by name."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import ReportQAError
from corpus.models import CleanDocument
from corpus.readers import Reader, UnreadableDocument, reader_for, registered_readers
from corpus.readers.text import MAX_FILE_BYTES, sanitize_text, too_large
from corpus.reasons import Reason

__all__ = [
    "MAX_FILE_BYTES",
    "CorpusError",
    "LoadResult",
    "Problem",
    "corpus_entries",
    "corpus_files",
    "default_corpus_dir",
    "load_corpus",
    "read_document",
    "sanitize_text",
]

log = logging.getLogger(__name__)


class CorpusError(ReportQAError):
    """The corpus as a whole cannot be used (missing folder, no usable document)."""


@dataclass(frozen=True)
class Problem:
    """A file that was skipped, and why: ``reason`` in English, ``cause`` (when known) in any
    interface language."""

    path: str
    reason: str
    cause: Reason | None = None

    @classmethod
    def of(cls, path: str, cause: Reason) -> Problem:
        return cls(path, cause.text("en"), cause)

    @classmethod
    def from_error(cls, path: str, exc: ReportQAError) -> Problem:
        """The problem ``exc`` reports (a reader's :class:`UnreadableDocument` carries its reason)."""
        return cls(path, str(exc), exc.reason if isinstance(exc, UnreadableDocument) else None)

    def text(self, lang: str) -> str:
        """The reason in ``lang`` when it has a code, else the English message."""
        return self.cause.text(lang) if self.cause is not None else self.reason


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


def corpus_entries(directory: Path) -> list[tuple[Path, str, Reader | None]]:
    """Every file under ``directory``: its path, its name in the corpus (relative, POSIX) and its reader.

    Raises:
        CorpusError: the folder is missing or not a folder.
    """
    if not directory.exists():
        raise CorpusError(f"corpus folder not found: {directory} (pass --corpus DIR with {_kinds()} files)")
    if not directory.is_dir():
        raise CorpusError(f"corpus path is not a folder: {directory} (pass --corpus DIR)")
    return [(path, path.relative_to(directory).as_posix(), reader) for path, reader in _all_files(directory)]


def unknown_type(path: Path) -> Reason:
    """The reason a file no reader takes is skipped."""
    if not path.suffix:
        return Reason.of("no_extension", kinds=_kinds())
    return Reason.of("unknown_type", kind=path.suffix.lower(), kinds=_kinds())


def read_document(path: Path, name: str, reader: Reader, max_file_bytes: int = MAX_FILE_BYTES) -> CleanDocument:
    """Read one corpus file, refusing it before it is opened when it is over ``max_file_bytes``.

    Raises:
        ReportQAError: the file cannot be used; the message says why and what to do.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableDocument("cannot_read", detail=exc.strerror or exc) from None
    if size > max_file_bytes:
        raise too_large(size, max_file_bytes)
    document = reader.read(path, name)
    for note in document.notes:
        log.warning("%s: %s", name, note)
    return document


def duplicate_reason(first: str) -> Reason:
    """The reason a document with the same text as ``first`` is skipped."""
    return Reason.of("duplicate", first=first)


def load_corpus(directory: Path, max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Read every document in ``directory`` with the reader for its suffix.

    Bad files (of an unknown type, empty, binary, not UTF-8, unreadable, over ``max_file_bytes``,
    encrypted or damaged, duplicates) are skipped and listed in ``problems``; the good ones are
    still loaded. What a reader could not read inside a good file (scanned pages) is logged.
    Control characters and bidirectional overrides are removed from the text (see ``sanitize_text``).

    Raises:
        CorpusError: the folder is missing or holds no usable document.
    """
    result = LoadResult()
    seen: dict[str, str] = {}
    for path, rel, reader in corpus_entries(directory):
        if reader is None:
            result.problems.append(Problem.of(rel, unknown_type(path)))
            continue
        try:
            document = read_document(path, rel, reader, max_file_bytes)
        except ReportQAError as exc:
            result.problems.append(Problem.from_error(rel, exc))
            continue
        if document.sha256 in seen:
            result.problems.append(Problem.of(rel, duplicate_reason(seen[document.sha256])))
            continue
        seen[document.sha256] = rel
        result.documents.append(document)
    for problem in result.problems:
        log.warning("skipped %s: %s", problem.path, problem.reason)
    if not result.documents:
        raise no_usable_document(directory, result.problems)
    return result


def no_usable_document(directory: Path, problems: list[Problem]) -> CorpusError:
    """The error for a corpus in which every file was skipped (each named with its reason)."""
    detail = "; ".join(f"{p.path}: {p.reason}" for p in problems) or f"no {_kinds()} files"
    return CorpusError(f"no usable document in {directory} ({detail})")


def _kinds() -> str:
    """Each reader's usual suffix (its first), for messages: ".txt or .md"."""
    usual = [reader.suffixes[0] for reader in registered_readers()]
    return usual[0] if len(usual) == 1 else f"{', '.join(usual[:-1])} or {usual[-1]}"
