"""What every reader of a text format shares: reading the bytes within a size limit, decoding
them, removing characters that untrusted text must not carry, and refusing a file that leaves
no document.

A text format's reader subclasses :class:`TextReader` and only says how its text becomes
blocks (:meth:`TextReader.clean`).
"""

from __future__ import annotations

import codecs
import re
from abc import ABC, abstractmethod
from pathlib import Path

from corpus.models import CleanDocument
from corpus.readers.base import UnreadableDocument

# Larger files are almost certainly not a report; refuse rather than stall indexing. The loader
# applies the configured limit (setting max_file_mb) before a reader opens a file; this is the
# default of that setting and the cap of a reader called directly.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Document text is untrusted. Control characters other than tab, newline, carriage return and
# form feed (a page break in PDF text) could drive a terminal that prints a quote (ANSI escape
# sequences) and never carry meaning; bidirectional overrides and isolates can make a quote read
# differently from what it says ("Trojan Source"). Both are removed before cleaning.
_UNSAFE_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def sanitize_text(text: str) -> str:
    """Remove control characters and bidirectional overrides that untrusted text must not carry."""
    return _UNSAFE_CHARS_RE.sub("", text)


def too_large(size: int, limit: int) -> UnreadableDocument:
    """The refusal of a file of ``size`` bytes over ``limit``."""
    return UnreadableDocument("too_large", size=f"{size / 2**20:.0f}", limit=f"{limit / 2**20:g}")


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, never more than ``limit`` of them.

    The size is checked before the file is opened, and again on what was read in case the
    file grew meanwhile.

    Raises:
        UnreadableDocument: the file is too large or cannot be read.
    """
    try:
        size = path.stat().st_size
        if size > limit:
            raise too_large(size, limit)
        with path.open("rb") as fh:  # never read more than the limit, even if the file grows
            data = fh.read(limit + 1)
    except PermissionError:
        raise UnreadableDocument("permission_denied") from None
    except OSError as exc:
        raise UnreadableDocument("cannot_read", detail=exc.strerror or exc) from None
    if len(data) > limit:
        raise UnreadableDocument("grew_too_large", limit=f"{limit / 2**20:g}")
    return data


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), or UTF-16 with a BOM.

    Raises:
        UnreadableDocument: anything else, with how to convert it.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableDocument("utf16_damaged") from None
    if b"\x00" in data:
        raise UnreadableDocument("binary_text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument("not_utf8", byte=exc.start) from None


def read_text(path: Path) -> str:
    """The file's text, decoded and sanitised (see :func:`sanitize_text`).

    Raises:
        UnreadableDocument: the file is too large, unreadable, binary, not UTF-8/UTF-16, or blank.
    """
    text = sanitize_text(decode_text(read_bytes(path)))
    if not text.strip():
        raise UnreadableDocument("empty_text")
    return text


class TextReader(ABC):
    """A reader of a text format: the shared byte-level reading, then the format's own cleaning."""

    name: str
    version: str
    suffixes: tuple[str, ...]

    def read(self, path: Path, name: str) -> CleanDocument:
        """Read, decode and clean ``path`` (see :class:`~corpus.readers.base.Reader`)."""
        document = self.clean(read_text(path), name)
        if not document.blocks:
            raise UnreadableDocument("blank_after_cleaning")
        return document

    @abstractmethod
    def clean(self, text: str, name: str) -> CleanDocument:
        """Turn decoded text into the document called ``name``; it may have no blocks."""
