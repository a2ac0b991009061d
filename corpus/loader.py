"""Load a folder of documents (.txt and .md), reporting every bad file by name."""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from corpus.cleaning import Style, clean_text
from corpus.errors import ReportQAError
from corpus.models import CleanDocument

log = logging.getLogger(__name__)

SUFFIX_STYLES: dict[str, Style] = {".txt": "pdf", ".md": "markdown", ".markdown": "markdown"}
# Larger files are almost certainly not a report; refuse rather than stall indexing.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Document text is untrusted. Control characters other than tab, newline, carriage return and
# form feed (a page break in PDF text) could drive a terminal that prints a quote (ANSI escape
# sequences) and never carry meaning; bidirectional overrides and isolates can make a quote read
# differently from what it says ("Trojan Source"). Both are removed before cleaning.
_UNSAFE_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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


def corpus_files(directory: Path) -> list[Path]:
    """The document files under ``directory``, in a stable order.

    Hidden files and folders (a leading dot) *inside* ``directory`` are skipped; the folder
    itself may live anywhere, e.g. under ``~/.local``. Folders named like documents are not files.
    """
    return sorted(
        p for p in directory.rglob("*")
        if p.suffix.lower() in SUFFIX_STYLES
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
        and not p.is_dir()
    )


def sanitize_text(text: str) -> str:
    """Remove control characters and bidirectional overrides that untrusted text must not carry."""
    return _UNSAFE_CHARS_RE.sub("", text)


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """Decode UTF-8 (with or without BOM), or UTF-16 with a BOM; else explain how to convert."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, "damaged UTF-16 text: save it again as UTF-8"
    if b"\x00" in data:
        return None, "binary file (contains NUL bytes): only UTF-8 text (.txt, .md) is indexed; remove it"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, (
            f"not valid UTF-8 (byte {exc.start}): convert it, e.g. "
            "`iconv -f windows-1254 -t utf-8`"
        )


def _read(path: Path) -> tuple[str | None, str | None]:
    """Return (text, None) or (None, reason)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, (
                f"file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit: "
                "split it into smaller documents or remove it"
            )
        with path.open("rb") as fh:  # never read more than the limit, even if the file grows
            data = fh.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        return None, "permission denied: make the file readable (chmod +r) or remove it"
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"
    if len(data) > MAX_FILE_BYTES:
        return None, f"file grew over the {MAX_FILE_BYTES // 2**20} MiB limit while being read: remove it"
    text, reason = _decode(data)
    if text is None:
        return None, reason
    text = sanitize_text(text)
    if not text.strip():
        return None, "empty file (no text): add text or remove it"
    return text, None


def load_corpus(directory: Path) -> LoadResult:
    """Load and clean every document in ``directory``.

    Bad files (empty, binary, not UTF-8, unreadable, too large, duplicates) are
    skipped and listed in ``problems``; the good ones are still loaded. Control characters
    and bidirectional overrides are removed from the text (see ``sanitize_text``).

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
            result.problems.append(Problem(rel, f"duplicate of {seen[digest]} (same text); remove one of them"))
            continue
        seen[digest] = rel
        document = clean_text(text, rel, style=SUFFIX_STYLES[path.suffix.lower()])
        if not document.blocks:
            reason = "no text left after cleaning (only page numbers or blank lines): add text or remove it"
            result.problems.append(Problem(rel, reason))
            continue
        result.documents.append(document)
    for problem in result.problems:
        log.warning("skipped %s: %s", problem.path, problem.reason)
    if not result.documents:
        detail = "; ".join(f"{p.path}: {p.reason}" for p in result.problems) or "no .txt or .md files"
        raise CorpusError(f"no usable document in {directory} ({detail})")
    return result
