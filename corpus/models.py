"""Plain data types shared by cleaning, chunking and everything downstream."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "bullet", "table"]
BULLET_PREFIX = "• "  # how bullet items are written in the cleaned text


@dataclass(frozen=True)
class Sentence:
    """One sentence, with character offsets into the cleaned document text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """A structural unit of a cleaned document: heading, paragraph, bullet item or table."""

    kind: BlockKind
    text: str
    start: int
    end: int
    page: int | None
    section: str
    paragraph: int | None = None
    caption: str | None = None  # tables only: "Tablo 1: …"
    page_label: str | None = None  # the printed page label ("iv", "12") when the file has one


@dataclass(frozen=True)
class CleanDocument:
    """A document after cleaning: its text plus the blocks that tile it."""

    name: str
    text: str
    blocks: tuple[Block, ...]
    sha256: str
    removed: tuple[str, ...] = ()  # page furniture that cleaning dropped, for audit
    title: str | None = None  # from the file's metadata or its first heading
    pages: int | None = None  # physical pages, for formats that have them
    notes: tuple[str, ...] = ()  # what the reader could not read, e.g. "pages 3–5 have no text; …"


@dataclass(frozen=True)
class Passage:
    """A citable passage. ``text`` is what users see; ``embed_text`` is what gets embedded."""

    chunk_id: str
    doc: str
    section: str
    paragraph: int | None
    paragraph_end: int | None
    page: int | None
    page_end: int | None
    start: int
    end: int
    text: str
    kind: Literal["text", "table"]
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)
    page_label: str | None = None  # printed label of ``page`` when the file has labels (PDF)

    @property
    def embed_text(self) -> str:
        """Passage text with its section title as context (display text stays unchanged)."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    @property
    def windows(self) -> list[str]:
        """One text per sentence: the sentence followed by the next one of this passage (the last alone).

        An answer is often spread over a sentence and its continuation ("X signed a protocol.
        It covers Y."), which neither sentence matches alone. Scoring a passage by its best
        window (``index`` embeds these as documents; ``qa.retrieval``'s "window" signal) lifted
        Turkish hit@1 on the tune split from 0.847 to 0.932 fused with the other signals; English
        questions ranked better without it (docs/notes/issue-11-window.md).
        """
        texts = [s.text for s in self.sentences]
        return [f"{text} {texts[i + 1]}" if i + 1 < len(texts) else text for i, text in enumerate(texts)]

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentences"] = [asdict(s) for s in self.sentences]
        if data["page_label"] is None:
            del data["page_label"]  # formats without labels keep the passages.jsonl they always had
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        fields = dict(data)
        fields["sentences"] = tuple(Sentence(**s) for s in data.get("sentences", ()))
        return cls(**fields)
