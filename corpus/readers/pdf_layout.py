"""From the positioned lines of a PDF's pages to blocks: page furniture out, paragraphs, headings, tables.

The PDF reader (``corpus.readers.pdf``) gives every line its text, page, font size, vertical
position and, for possible table rows, its cells. Here:

- **Running headers and footers** are lines at the top or bottom of a page whose text, with
  digits masked, repeats on many pages; a lone page number there ("12", "- 12 -", "iv",
  "Sayfa 3", "3 / 40") goes too, repeated or not.
- **Headings** are lines set larger than the body text, or short upper-case lines (as in the
  bundled report); consecutive heading lines are one heading.
- **Paragraphs** end at a vertical gap clearly larger than the usual line spacing, and at a
  page or column change after a finished sentence.
- **Tables** start at a caption ("Tablo 2: …") and run until prose, a heading or a gap; each
  row keeps its cells, separated by " | ".
- **Words** split at line ends are rejoined (a hyphen before a lower-case continuation is
  taken off), and footnote markers glued to words are stripped as the text reader does.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from corpus.models import BlockKind
from corpus.readers.blocks import BULLET_RE, Line, RawBlock
from corpus.readers.pdf_extracted_text import TABLE_CAPTION_RE, is_upper_heading, strip_footnotes

# Lines this close to a page's top or bottom (in line order) may be running headers or footers.
FURNITURE_LINES = 2
# A masked line repeated on at least this many pages, and this share of the pages with text, is furniture.
FURNITURE_MIN_PAGES = 3
FURNITURE_MIN_SHARE = 0.4
# Larger than the body text by this factor: a heading.
HEADING_SIZE_RATIO = 1.12
# A gap this many times the usual line spacing ends a paragraph.
PARAGRAPH_GAP_RATIO = 1.6
# A line of one cell with more words than this, ending a sentence, is prose and ends a table.
TABLE_ROW_MAX_WORDS = 14

_PAGE_NUMBER_RE = re.compile(
    r"^(?:(?:sayfa|page|s\.|p\.)\s*)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
    r"(?:\s*(?:/|of|\|)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"[.!?…:][”’\"')\]]*$")
# Hyphen-like marks PDF text shows at a line-end word break (pdfium reports a soft hyphen as U+0002 or U+FFFE).
_BREAK_MARKS = "-\u00ad\u0002\ufffe\u2010"


@dataclass
class PdfLine:
    """One line of a page as the PDF reader found it."""

    text: str
    page: int  # physical, 1-based
    label: str | None
    size: float  # font size of its first character, in points
    top: float  # y of its first character's top edge, in points from the page bottom
    bottom: float
    end_top: float  # the same for its last character (pdfium may join two visual lines)
    end_bottom: float
    cells: tuple[str, ...] = ()  # the line split at wide horizontal gaps (table rows)
    order: int = 0  # position on its page


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text)).strip().casefold()


def drop_furniture(pages: list[list[PdfLine]]) -> tuple[list[list[PdfLine]], list[str]]:
    """Remove running headers, footers and page numbers; return the pages and what was removed."""
    def candidates(lines: list[PdfLine]) -> list[PdfLine]:
        by_height = sorted(lines, key=lambda ln: -ln.top)
        return by_height[:FURNITURE_LINES] + by_height[-FURNITURE_LINES:]

    with_text = [lines for lines in pages if lines]
    counts: Counter[str] = Counter()
    for lines in with_text:
        counts.update({_mask(ln.text) for ln in candidates(lines)})
    needed = max(FURNITURE_MIN_PAGES, math.ceil(FURNITURE_MIN_SHARE * len(with_text)))
    removed: list[str] = []
    kept_pages: list[list[PdfLine]] = []
    for lines in pages:
        drop = {
            id(ln) for ln in candidates(lines)
            if counts[_mask(ln.text)] >= needed or _PAGE_NUMBER_RE.match(ln.text.strip())
        }
        removed.extend(ln.text.strip() for ln in lines if id(ln) in drop)
        kept_pages.append([ln for ln in lines if id(ln) not in drop])
    return kept_pages, removed


def _body_size(lines: list[PdfLine]) -> float:
    weights: Counter[float] = Counter()
    for ln in lines:
        weights[round(ln.size * 2) / 2] += len(ln.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _line_spacing(lines: list[PdfLine]) -> float:
    gaps = [
        prev.end_bottom - cur.top
        for prev, cur in itertools.pairwise(lines)
        if prev.page == cur.page and 0 <= prev.end_bottom - cur.top < 3 * max(prev.size, 1.0)
    ]
    return statistics.median(gaps) if gaps else 2.0


def _is_heading(line: PdfLine, body: float) -> bool:
    text = line.text.strip()
    if len(text.split()) > 14:
        return False
    if line.size >= body * HEADING_SIZE_RATIO and not _SENTENCE_END_RE.search(text):
        return True
    return is_upper_heading(text)


def _join(lines: list[str]) -> str:
    """Join a block's lines, rejoining words broken at line ends."""
    out = ""
    for raw in lines:
        piece = raw.strip()
        if not out:
            out = piece
        elif out[-1] in _BREAK_MARKS and piece[:1].isalpha() and (piece[0].islower() or out[-1] != "-"):
            out = out[:-1] + piece  # "istih-" + "barat"; a soft-hyphen mark goes before any letter
        elif out[-1] == "-" and out[-2:-1].isalpha():
            out = out + piece  # "Türk-" + "İslam": a real hyphen stays, with no space
        else:
            out = f"{out} {piece}"
    out = re.sub(r"[\u0002\ufffe]", "", out)
    return re.sub(r"[ \t\u00a0]+", " ", out).strip()


