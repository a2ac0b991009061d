"""The reader registry: one reader per suffix and per name, found case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus import clean_text, load_corpus
from corpus.loader import corpus_files
from corpus.models import CleanDocument
from corpus.readers import (
    MarkdownReader,
    PdfExtractedTextReader,
    PdfReader,
    reader_for,
    reader_named,
    register_reader,
    registered_readers,
    registered_suffixes,
)


@dataclass(frozen=True)
class _Clashing:
    name: str
    suffixes: tuple[str, ...]
    version: str = "1"

    def read(self, path: Path, name: str) -> CleanDocument:
        raise AssertionError("never registered, never called")


def test_the_built_in_readers_say_what_they_read():
    assert [r.name for r in registered_readers()] == ["pdf-extracted-text", "markdown", "pdf", "docx", "html"]
    assert registered_suffixes() == (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")
    assert isinstance(reader_for(Path("rapor.TXT")), PdfExtractedTextReader)
    assert isinstance(reader_for(Path("notes.Markdown")), MarkdownReader)
    assert isinstance(reader_for(Path("rapor.PDF")), PdfReader)
    assert reader_for(Path("rapor.doc")) is None and reader_for(Path("README")) is None


@pytest.mark.parametrize(
    ("reader", "message"),
    [
        (_Clashing("markdown", (".mdx",)), "named 'markdown' is already registered"),
        (_Clashing("restructured-text", (".rst", ".md")), "'.md' is already read by 'markdown'"),
        (_Clashing("restructured-text", ("rst",)), "must be a lower-case '.ext'"),
        (_Clashing("restructured-text", (".RST",)), "must be a lower-case '.ext'"),
        (_Clashing("restructured-text", ()), "declares no file suffix"),
    ],
)
def test_a_clashing_or_malformed_reader_is_refused_and_changes_nothing(reader, message):
    before = (registered_readers(), registered_suffixes())
    with pytest.raises(ValueError, match=message):
        register_reader(reader)
    assert (registered_readers(), registered_suffixes()) == before
    assert reader_for(Path("x.rst")) is None


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="no reader named 'rtf'; readers: pdf-extracted-text, markdown, pdf"):
        reader_named("rtf")
    with pytest.raises(ValueError, match="no reader named 'rtf'"):
        clean_text("METİN\n\nBir paragraf.", "x.txt", style="rtf")
    with pytest.raises(ValueError, match="reads files, not text"):
        clean_text("METİN\n\nBir paragraf.", "x.txt", style="pdf")


def test_clean_text_and_the_reader_agree(tmp_path):
    """clean_text on text in memory gives what the reader gives for the same text in a file."""
    (tmp_path / "a.txt").write_text("BAŞLIK\n\nBir paragraf\nburada.1 \n\n3\n", encoding="utf-8")
    (tmp_path / "b.MD").write_text("# Başlık\n\n* madde\n", encoding="utf-8")
    assert corpus_files(tmp_path) == [tmp_path / "a.txt", tmp_path / "b.MD"]
    docs = {d.name: d for d in load_corpus(tmp_path).documents}
    assert docs["a.txt"] == clean_text((tmp_path / "a.txt").read_text(encoding="utf-8"), "a.txt")
    assert docs["b.MD"] == clean_text("# Başlık\n\n* madde\n", "b.MD", style="markdown")
    assert [b.kind for b in docs["b.MD"].blocks] == ["heading", "bullet"]
