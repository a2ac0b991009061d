"""Building blocks shared by the text readers: raw lines and blocks, normalisation, and the
assembly of blocks into a :class:`CleanDocument` whose text they tile.

The cleaned text is the blocks joined by blank lines, so every block's offsets point straight
into it; a bullet item is shown with :data:`~corpus.models.BULLET_PREFIX` before its text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from corpus.models import BULLET_PREFIX, Block, BlockKind, CleanDocument

BULLET_CHARS = "•▪◦●‣∙"
# A line that starts with a bullet character, in any text format.
BULLET_RE = re.compile(rf"^\s*[{BULLET_CHARS}]\s*")


@dataclass
class Line:
    """One line of the source text with the page it is on (None when the format has no pages)."""

    text: str
    page: int | None
    page_start: bool
    label: str | None = None  # the page's printed label, when the format has labels


@dataclass
class RawBlock:
    """A block being built: its kind, its source lines and, once joined, its text."""

    kind: BlockKind
    lines: list[Line] = field(default_factory=list)
    text: str = ""

    @property
    def page(self) -> int | None:
        return self.lines[0].page if self.lines else None

    @property
    def page_label(self) -> str | None:
        return self.lines[0].label if self.lines else None


def fingerprint(text: str) -> str:
    """The sha256 recorded for a document: of its text as read, before cleaning."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize(text: str) -> str:
    """NFC, ``\\n`` line ends, and no soft hyphens (they never carry meaning)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\u00ad", "")


def drop_repeated_headings(blocks: list[RawBlock], removed: list[str]) -> list[RawBlock]:
    """Drop empty blocks, and a heading that repeats the heading right before it (noted in ``removed``)."""
    kept: list[RawBlock] = []
    for block in blocks:
        if not block.text:
            continue
        repeated = bool(kept) and kept[-1].kind == "heading" == block.kind
        if repeated and kept[-1].text.casefold() == block.text.casefold():
            removed.append(block.text)
            continue
        kept.append(block)
    return kept


def assemble(
    raw_blocks: list[RawBlock],
    name: str,
    sha: str,
    removed: list[str],
    *,
    title: str | None = None,
    pages: int | None = None,
    notes: tuple[str, ...] = (),
) -> CleanDocument:
    """The document made of ``raw_blocks``: sections from headings, paragraphs numbered per section.

    ``title`` defaults to the first heading; ``pages`` and ``notes`` are recorded as given.
    """
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    section = ""
    paragraph = 0
    for raw in raw_blocks:
        shown = f"{BULLET_PREFIX}{raw.text}" if raw.kind == "bullet" else raw.text
        number: int | None
        if raw.kind == "heading":
            section = raw.text
            paragraph = 0
            number = None
        else:
            paragraph += 1
            number = paragraph
        caption = raw.text.split("\n", 1)[0] if raw.kind == "table" else None
        blocks.append(
            Block(
                kind=raw.kind,
                text=shown,
                start=offset,
                end=offset + len(shown),
                page=raw.page,
                section=section,
                paragraph=number,
                caption=caption,
                page_label=raw.page_label,
            )
        )
        parts.append(shown)
        offset += len(shown) + 2
    first_heading = next((b.text for b in blocks if b.kind == "heading"), None)
    return CleanDocument(
        name=name,
        text="\n\n".join(parts),
        blocks=tuple(blocks),
        sha256=sha,
        removed=tuple(removed),
        title=title or first_heading,
        pages=pages,
        notes=notes,
    )
