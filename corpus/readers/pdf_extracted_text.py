"""The reader for ``.txt`` files holding text extracted from a PDF (the bundled report is one).

What it undoes: a line that ends without a trailing space continues the same word on the next
line, a line that starts with a space (or a form feed) begins a new page, footnote numbers are
glued to sentence ends, running headers and page numbers appear between pages, and tables are
flattened into blank-separated cells (they are rebuilt row by row).
"""

from __future__ import annotations

import re

from corpus.models import BlockKind, CleanDocument
from corpus.readers.blocks import BULLET_RE, Line, RawBlock, assemble, drop_repeated_headings, fingerprint, normalize
from corpus.readers.text import TextReader

TABLE_CAPTION_RE = re.compile(r"^(?:Tablo|Table|Çizelge)\s+\d+\s*[:.\-–]", re.IGNORECASE)
_PAGE_NUMBER_RE = re.compile(r"^\s*\d{1,4}\s*$")
_SENTENCE_END_RE = re.compile(r"[.!?…][”’\"')\]]*$")
# A footnote marker: 1–3 digits glued to a letter or closing punctuation, followed by
# whitespace, punctuation or the end. Whether it really is a footnote is decided by
# the running footnote sequence, see strip_footnotes.
_FOOTNOTE_RE = re.compile(r"(?<=[^\W\d_]|[.,;:!?”’\"')\]])(\d{1,3})(?=[\s.,;:!?)]|$)")

# Footnote numbers may skip a few values when extraction lost one.
MAX_FOOTNOTE_GAP = 3
# Blocks this long, or ending like a sentence, are prose and end a table.
TABLE_CELL_MAX_WORDS = 24
# Heading lines are short upper-case lines.
HEADING_MAX_WORDS = 14
# Upper-case lines this close before a page number are the running header that goes with it.
RUNNING_HEADER_LINES = 12


def is_upper_heading(line: str) -> bool:
    s = line.strip()
    letters = [c for c in s if c.isalpha()]
    if len(letters) < 3 or len(s.split()) > HEADING_MAX_WORDS:
        return False
    if BULLET_RE.match(s) or TABLE_CAPTION_RE.match(s):
        return False
    if s.count("(") != s.count(")") or not s[0].isalnum():
        return False  # a fragment such as "SIGINT)" from a wrapped table cell
    return all(c.isupper() for c in letters)


def _starts_lower(line: str) -> bool:
    s = line.lstrip()
    return bool(s) and s[0].isalpha() and s[0].islower()


def _join_lines(lines: list[str]) -> str:
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


def _lines(text: str) -> tuple[list[Line], list[str]]:
    """Split into lines, tag pages, and drop running headers and page numbers."""
    lines = text.split("\n")
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
        while back >= 0 and is_upper_heading(lines[nonblank[back]]) and nonblank[back] > i - RUNNING_HEADER_LINES:
            drop.add(nonblank[back])
            back -= 1
        if pos + 1 < len(nonblank):
            forced_page_start.add(nonblank[pos + 1])
    out: list[Line] = []
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
        out.append(Line(line.replace("\f", ""), page, starts_page))
    return out, removed


def _ends_without_space(block: RawBlock, line: Line) -> bool:
    """A new page after a line with no trailing space starts a new paragraph."""
    return line.page_start and not block.lines[-1].text[-1:].isspace()


def _group(lines: list[Line]) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    current: RawBlock | None = None
    pending_blank = False

    def open_block(kind: BlockKind, line: Line) -> RawBlock:
        block = RawBlock(kind, [line])
        blocks.append(block)
        return block

    for line in lines:
        if not line.text.strip():
            pending_blank = True
            continue
        heading = is_upper_heading(line.text)
        bullet = bool(BULLET_RE.match(line.text))
        if current is None:
            current = open_block("heading" if heading else "bullet" if bullet else "paragraph", line)
        elif heading:
            if current.kind == "heading" and not pending_blank:
                current.lines.append(line)
            else:
                current = open_block("heading", line)
        elif bullet:
            current = open_block("bullet", line)
        elif line.page_start and _starts_lower(line.text) and current.kind != "heading":
            # A sentence running over a page break (blank lines around the break don't count).
            current.lines.append(line)
        elif current.kind == "heading" or pending_blank or _ends_without_space(current, line):
            current = open_block("paragraph", line)
        else:
            current.lines.append(line)
        pending_blank = False
    return blocks


def strip_footnotes(text: str, last: int) -> tuple[str, int]:
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


def _looks_like_prose(block: RawBlock) -> bool:
    return (
        block.kind == "heading"
        or len(block.text.split()) > TABLE_CELL_MAX_WORDS
        or bool(_SENTENCE_END_RE.search(block.text))
    )


def _table_text(caption: str, header: str, cells: list[RawBlock]) -> str | None:
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


def _build_tables(blocks: list[RawBlock]) -> list[RawBlock]:
    out: list[RawBlock] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "paragraph" and TABLE_CAPTION_RE.match(block.text) and i + 1 < len(blocks):
            j = i + 2
            while j < len(blocks) and not _looks_like_prose(blocks[j]):
                j += 1
            text = _table_text(block.text, blocks[i + 1].text, blocks[i + 2 : j])
            if text is not None:
                table = RawBlock("table", block.lines + [ln for b in blocks[i + 1 : j] for ln in b.lines])
                table.text = text
                out.append(table)
                i = j
                continue
        out.append(block)
        i += 1
    return out


class PdfExtractedTextReader(TextReader):
    """``.txt`` files of text extracted from a PDF: pages, running headers, footnotes and tables undone."""

    name = "pdf-extracted-text"
    version = "1"
    suffixes = (".txt",)

    def clean(self, text: str, name: str) -> CleanDocument:
        sha = fingerprint(text)
        lines, removed = _lines(normalize(text))
        blocks = _group(lines)
        footnote = 0
        for block in blocks:
            block.text = _join_lines([line.text for line in block.lines])
            if block.kind == "bullet":
                block.text = BULLET_RE.sub("", block.text, count=1).strip()
            if block.kind != "heading":
                block.text, footnote = strip_footnotes(block.text, footnote)
        return assemble(_build_tables(drop_repeated_headings(blocks, removed)), name, sha, removed)
