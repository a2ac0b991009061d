"""Load a folder of documents (.txt and .md), reporting every bad file by name."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from corpus.cleaning import Style, clean_text
from corpus.models import CleanDocument

log = logging.getLogger(__name__)

SUFFIX_STYLES: dict[str, Style] = {".txt": "pdf", ".md": "markdown", ".markdown": "markdown"}
# Larger files are almost certainly not a report; refuse rather than stall indexing.
MAX_FILE_BYTES = 20 * 1024 * 1024


class CorpusError(Exception):
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


def corpus_files(directory: Path) -> list[Path]:
    """The document files under ``directory``, in a stable order."""
    return sorted(
        p for p in directory.rglob("*")
        if p.suffix.lower() in SUFFIX_STYLES and not any(part.startswith(".") for part in p.parts)
    )


def _read(path: Path) -> tuple[str | None, str | None]:
    """Return (text, None) or (None, reason)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MiB limit"
        data = path.read_bytes()
    except PermissionError:
        return None, "permission denied: make the file readable (chmod +r) or remove it"
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"
    if b"\x00" in data:
        return None, "binary file (contains NUL bytes): only UTF-8 text (.txt, .md) is indexed"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, (
            f"not valid UTF-8 (byte {exc.start}): convert it, e.g. "
            "`iconv -f windows-1254 -t utf-8`"
        )
    if not text.strip():
        return None, "empty file"
    return text, None


def load_corpus(directory: Path) -> LoadResult:
    """Load and clean every document in ``directory``.

    Bad files (empty, binary, not UTF-8, unreadable, too large, duplicates) are
    skipped and listed in ``problems``; the good ones are still loaded.

    Raises:
        CorpusError: the folder is missing or holds no usable document.
    """
    if not directory.exists():
        raise CorpusError(f"corpus folder not found: {directory} (pass --corpus DIR with .txt or .md files)")
    if not directory.is_dir():
        raise CorpusError(f"corpus path is not a folder: {directory} (pass --corpus DIR)")
    result = LoadResult()
    seen: dict[str, str] = {}
    for path in corpus_files(directory):
        rel = path.relative_to(directory).as_posix()
        text, reason = _read(path)
        if text is None:
            result.problems.append(Problem(rel, reason or "unreadable"))
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest in seen:
            result.problems.append(Problem(rel, f"duplicate of {seen[digest]}; skipped"))
            continue
        seen[digest] = rel
        document = clean_text(text, rel, style=SUFFIX_STYLES[path.suffix.lower()])
        if not document.blocks:
            result.problems.append(Problem(rel, "no text left after cleaning"))
            continue
        result.documents.append(document)
    for problem in result.problems:
        log.warning("skipped %s: %s", problem.path, problem.reason)
    if not result.documents:
        detail = "; ".join(f"{p.path}: {p.reason}" for p in result.problems) or "no .txt or .md files"
        raise CorpusError(f"no usable document in {directory} ({detail})")
    return result
