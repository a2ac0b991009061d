"""Turn raw extracted text into a clean document made of structural blocks.

Two input styles are understood:

* ``pdf``: text extracted from a PDF (our report). A line that ends without a
  trailing space continues the same word on the next line, a line that starts with
  a space begins a new page, footnote numbers are glued to sentence ends, running
  headers and page numbers appear between pages, and tables are flattened into
  blank-separated cells.
* ``markdown``: ``#`` headings, ``-``/``*`` bullets, blank-line paragraphs.

The cleaned text is the blocks joined by blank lines, so every block's offsets point
straight into it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from corpus.models import Block, BlockKind, CleanDocument

Style = Literal["pdf", "markdown"]

BULLET_CHARS = "•▪◦●‣∙"
BULLET_PREFIX = "• "  # how bullet items are written in the cleaned text
_BULLET_RE = re.compile(rf"^\s*[{BULLET_CHARS}]\s*")
_MD_BULLET_RE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_CAPTION_RE = re.compile(r"^(?:Tablo|Table|Çizelge)\s+\d+\s*[:.\-–]", re.IGNORECASE)
_PAGE_NUMBER_RE = re.compile(r"^\s*\d{1,4}\s*$")
_SENTENCE_END_RE = re.compile(r"[.!?…][”’\"')\]]*$")
# A footnote marker: 1–3 digits glued to a letter or closing punctuation, followed by
# whitespace, punctuation or the end. Whether it really is a footnote is decided by
# the running footnote sequence, see _strip_footnotes.
_FOOTNOTE_RE = re.compile(r"(?<=[^\W\d_]|[.,;:!?”’\"')\]])(\d{1,3})(?=[\s.,;:!?)]|$)")

# Footnote numbers may skip a few values when extraction lost one.
MAX_FOOTNOTE_GAP = 3
# Blocks this long, or ending like a sentence, are prose and end a table.
TABLE_CELL_MAX_WORDS = 24
# Heading lines are short upper-case lines.
HEADING_MAX_WORDS = 14


@dataclass
class _Line:
    text: str
    page: int | None
    page_start: bool


@dataclass
class _RawBlock:
    kind: BlockKind
    lines: list[_Line] = field(default_factory=list)
    text: str = ""

    @property
    def page(self) -> int | None:
        return self.lines[0].page if self.lines else None


def _is_upper_heading(line: str) -> bool:
    s = line.strip()
    letters = [c for c in s if c.isalpha()]
    if len(letters) < 3 or len(s.split()) > HEADING_MAX_WORDS:
        return False
    if _BULLET_RE.match(s) or _TABLE_CAPTION_RE.match(s):
        return False
    if s.count("(") != s.count(")") or not s[0].isalnum():
        return False  # a fragment such as "SIGINT)" from a wrapped table cell
    return all(c.isupper() for c in letters)


def _starts_lower(line: str) -> bool:
    s = line.lstrip()
    return bool(s) and s[0].isalpha() and s[0].islower()


def _join_pdf_lines(lines: list[str]) -> str:
    """Join the lines of one block, rejoining words split across line breaks."""
    out = ""
    for i, line in enumerate(lines):
        piece = line.strip()
        if i == 0:
            out = piece
            continue
        prev = lines[i - 1]
        split_word = (
            prev
            and not prev[-1].isspace()
            and prev.rstrip()[-1:].isalpha()
            and _starts_lower(line)
        )
        out = out + piece if split_word else f"{out} {piece}"
    return re.sub(r"[ \t\u00a0]+", " ", out).strip()


def _join_plain_lines(lines: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(line.strip() for line in lines)).strip()


def _strip_bullet(text: str, style: Style) -> str:
    pattern = _BULLET_RE if style == "pdf" else _MD_BULLET_RE
    return pattern.sub("", text, count=1).strip()


def _is_bullet_line(line: str, style: Style) -> bool:
    if _BULLET_RE.match(line):
        return True
    return style == "markdown" and bool(_MD_BULLET_RE.match(line))


def _pdf_lines(raw: str) -> tuple[list[_Line], list[str]]:
    """Split into lines, tag pages, and drop running headers and page numbers."""
    lines = raw.split("\n")
    removed: list[str] = []
    drop: set[int] = set()
    forced_page_start: set[int] = set()
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    for pos, i in enumerate(nonblank):
        if not _PAGE_NUMBER_RE.match(lines[i]):
            continue
        # A lone number is a page number; upper-case lines right before it are the
        # running header that goes with it.
        drop.add(i)
        back = pos - 1
        while back >= 0 and _is_upper_heading(lines[nonblank[back]]) and nonblank[back] > i - 12:
            drop.add(nonblank[back])
            back -= 1
        if pos + 1 < len(nonblank):
            forced_page_start.add(nonblank[pos + 1])
    out: list[_Line] = []
    page = 1
    seen_text = False
    for i, line in enumerate(lines):
        if i in drop:
            removed.append(line.strip())
            continue
        starts_page = (line[:1] in (" ", "\f") and bool(line.strip())) or i in forced_page_start
        if starts_page and seen_text:
            page += 1
        if line.strip():
            seen_text = True
        out.append(_Line(line.replace("\f", ""), page, starts_page))
    return out, removed


def _ends_without_space(block: _RawBlock, line: _Line) -> bool:
    """A new page after a line with no trailing space starts a new paragraph."""
    return line.page_start and not block.lines[-1].text[-1:].isspace()


def _group_pdf(lines: list[_Line]) -> list[_RawBlock]:
    blocks: list[_RawBlock] = []
    current: _RawBlock | None = None
    pending_blank = False

    def open_block(kind: BlockKind, line: _Line) -> None:
        nonlocal current
        current = _RawBlock(kind, [line])
        blocks.append(current)

    for line in lines:
        if not line.text.strip():
            pending_blank = True
            continue
        heading = _is_upper_heading(line.text)
        bullet = _is_bullet_line(line.text, "pdf")
        if current is None:
            open_block("heading" if heading else "bullet" if bullet else "paragraph", line)
        elif heading:
            if current.kind == "heading" and not pending_blank:
                current.lines.append(line)
            else:
                open_block("heading", line)
        elif bullet:
            open_block("bullet", line)
        elif line.page_start and _starts_lower(line.text) and current.kind != "heading":
            # A sentence running over a page break (blank lines around the break don't count).
            current.lines.append(line)
        elif current.kind == "heading" or pending_blank or _ends_without_space(current, line):
            open_block("paragraph", line)
        else:
            current.lines.append(line)
        pending_blank = False
    return blocks


def _group_markdown(raw: str) -> list[_RawBlock]:
    blocks: list[_RawBlock] = []
    current: _RawBlock | None = None
    for text in raw.split("\n"):
        line = _Line(text, None, False)
        if not text.strip():
            current = None
            continue
        if _MD_HEADING_RE.match(text):
            blocks.append(_RawBlock("heading", [_Line(_MD_HEADING_RE.match(text).group(2), None, False)]))
            current = None
        elif _is_bullet_line(text, "markdown"):
            current = _RawBlock("bullet", [line])
            blocks.append(current)
        elif current is None:
            current = _RawBlock("paragraph", [line])
            blocks.append(current)
        else:
            current.lines.append(line)
    return blocks


def _strip_footnotes(text: str, last: int) -> tuple[str, int]:
    """Remove footnote markers that continue the document's footnote sequence."""
    out: list[str] = []
    pos = 0
    for match in _FOOTNOTE_RE.finditer(text):
        number = int(match.group(1))
        if last < number <= last + MAX_FOOTNOTE_GAP:
            out.append(text[pos : match.start()])
            pos = match.end()
            last = number
    out.append(text[pos:])
    return re.sub(r" {2,}", " ", "".join(out)).strip(), last


