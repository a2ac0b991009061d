"""The contract every registered reader keeps; a reader added to the registry runs it too.

Each reader reads a small sample file of its format written here: add one to ``SAMPLES``
when you register a reader (the test fails until you do).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest

from corpus.errors import ReportQAError
from corpus.models import BlockKind, CleanDocument
from corpus.readers import Reader, reader_for, registered_readers
from corpus.readers.text import TextReader

# Writes a sample with a heading, a paragraph and bullets, spread over two pages where the format has pages.
SampleWriter = Callable[[Path], None]

SAMPLES: dict[str, SampleWriter] = {
    "pdf-extracted-text": lambda path: path.write_text(
        "GİRİŞ\n\n"
        "Türk devletleri arasında istihbarat paylaşımı 1998 yılında imzalanan protokolle kurumsal bir \n"
        "zemine oturmuştur.1 Bu iş birliği her yıl düzenlenen toplantılarla gelişmiştir. \n\n"
        "2\n\n"
        " SONUÇ\n\n"
        "• Ortak tatbikatlar güveni artırmıştır. \n"
        "• Bilgi paylaşımı hızlanmıştır. \n",
        encoding="utf-8",
    ),
    "markdown": lambda path: path.write_text(
        "# Giriş\n\nKırgızistan ve Özbekistan arasındaki su anlaşması\nkurgusal olarak imzalanmıştır.\n\n"
        "## Sonuç\n\n- Ortak komisyon kurulmuştur.\n- Komisyon her yıl toplanır.\n",
        encoding="utf-8",
    ),
}


def _pdf_sample(path: Path) -> None:
    import warnings

    from fpdf import FPDF

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pdf = FPDF(format="a5")
    pdf.add_font("DejaVu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    for heading, text in (("GİRİŞ", "Türk devletleri arasında istihbarat paylaşımı kurumsal bir zemine oturmuştur."),
                          ("SONUÇ", None)):
        pdf.add_page()
        pdf.set_font("DejaVu", size=14)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=10)
        if text:
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        else:
            for item in ("• Ortak tatbikatlar güveni artırmıştır.", "• Bilgi paylaşımı hızlanmıştır."):
                pdf.ln(4)
                pdf.multi_cell(0, 5, item, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _docx_sample(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Giriş", level=1)
    document.add_paragraph("Kırgızistan ve Özbekistan arasındaki su anlaşması kurgusal olarak imzalanmıştır.")
    document.add_heading("Sonuç", level=1)
    document.add_paragraph("Ortak komisyon kurulmuştur.", style="List Bullet")
    document.add_paragraph("Komisyon her yıl toplanır.", style="List Bullet")
    document.save(str(path))


SAMPLES.update({
    "pdf": _pdf_sample,
    "docx": _docx_sample,
    "html": lambda path: path.write_text(
        "<html><head><title>Örnek</title></head><body><nav>Ana sayfa</nav><main><h1>Giriş</h1>"
        "<p>Kırgızistan ve Özbekistan arasındaki su anlaşması kurgusal olarak imzalanmıştır.</p>"
        "<h2>Sonuç</h2><ul><li>Ortak komisyon kurulmuştur.</li><li>Komisyon her yıl toplanır.</li></ul>"
        "</main><footer>© Örnek</footer></body></html>",
        encoding="utf-8",
    ),
})
KINDS = set(get_args(BlockKind))
# Bytes no document format decodes: a PNG header with NULs, and Windows-1254 text that is not UTF-8.
UNDECODABLE = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "cp1254": "Türkiye’nin güvenliği ve İstihbarat".encode("cp1254"),
}

READERS = registered_readers()


@pytest.fixture(params=READERS, ids=[r.name for r in READERS])
def reader(request: pytest.FixtureRequest) -> Reader:
    return request.param


def _sample(reader: Reader, folder: Path) -> Path:
    if reader.name not in SAMPLES:
        pytest.fail(f"reader {reader.name!r} has no sample: add a writer for one to SAMPLES in {__file__}")
    path = folder / f"sample{reader.suffixes[0]}"
    SAMPLES[reader.name](path)
    return path


def _refusal(reader: Reader, path: Path) -> str:
    with pytest.raises(ReportQAError) as caught:
        reader.read(path, path.name)
    message = str(caught.value)
    assert message.strip() and "\n" not in message, message
    return message


def test_reader_describes_itself_and_is_found_by_its_suffixes(reader):
    assert reader.name.strip() and reader.version.strip()
    assert reader.suffixes
    for suffix in reader.suffixes:
        assert reader_for(Path(f"a/b{suffix}")) is reader
        assert reader_for(Path(f"B{suffix.upper()}")) is reader


def test_blocks_tile_the_text(reader, tmp_path):
    doc = reader.read(_sample(reader, tmp_path), "dir/sample")
    assert isinstance(doc, CleanDocument) and doc.name == "dir/sample"
    assert doc.blocks and doc.blocks[0].start == 0 and doc.blocks[-1].end == len(doc.text)
    previous_end = 0
    for block in doc.blocks:
        assert block.kind in KINDS
        assert block.text and block.text == block.text.strip()
        assert doc.text[block.start : block.end] == block.text
        # Only whitespace between blocks: together they are the whole text.
        assert block.start >= previous_end and not doc.text[previous_end : block.start].strip()
        previous_end = block.end
    assert len(doc.sha256) == 64


def test_sections_paragraphs_and_pages(reader, tmp_path):
    doc = reader.read(_sample(reader, tmp_path), "sample")
    assert {"heading", "paragraph", "bullet"} <= {b.kind for b in doc.blocks}
    section, paragraph, page = "", 0, 0
    for block in doc.blocks:
        if block.kind == "heading":
            section, paragraph = block.text, 0
            assert block.paragraph is None
        else:
            paragraph += 1
            assert block.paragraph == paragraph
        assert block.section == section
        assert block.page is None or block.page >= max(page, 1)
        page = block.page or page
    assert all(b.section for b in doc.blocks), "the sample starts with a heading: every block has a section"
    assert all(b.caption for b in doc.blocks if b.kind == "table")


def test_reading_is_deterministic(reader, tmp_path):
    path = _sample(reader, tmp_path)
    assert reader.read(path, "sample") == reader.read(path, "sample")


def test_empty_and_undecodable_files_are_refused_with_their_reason(reader, tmp_path):
    empty = tmp_path / f"empty{reader.suffixes[0]}"
    empty.write_bytes(b"")
    reasons = {"empty": _refusal(reader, empty)}
    for label, data in UNDECODABLE.items():
        path = tmp_path / f"{label}{reader.suffixes[0]}"
        path.write_bytes(data)
        reasons[label] = _refusal(reader, path)
    # Each names its own problem, not a generic "cannot read".
    assert len(set(reasons.values())) == len(reasons), reasons


def test_a_utf16_file_with_a_bom_reads_like_utf8(reader, tmp_path):
    if not isinstance(reader, TextReader):
        pytest.skip("only text formats have an encoding")
    path = _sample(reader, tmp_path)
    utf16 = tmp_path / f"utf16{reader.suffixes[0]}"
    utf16.write_bytes(codecs.BOM_UTF16_LE + path.read_text(encoding="utf-8").encode("utf-16-le"))
    assert reader.read(utf16, "sample") == reader.read(path, "sample")
