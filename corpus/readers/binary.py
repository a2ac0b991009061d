"""What the readers of binary formats (PDF, DOCX) share: bounded reading and naming what a file really is.

A file whose suffix lies (a ".pdf" that is a ZIP archive, a ".docx" that is text) is refused
with what it actually holds, so the user knows which file to fix and how.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from corpus.readers.base import UnreadableDocument
from corpus.readers.text import read_bytes

# Leading bytes of the formats a mislabelled document most often turns out to be.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls)"),
    (b"{\\rtf", "an RTF file"),
)


def describe(data: bytes) -> str:
    """What ``data`` looks like, for a message: "a ZIP archive", "text", "binary data"."""
    head = data[:1024]
    for magic, label in _MAGIC:
        if head.startswith(magic):
            return label
    if b"\x00" in head:
        return "binary data"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 1024-byte edge
            return "text in a legacy encoding or binary data"
    return "text"


def read_document_bytes(path: Path, magic: bytes, kind: str) -> bytes:
    """The bytes of ``path``, refused unless they start with ``magic`` (the format's signature).

    Raises:
        UnreadableDocument: empty, too large, unreadable, or not a ``kind`` file (naming what it is).
    """
    data = read_bytes(path)
    if not data:
        raise UnreadableDocument("empty_binary", kind=kind)
    if not data.startswith(magic):
        raise UnreadableDocument("wrong_format", kind=kind, holds=describe(data))
    return data


def fingerprint_bytes(data: bytes) -> str:
    """The sha256 recorded for a binary document: of its bytes."""
    return hashlib.sha256(data).hexdigest()
