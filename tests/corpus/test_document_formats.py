"""PDF, Word and HTML files as users have them: the report typeset by the tests, real files, bad files."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from document_helpers import (
    FOOTER_TEXT,
    NAV_TEXT,
    RUNNING_HEADER,
    TypesetReport,
    report,
    write_report_docx,
    write_report_html,
    write_report_pdf,
)

from corpus import chunk_document, load_corpus
from corpus.readers import DocxReader, HtmlReader, PdfReader


@pytest.fixture(scope="module")
def typeset(tmp_path_factory: pytest.TempPathFactory) -> TypesetReport:
    return write_report_pdf(tmp_path_factory.mktemp("pdf") / "rapor.pdf")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", text.casefold()))


def test_the_typeset_report_keeps_its_pages_and_drops_headers_and_footers(typeset):
    doc = PdfReader().read(typeset.path, "rapor.pdf")
    assert doc.pages == typeset.pages and doc.title == "Türk Dünyasında İstihbarat Paylaşımı"
    assert doc.notes == (f"page {typeset.image_page} has no text; scanned pages are not supported",)
    assert RUNNING_HEADER not in doc.text and "SETA ANALİZ" not in doc.text
    assert RUNNING_HEADER in doc.removed
    # No page number is left as a block of its own.
    assert not [b for b in doc.blocks if re.fullmatch(r"\d+", b.text)]
    original = report()
    # Every block of the report starts on the page it was typeset on, as a passage cites it.
    for i, page in typeset.block_pages.items():
        block = original.blocks[i]
        if block.kind == "table":
            continue
        head = block.text.removeprefix("• ")[:40]
        found = [b for b in doc.blocks if b.text.removeprefix("• ").startswith(head)]
        assert found, head
        assert found[0].page == page, (head, found[0].page, page)


def test_words_split_at_line_ends_come_back_whole(typeset):
    doc = PdfReader().read(typeset.path, "rapor.pdf")
    expected = _words(report().text)
    got = _words(doc.text)
    # fpdf2 broke long words at soft hyphens; none of their halves may be left over.
    assert got <= expected, sorted(got - expected)[:20]
    assert "\u00ad" not in doc.text and "\ufffe" not in doc.text
    assert len(got) >= 0.97 * len(expected)


def test_the_typeset_report_cites_the_right_page(typeset):
    doc = PdfReader().read(typeset.path, "rapor.pdf")
    passages = chunk_document(doc)
    sentence = "Bu sürecin istihbarat boyutu, 20 Mayıs 1998 tarihinde"
    owner = next(p for p in passages if sentence in p.text)
    index = next(i for i, b in enumerate(report().blocks) if b.text.startswith(sentence))
    assert owner.page is not None and owner.page_end is not None
    assert owner.page <= typeset.block_pages[index] <= owner.page_end


def test_word_and_html_give_the_reports_structure_without_page_furniture(tmp_path):
    write_report_docx(tmp_path / "rapor.docx")
    write_report_html(tmp_path / "rapor.html")
    original = report()
    for reader, name, title in (
        (DocxReader(), "rapor.docx", "İstihbarat Paylaşımı (Word)"),
        (HtmlReader(), "rapor.html", "İstihbarat Paylaşımı (HTML)"),
    ):
        doc = reader.read(tmp_path / name, name)
        assert doc.title == title
        assert [b.kind for b in doc.blocks] == [b.kind for b in original.blocks]
        assert [b.section for b in doc.blocks] == [b.section for b in original.blocks]
        for text in (NAV_TEXT, FOOTER_TEXT, "SCRIPT_TEXT_MUST_NOT_APPEAR", "Örnek Vakfı"):
            assert text not in doc.text
        assert {b.caption for b in doc.blocks if b.kind == "table"} == {
            b.caption for b in original.blocks if b.kind == "table"
        }


def _encrypted_pdf(path: Path) -> None:
    from fpdf import FPDF

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pdf = FPDF()
    pdf.set_encryption(owner_password="sahip", user_password="gizli")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "secret")
    pdf.output(str(path))


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/bomb.bin", b"\0" * (210 * 2**20))


def test_each_bad_file_is_skipped_with_its_reason_and_the_rest_is_read(typeset, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "rapor.pdf").write_bytes(typeset.path.read_bytes())
    data = typeset.path.read_bytes()
    (folder / "kesik.pdf").write_bytes(data[: len(data) // 2])
    _encrypted_pdf(folder / "sifreli.pdf")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.txt", "zip")
    (folder / "zip.pdf").write_bytes(zipped.getvalue())
    _zip_bomb(folder / "bomba.docx")
    (folder / "bos.docx").write_bytes(b"")
    (folder / "resim.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    (folder / "cp1254.html").write_bytes("<p>Türkiye’nin güvenliği</p>".encode("cp1254"))
    with (folder / "buyuk.pdf").open("wb") as fh:
        fh.truncate(3 * 2**20)
    result = load_corpus(folder, max_file_bytes=2 * 2**20)
    assert [d.name for d in result.documents] == ["rapor.pdf"]
    reasons = {p.path: p.reason for p in result.problems}
    expected = {
        "kesik.pdf": "truncated PDF",
        "sifreli.pdf": "encrypted PDF",
        "zip.pdf": "not a PDF file: it holds a ZIP archive",
        "bomba.docx": "over the 200 MiB limit (a zip bomb?)",
        "bos.docx": "empty file (0 bytes)",
        "resim.jpg": "unknown file type (.jpg)",
        "cp1254.html": "not valid UTF-8",
        "buyuk.pdf": "over the 2 MiB limit",
    }
    assert set(reasons) == set(expected)
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
        assert "\n" not in reasons[name]
    # Each carries its code, so the web chat can say it in Turkish.
    turkish = {p.path: p.text("tr") for p in result.problems}
    codes = {p.path: p.cause.code for p in result.problems if p.cause}
    assert codes == {
        "kesik.pdf": "pdf_truncated", "sifreli.pdf": "pdf_encrypted", "zip.pdf": "wrong_format",
        "bomba.docx": "word_too_large_unpacked", "bos.docx": "empty_binary", "resim.jpg": "unknown_type",
        "cp1254.html": "not_utf8", "buyuk.pdf": "too_large",
    }
    assert "şifreli PDF" in turkish["sifreli.pdf"] and "2 MiB sınırını aşıyor" in turkish["buyuk.pdf"]
    assert all(turkish[name] != reasons[name] for name in expected)


REAL_PDFS = [
    Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"),
    Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
]


@pytest.mark.parametrize("path", REAL_PDFS, ids=lambda p: p.name)
def test_a_real_world_pdf_we_did_not_write(path):
    if not path.exists():
        pytest.skip(f"{path} is not installed (a Debian documentation package)")
    doc = PdfReader().read(path, path.name)
    assert doc.pages and doc.pages > 3 and len(doc.text.split()) > 1000
    assert chunk_document(doc)


def test_real_world_files_from_pypi_packages_are_read_or_refused_with_a_reason():
    import docx
    import matplotlib

    template = Path(docx.__file__).parent / "templates" / "default.docx"  # python-docx's own, empty
    with pytest.raises(Exception, match="Word file has no text"):
        DocxReader().read(template, "default.docx")
    logo = Path(matplotlib.__file__).parent / "mpl-data" / "images" / "matplotlib.pdf"  # vector art, no text
    with pytest.raises(Exception, match="no text layer"):
        PdfReader().read(logo, "matplotlib.pdf")
