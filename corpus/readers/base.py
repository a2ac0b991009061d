"""The Reader seam: one reader per file type turns a file into a :class:`CleanDocument`.

A reader says what it is (``name``), which output it gives (``version``, bumped whenever the
blocks it returns for the same file change) and which file name suffixes it takes. The loader
picks a reader by suffix through the small registry below; a new file type is one module with
a reader class plus one :func:`register_reader` call in ``corpus/readers/__init__.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from corpus.errors import ReportQAError
from corpus.models import CleanDocument
from corpus.reasons import Reason


class UnreadableDocument(ReportQAError):
    """A file that cannot be turned into a document. ``reason`` says why and what to do about it
    (``corpus.reasons``, in English and Turkish); the message is its English text, e.g.
    "empty file (no text): add text or remove it"."""

    code = "unreadable"

    def __init__(self, reason: str, **params: object) -> None:
        """``reason`` is a code of ``corpus.reasons.REASONS``; ``params`` fill its fields."""
        self.reason = Reason.of(reason, **params)
        super().__init__(self.reason.text("en"))


class Reader(Protocol):
    """Turns one file type into a cleaned document made of blocks.

    ``read`` returns a document whose blocks (heading, paragraph, bullet or table, each with
    its page number when the format has pages) tile the document's text with valid offsets,
    and holds at least one block. Anything that stops it from doing so raises a
    :class:`~corpus.errors.ReportQAError` (usually :class:`UnreadableDocument`) whose message
    names the problem.
    """

    @property
    def name(self) -> str:
        """What the reader reads, e.g. ``"markdown"`` or ``"pdf-extracted-text"``."""
        ...

    @property
    def version(self) -> str:
        """Changes whenever the reader's output for the same file changes."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Lower-case file name suffixes with their dot, e.g. ``(".md", ".markdown")``."""
        ...

    def read(self, path: Path, name: str) -> CleanDocument:
        """Read ``path`` as the document called ``name`` (its path relative to the corpus folder).

        Raises:
            ReportQAError: the file cannot be read; the message says why and what to do.
        """
        ...


_BY_NAME: dict[str, Reader] = {}
_BY_SUFFIX: dict[str, Reader] = {}


def register_reader(reader: Reader) -> None:
    """Make ``reader`` available under its name and for its suffixes.

    Raises:
        ValueError: the name or a suffix is already taken, or a suffix is not a lower-case ``.ext``.
    """
    if reader.name in _BY_NAME:
        raise ValueError(f"a reader named {reader.name!r} is already registered")
    if not reader.suffixes:
        raise ValueError(f"reader {reader.name!r} declares no file suffix")
    for suffix in reader.suffixes:
        if not suffix.startswith(".") or suffix != suffix.lower() or len(suffix) < 2:
            raise ValueError(f"reader {reader.name!r}: suffix {suffix!r} must be a lower-case '.ext'")
        if suffix in _BY_SUFFIX:
            raise ValueError(
                f"reader {reader.name!r}: suffix {suffix!r} is already read by {_BY_SUFFIX[suffix].name!r}"
            )
    _BY_NAME[reader.name] = reader
    _BY_SUFFIX.update(dict.fromkeys(reader.suffixes, reader))


def reader_for(path: Path) -> Reader | None:
    """The reader for ``path``'s suffix (case-insensitive), or None when no reader takes it."""
    return _BY_SUFFIX.get(path.suffix.lower())


def reader_named(name: str) -> Reader:
    """The registered reader called ``name``.

    Raises:
        ValueError: no reader has that name (the message lists the names there are).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no reader named {name!r}; readers: {', '.join(_BY_NAME)}") from None


def registered_readers() -> tuple[Reader, ...]:
    """Every registered reader, in registration order."""
    return tuple(_BY_NAME.values())


def registered_suffixes() -> tuple[str, ...]:
    """Every suffix some reader takes, in registration order."""
    return tuple(_BY_SUFFIX)