def _looks_like_prose(block: _RawBlock) -> bool:
    return (
        block.kind == "heading"
        or len(block.text.split()) > TABLE_CELL_MAX_WORDS
        or bool(_SENTENCE_END_RE.search(block.text))
    )


def _table_text(caption: str, header: str, cells: list[_RawBlock]) -> str | None:
    """Render a flattened PDF table row by row, or None if it does not parse."""
    columns = header.split()
    if len(columns) < 2:
        return None
    rows: list[list[str]] = []
    if any(c.kind == "bullet" for c in cells):
        # Rows start with a plain cell (the row name); its bullets fill the other
        # columns in order, shared evenly between them.
        for cell in cells:
            if cell.kind != "bullet":
                rows.append([cell.text])
            elif rows:
                rows[-1].append(cell.text)
            else:
                return None
        rendered = []
        for row in rows:
            items = row[1:]
            per_col, rest = divmod(len(items), len(columns) - 1)
            if rest or not per_col:
                return None
            groups = [items[k * per_col : (k + 1) * per_col] for k in range(len(columns) - 1)]
            rendered.append([row[0], *("; ".join(g) for g in groups)])
        rows = rendered
    else:
        if len(cells) % len(columns):
            return None
        texts = [c.text for c in cells]
        rows = [texts[k : k + len(columns)] for k in range(0, len(texts), len(columns))]
    lines = [caption, " | ".join(columns), *(" | ".join(row) for row in rows)]
    return "\n".join(lines)