def group_blocks(pages: list[list[PdfLine]]) -> list[RawBlock]:
    """Cut the pages' lines into heading, paragraph, bullet and table blocks with joined text."""
    lines = [ln for page in pages for ln in page if ln.text.strip()]
    if not lines:
        return []
    body = _body_size(lines)
    spacing = _line_spacing(lines)
    blocks: list[RawBlock] = []
    members: list[list[PdfLine]] = []

    def start(kind: BlockKind, line: PdfLine) -> None:
        blocks.append(RawBlock(kind, [Line(line.text, line.page, True, line.label)]))
        members.append([line])

    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else None
        text = line.text.strip()
        heading = _is_heading(line, body)
        if prev is None:
            start("heading" if heading else "paragraph", line)
            continue
        current = blocks[-1]
        moved = prev.page != line.page or line.top > prev.end_top + 1  # a new page or a new column
        gap = prev.end_bottom - line.top
        big_gap = not moved and gap > spacing * PARAGRAPH_GAP_RATIO + 0.25 * body
        finished = bool(_SENTENCE_END_RE.search(prev.text.strip()))
        if current.kind == "heading":
            if heading and not big_gap and not moved and abs(line.size - prev.size) < 0.5:
                members[-1].append(line)
                continue
            start("heading" if heading else _kind(text), line)
        elif heading:
            start("heading", line)
        elif current.kind == "table":
            # Cells wrap and come column by column (each going back up): a table ends at a page change, a
            # clear gap, a change of type size, or a long finished sentence set as one cell (prose again).
            prose = len(line.cells) < 2 and len(text.split()) > TABLE_ROW_MAX_WORDS and _SENTENCE_END_RE.search(text)
            body_rows = members[-1][1:]
            resized = bool(body_rows) and abs(line.size - body_rows[0].size) >= 0.5  # tables are often set smaller
            if prev.page != line.page or gap > 2 * body + spacing * 2 or prose or resized:
                start(_kind(text), line)
            else:
                members[-1].append(line)
        elif BULLET_RE.match(text) or TABLE_CAPTION_RE.match(text) or big_gap or (moved and finished):
            start(_kind(text), line)
        else:
            members[-1].append(line)

    footnote = 0
    for block, group in zip(blocks, members, strict=True):
        block.lines = [Line(ln.text, ln.page, k == 0, ln.label) for k, ln in enumerate(group)]
        if block.kind == "table":
            rows = [" | ".join(ln.cells) if len(ln.cells) > 1 else ln.text.strip() for ln in group[1:]]
            block.text = "\n".join([group[0].text.strip(), *rows]) if rows else group[0].text.strip()
            if not rows:
                block.kind = "paragraph"
            continue
        block.text = _join([ln.text for ln in group])
        if block.kind == "bullet":
            block.text = BULLET_RE.sub("", block.text, count=1).strip()
        if block.kind != "heading":
            block.text, footnote = strip_footnotes(block.text, footnote)
    return blocks


def _kind(text: str) -> BlockKind:
    if TABLE_CAPTION_RE.match(text):
        return "table"
    return "bullet" if BULLET_RE.match(text) else "paragraph"
