"""The Word (.docx) reader, through python-docx: headings become sections, tables stay whole.

A DOCX is a ZIP archive: its entries' uncompressed size is checked against
:data:`MAX_UNCOMPRESSED_BYTES` before anything is unpacked, so a zip bomb is refused and
never inflated. DOCX has no pages; passages cite section and paragraph.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from corpus.models import BlockKind, CleanDocument
from corpus.readers.base import UnreadableDocument
from corpus.readers.binary import fingerprint_bytes, read_document_bytes
from corpus.readers.blocks import Line, RawBlock, assemble, drop_repeated_headings, normalize
from corpus.readers.pdf_extracted_text import TABLE_CAPTION_RE
from corpus.readers.text import sanitize_text

# A real report unpacks to a few MB; far more than this is a zip bomb.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024


def _text(raw: str) -> str:
    return re.sub(r"\s+", " ", sanitize_text(normalize(raw))).strip()


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise UnreadableDocument("word_damaged", detail=exc) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableDocument(
            "word_too_large_unpacked", size=f"{total / 2**20:.0f}", limit=MAX_UNCOMPRESSED_BYTES // 2**20
        )
    if "word/document.xml" not in names:
        raise UnreadableDocument("word_not_document")


class DocxReader:
    """Word documents: heading styles make sections, list styles bullets, tables one block each."""

    name = "docx"
    version = "1"
    suffixes = (".docx",)

    def read(self, path: Path, name: str) -> CleanDocument:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        data = read_document_bytes(path, b"PK\x03\x04", "Word (.docx)")
        _check_archive(data)
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises many types (KeyError, lxml errors) for a broken file
            raise UnreadableDocument("word_damaged", detail=type(exc).__name__) from None
        blocks: list[RawBlock] = []

        def add(kind: BlockKind, text: str) -> None:
            if text:
                blocks.append(RawBlock(kind, [Line(text, None, True)], text))

        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                style = (item.style.name if item.style is not None else "") or ""
                text = _text(item.text)
                if style.startswith(("Heading", "Title")):
                    add("heading", text)
                elif style.startswith("List"):
                    add("bullet", text)
                else:
                    add("paragraph", text)
            elif isinstance(item, Table):
                rows: list[str] = []
                for row in item.rows:
                    cells: list[str] = []
                    for cell in row.cells:  # a merged cell is repeated across its span: keep it once
                        text = _text(cell.text)
                        if not cells or cells[-1] != text:
                            cells.append(text)
                    rows.append(" | ".join(cells))
                caption = blocks.pop().text if blocks and TABLE_CAPTION_RE.match(blocks[-1].text) else None
                lines = [caption, *rows] if caption else rows
                add("table", "\n".join(line for line in lines if line.strip(" |")))
        title = (document.core_properties.title or "").strip() or None
        removed: list[str] = []
        kept = drop_repeated_headings(blocks, removed)
        if not kept:
            raise UnreadableDocument("word_no_text")
        return assemble(kept, name, fingerprint_bytes(data), removed, title=title)
