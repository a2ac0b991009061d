"""Clean text that is already in memory, the way the reader of its format would clean the file.

Each text format's cleaning lives with its reader (``corpus/readers/``): ``pdf-extracted-text``
for text extracted from a PDF (our report), ``markdown`` for Markdown. The cleaned text is the
blocks joined by blank lines, so every block's offsets point straight into it.
"""

from __future__ import annotations

from corpus.models import CleanDocument
from corpus.readers import PdfExtractedTextReader, reader_named
from corpus.readers.text import TextReader


def clean_text(raw: str, name: str, *, style: str = PdfExtractedTextReader.name) -> CleanDocument:
    """Clean raw document text into blocks and a normalised text.

    Args:
        raw: the document as read from disk (already decoded).
        name: the document's name, recorded on every block and passage.
        style: the name of the text reader whose cleaning applies, e.g. ``"pdf-extracted-text"``
            (the default) or ``"markdown"``.

    Raises:
        ValueError: ``style`` names no reader, or a reader that does not read text.
    """
    reader = reader_named(style)
    if not isinstance(reader, TextReader):
        raise ValueError(f"reader {style!r} reads files, not text: use its read(path, name)")
    return reader.clean(raw, name)
