"""Readers, one per file type, and the registry the loader picks them from.

To read a new file type, add a module with a class that satisfies :class:`Reader` (a text
format subclasses :class:`~corpus.readers.text.TextReader`) and register it below.
"""

from corpus.readers.base import (
    Reader,
    UnreadableDocument,
    reader_for,
    reader_named,
    register_reader,
    registered_readers,
    registered_suffixes,
)
from corpus.readers.docx import DocxReader
from corpus.readers.html import HtmlReader
from corpus.readers.markdown import MarkdownReader
from corpus.readers.pdf import PdfReader
from corpus.readers.pdf_extracted_text import PdfExtractedTextReader

register_reader(PdfExtractedTextReader())
register_reader(MarkdownReader())
register_reader(PdfReader())
register_reader(DocxReader())
register_reader(HtmlReader())

__all__ = [
    "DocxReader",
    "HtmlReader",
    "MarkdownReader",
    "PdfExtractedTextReader",
    "PdfReader",
    "Reader",
    "UnreadableDocument",
    "reader_for",
    "reader_named",
    "register_reader",
    "registered_readers",
    "registered_suffixes",
]
