"""The PDF reader: each page's text layer through pypdfium2 (Apache-2.0/BSD; PyMuPDF is AGPL).

Every line is read with its page, the page's printed label, its font size and position;
``corpus.readers.pdf_layout`` then drops running headers and footers and cuts the lines into
blocks. Pages without a text layer (scans) are named in the document's notes; a PDF with no
text at all, an encrypted, damaged or truncated one is refused with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from corpus.models import CleanDocument
from corpus.readers.base import UnreadableDocument
from corpus.readers.binary import fingerprint_bytes, read_document_bytes
from corpus.readers.blocks import assemble, drop_repeated_headings, normalize
from corpus.readers.pdf_layout import PdfLine, drop_furniture, group_blocks
from corpus.readers.text import sanitize_text

# A horizontal gap wider than this many font sizes inside a line separates table cells.
CELL_GAP_EMS = 0.9
# Lines that may be table rows (short ones) get their cells measured; long ones are prose.
CELL_MAX_CHARS = 400
_LINE_RE = re.compile(r"[^\r\n]+")


def _ranges(pages: list[int]) -> str:
    """``[3, 4, 5, 9]`` → ``"3–5, 9"``."""
    parts: list[str] = []
    start = prev = pages[0]
    for page in [*pages[1:], -1]:
        if page != prev + 1:
            parts.append(str(start) if start == prev else f"{start}–{prev}")
            start = page
        prev = page
    return ", ".join(parts)


def _cells(textpage: pdfium.PdfTextPage, first: int, text: str, size: float) -> tuple[str, ...]:
    """``text`` (starting at character ``first``) split where the ink leaves a wide gap."""
    cells: list[str] = []
    current = ""
    last_right: float | None = None
    for k, char in enumerate(text):
        if char.isspace():
            current += char
            continue
        left, _, right, _ = textpage.get_charbox(first + k)
        if last_right is not None and left - last_right > CELL_GAP_EMS * size and current.strip():
            cells.append(current.strip())
            current = ""
        current += char
        last_right = right
    if current.strip():
        cells.append(current.strip())
    return tuple(cells)


def _page_lines(page: pdfium.PdfPage, number: int, label: str | None) -> list[PdfLine]:
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        # Character i of the text is character i of the page unless surrogate pairs shift them.
        aligned = len(text) == count
        lines: list[PdfLine] = []
        for order, match in enumerate(_LINE_RE.finditer(text)):
            line = match.group()
            if not line.strip():
                continue
            first = match.start() + (len(line) - len(line.lstrip()))
            # pdfium joins a line broken after a soft hyphen with the next one: the line's first
            # and last characters may sit on different visual lines, so both are measured.
            last = match.start() + len(line.rstrip()) - 1
            if aligned:
                size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, first))
                _, bottom, _, top = textpage.get_charbox(first, loose=True)
                _, end_bottom, _, end_top = textpage.get_charbox(last, loose=True)
                # pdfium gives a line one rectangle per run of text; only a line of several runs
                # (e.g. table cells) is measured character by character, which costs far more.
                several = len(line) <= CELL_MAX_CHARS and textpage.count_rects(match.start(), len(line)) > 1
                cells = _cells(textpage, match.start(), line, size) if several else ()
            else:
                size, bottom, top, end_bottom, end_top, cells = 0.0, 0.0, 0.0, 0.0, 0.0, ()
            clean = sanitize_text(normalize(line))
            lines.append(PdfLine(clean, number, label, size, top, bottom, end_top, end_bottom, cells, order))
        return lines
    finally:
        textpage.close()


def _open(data: bytes) -> pdfium.PdfDocument:
    if b"%%EOF" not in data[-2048:]:
        raise UnreadableDocument("pdf_truncated")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnreadableDocument("pdf_encrypted") from None
        raise UnreadableDocument("pdf_damaged", detail=exc) from None


class PdfReader:
    """PDF files with a text layer: pages and printed page labels kept, page furniture dropped."""

    name = "pdf"
    version = "1"
    suffixes = (".pdf",)

    def read(self, path: Path, name: str) -> CleanDocument:
        data = read_document_bytes(path, b"%PDF-", "PDF")
        pdf = _open(data)
        try:
            pages: list[list[PdfLine]] = []
            empty: list[int] = []
            for index in range(len(pdf)):
                label = pdf.get_page_label(index) or None
                page = pdf[index]
                try:
                    lines = _page_lines(page, index + 1, label)
                finally:
                    page.close()
                if not lines:
                    empty.append(index + 1)
                pages.append(lines)
            title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
        except pdfium.PdfiumError as exc:
            raise UnreadableDocument("pdf_damaged", detail=exc) from None
        finally:
            pdf.close()
        if not pages or len(empty) == len(pages):
            raise UnreadableDocument("pdf_no_text_layer", pages=len(pages))
        notes: tuple[str, ...] = ()
        if empty:
            word = "page" if len(empty) == 1 else "pages"
            verb = "has" if len(empty) == 1 else "have"
            notes = (f"{word} {_ranges(empty)} {verb} no text; scanned pages are not supported",)
        kept, removed = drop_furniture(pages)
        blocks = drop_repeated_headings(group_blocks(kept), removed)
        if not blocks:
            raise UnreadableDocument("pdf_blank_after_cleaning")
        return assemble(
            blocks, name, fingerprint_bytes(data), removed, title=title, pages=len(pages), notes=notes
        )

