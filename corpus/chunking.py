"""Cut a cleaned document into citable passages that respect its structure.

Rules: a passage never spans two sections, never cuts a sentence, and keeps a table
(caption, column names and rows) together. Paragraphs are packed up to
``target_words``; a paragraph longer than ``max_words`` is split between sentences.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from corpus.models import BULLET_PREFIX, Block, CleanDocument, Passage, Sentence
from corpus.sentences import split_sentences

# Bump when cleaning or chunking changes what passages come out, so that existing
# indexes are seen as stale and rebuilt.
ALGORITHM_VERSION = 3


@dataclass(frozen=True)
class ChunkerConfig:
    """Chunking settings; they are recorded in the index manifest."""

    target_words: int = 170
    min_words: int = 60
    max_words: int = 250

    def __post_init__(self) -> None:
        if not 0 < self.min_words <= self.target_words <= self.max_words:
            raise ValueError(
                "chunker needs 0 < min_words <= target_words <= max_words, "
                f"got {self.min_words}, {self.target_words}, {self.max_words}"
            )

    def to_dict(self) -> dict[str, int]:
        """The settings plus the algorithm version, as recorded in the index manifest."""
        return {**asdict(self), "algorithm": ALGORITHM_VERSION}


@dataclass
class _Unit:
    """A run of text that must stay in one passage (a block, or part of a long one)."""

    block: Block
    start: int
    end: int
    words: int
    sentences: list[Sentence]


def _slug(name: str) -> str:
    # The file type is not part of the id: "rapor.txt" and "rapor.md" would clash, and the
    # store reports that instead of indexing both.
    stem = re.sub(r"\.[0-9A-Za-z]+$", "", name)
    return re.sub(r"[^0-9A-Za-z]+", "-", stem).strip("-").lower() or "doc"


def _units(block: Block, text: str, config: ChunkerConfig) -> list[_Unit]:
    # A bullet's "• " marker is not part of its first sentence: quotes should not carry it.
    skip = len(BULLET_PREFIX) if block.kind == "bullet" and block.text.startswith(BULLET_PREFIX) else 0
    sentences = split_sentences(block.text[skip:], block.start + skip)
    words = len(block.text.split())
    if block.kind == "table" or words <= config.max_words:
        return [_Unit(block, block.start, block.end, words, sentences)]
    # Split a long paragraph between sentences into near-equal parts.
    parts = -(-words // config.target_words)
    goal = words / parts
    units: list[_Unit] = []
    group: list[Sentence] = []
    count = 0
    for sentence in sentences:
        n = len(sentence.text.split())
        if group and count + n > goal * 1.15 and len(units) < parts - 1:
            units.append(_Unit(block, group[0].start, group[-1].end, count, group))
            group, count = [], 0
        group.append(sentence)
        count += n
    if group:
        units.append(_Unit(block, group[0].start, group[-1].end, count, group))
    if units:
        units[0].start = block.start  # the first part keeps the bullet marker, as an unsplit bullet does
    return units


_SENTENCE_END = re.compile(r"[.!?…][”’\"')\]]*$")


def _sticky(unit: _Unit) -> bool:
    """A unit whose sentence is not finished ("Bu kapsamda:", "• …olması,") belongs with what follows."""
    return unit.block.kind != "table" and not _SENTENCE_END.search(unit.block.text.rstrip())


def _pack(units: list[_Unit], config: ChunkerConfig) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    words = 0
    for unit in units:
        if unit.block.kind == "table":
            if current:
                groups.append(current)
            groups.append([unit])
            current, words = [], 0
            continue
        fits = words + unit.words <= config.target_words
        glued = bool(current) and (_sticky(current[-1]) or (
            current[-1].block.kind == "bullet" and unit.block.kind == "bullet"
            and words + unit.words <= config.max_words
        ))
        if current and not fits and not glued:
            groups.append(current)
            current, words = [], 0
        current.append(unit)
        words += unit.words
    if current:
        groups.append(current)
    return _merge_small(groups, config)


def _merge_small(groups: list[list[_Unit]], config: ChunkerConfig) -> list[list[_Unit]]:
    """Merge passages under ``min_words`` into a neighbour when the result still fits."""
    def size(g: list[_Unit]) -> int:
        return sum(u.words for u in g)

    def is_table(g: list[_Unit]) -> bool:
        return any(u.block.kind == "table" for u in g)

    merged = True
    while merged:
        merged = False
        for i, group in enumerate(groups):
            if size(group) >= config.min_words or is_table(group):
                continue
            options = []
            if i > 0 and not is_table(groups[i - 1]):
                options.append((size(groups[i - 1]), i - 1))
            if i + 1 < len(groups) and not is_table(groups[i + 1]):
                options.append((size(groups[i + 1]), i + 1))
            options = [(s, j) for s, j in options if s + size(group) <= config.max_words]
            if not options:
                continue
            _, j = min(options)
            lo, hi = sorted((i, j))
            groups[lo : hi + 1] = [groups[lo] + groups[hi]]
            merged = True
            break
    return groups


def chunk_document(doc: CleanDocument, config: ChunkerConfig | None = None) -> list[Passage]:
    """Cut ``doc`` into passages; ids are ``<doc-slug>-<n>`` in document order."""
    config = config or ChunkerConfig()
    sections: list[list[Block]] = []
    for block in doc.blocks:
        if block.kind == "heading":
            sections.append([])
            continue
        if not sections:
            sections.append([])
        sections[-1].append(block)

    slug = _slug(doc.name)
    passages: list[Passage] = []
    for blocks in sections:
        units = [u for b in blocks for u in _units(b, doc.text, config)]
        for group in _pack(units, config):
            first, last = group[0], group[-1]
            paragraphs = [u.block.paragraph for u in group if u.block.paragraph is not None]
            pages = [u.block.page for u in group if u.block.page is not None]
            first_page = next((u.block for u in group if u.block.page is not None and u.block.page == min(pages)), None)
            passages.append(
                Passage(
                    chunk_id=f"{slug}-{len(passages) + 1:03d}",
                    doc=doc.name,
                    section=first.block.section,
                    paragraph=min(paragraphs) if paragraphs else None,
                    paragraph_end=max(paragraphs) if paragraphs else None,
                    page=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    start=first.start,
                    end=last.end,
                    text=doc.text[first.start : last.end],
                    kind="table" if first.block.kind == "table" else "text",
                    sentences=tuple(s for u in group for s in u.sentences),
                    page_label=first_page.page_label if first_page is not None else None,
                )
            )
    return passages