def _build_tables(blocks: list[_RawBlock]) -> list[_RawBlock]:
    out: list[_RawBlock] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "paragraph" and _TABLE_CAPTION_RE.match(block.text) and i + 1 < len(blocks):
            j = i + 2
            while j < len(blocks) and not _looks_like_prose(blocks[j]):
                j += 1
            text = _table_text(block.text, blocks[i + 1].text, blocks[i + 2 : j])
            if text is not None:
                table = _RawBlock("table", block.lines + [ln for b in blocks[i + 1 : j] for ln in b.lines])
                table.text = text
                out.append(table)
                i = j
                continue
        out.append(block)
        i += 1
    return out


def clean_text(raw: str, name: str, *, style: Style = "pdf") -> CleanDocument:
    """Clean raw document text into blocks and a normalised text.

    Args:
        raw: the document as read from disk (already decoded).
        name: the document's name, recorded on every block and passage.
        style: ``"pdf"`` for PDF-extracted text, ``"markdown"`` for Markdown.
    """
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00ad", "")  # soft hyphens never carry meaning
    removed: list[str] = []
    if style == "pdf":
        lines, removed = _pdf_lines(text)
        raw_blocks = _group_pdf(lines)
        joiner = _join_pdf_lines
    else:
        raw_blocks = _group_markdown(text)
        joiner = _join_plain_lines

    footnote = 0
    for block in raw_blocks:
        joined = joiner([ln.text for ln in block.lines])
        if block.kind == "bullet":
            joined = _strip_bullet(joined, style)
        if style == "pdf" and block.kind != "heading":
            joined, footnote = _strip_footnotes(joined, footnote)
        block.text = joined
    raw_blocks = [b for b in raw_blocks if b.text]

    deduped: list[_RawBlock] = []
    for block in raw_blocks:
        repeated = deduped and deduped[-1].kind == "heading" == block.kind
        if repeated and deduped[-1].text.casefold() == block.text.casefold():
            removed.append(block.text)
            continue
        deduped.append(block)
    if style == "pdf":
        deduped = _build_tables(deduped)

    return _assemble(deduped, name, sha, removed)


def _assemble(raw_blocks: list[_RawBlock], name: str, sha: str, removed: list[str]) -> CleanDocument:
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    section = ""
    paragraph = 0
    for raw in raw_blocks:
        shown = f"{BULLET_PREFIX}{raw.text}" if raw.kind == "bullet" else raw.text
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
            )
        )
        parts.append(shown)
        offset += len(shown) + 2
    return CleanDocument(
        name=name, text="\n\n".join(parts), blocks=tuple(blocks), sha256=sha, removed=tuple(removed)
    )
