"""Real documents written by the tests: the bundled report typeset as a PDF (fpdf2 + DejaVu), a DOCX, an HTML page.

The PDF has many A5 pages with a running header, a page-number footer, justified text with
words hyphenated at line ends, a two-column page, a table and an image-only page; it records
on which page each block starts, so tests can check cited pages.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from corpus import CleanDocument, load_corpus
from corpus.loader import default_corpus_dir

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
RUNNING_HEADER = "TÜRK DÜNYASINDA İSTİHBARAT PAYLAŞIMI — SETA ANALİZ"
NAV_TEXT = "Ana sayfa Yayınlar İletişim"
FOOTER_TEXT = "© 2026 Örnek Vakfı. Tüm hakları saklıdır."


def report() -> CleanDocument:
    """The bundled report, as the text reader cleans it."""
    return load_corpus(default_corpus_dir()).documents[0]


def _hyphenable(text: str) -> str:
    """Soft hyphens inside long words, so fpdf2 breaks them at line ends with a visible hyphen."""
    def split(match: re.Match[str]) -> str:
        word = match.group()
        return word[:5] + "\u00ad" + word[5:]

    return re.sub(r"[^\W\d_]{11,}", split, text)


@dataclass
class TypesetReport:
    path: Path
    block_pages: dict[int, int] = field(default_factory=dict)  # block index -> page it starts on
    image_page: int = 0
    two_column_page: int = 0
    pages: int = 0


def write_report_pdf(path: Path, *, with_title: bool = True) -> TypesetReport:
    """Typeset the report over A5 pages (see the module docstring)."""
    from fpdf import FPDF
    from PIL import Image

    doc = report()
    out = TypesetReport(path)

    class Report(FPDF):
        blank = False

        def header(self) -> None:
            if self.blank:
                return
            self.set_font("DejaVu", size=7)
            self.cell(0, 6, RUNNING_HEADER, align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            if self.blank:
                return
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 8, str(self.page_no()), align="C")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pdf = Report(format="a5")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    if with_title:
        pdf.set_title("Türk Dünyasında İstihbarat Paylaşımı")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    headings = 0
    for i, block in enumerate(doc.blocks):
        pdf.set_font("DejaVu", size=9)
        if block.kind == "heading":
            headings += 1
            if headings == 3:  # the third section is set in two columns on a page of its own
                pdf.add_page()
                out.two_column_page = pdf.page_no()
            pdf.ln(3)
            pdf.set_font("DejaVu", "B", size=13)
            out.block_pages[i] = pdf.page_no()
            pdf.multi_cell(0, 7, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
            if headings == 3:
                pdf.set_font("DejaVu", size=9)
                section = [b for b in doc.blocks[i + 1 :] if b.kind != "heading"][:2]
                with pdf.text_columns(ncols=2, gutter=6, text_align="J", l_margin=pdf.l_margin) as cols:
                    for k, para in enumerate(section):
                        out.block_pages[i + 1 + k] = out.two_column_page
                        cols.write(_hyphenable(para.text))
                        cols.ln()
                        cols.ln()
                pdf.add_page()
            continue
        if i in out.block_pages:
            continue  # already set in the two-column page
        if block.kind == "table":
            rows = block.text.split("\n")
            out.block_pages[i] = pdf.page_no()
            pdf.multi_cell(0, 5, rows[0], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", size=7)
            with pdf.table(text_align="LEFT", line_height=4) as table:
                for row in rows[1:]:
                    cells = table.row()
                    for cell in row.split(" | "):
                        cells.cell(cell)
            pdf.ln(3)
            continue
        # the first line goes to the next page when it does not fit on this one
        out.block_pages[i] = pdf.page_no() + (1 if pdf.will_page_break(4.5) else 0)
        pdf.multi_cell(0, 4.5, _hyphenable(block.text), align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
        if i == 12:  # an image-only page: a scan, with no text layer and no header or footer
            pdf.blank = True
            pdf.add_page()
            out.image_page = pdf.page_no()
            image = io.BytesIO()
            Image.new("RGB", (60, 80), (200, 180, 150)).save(image, format="PNG")
            pdf.image(image, x=20, y=20, w=100)
            pdf.add_page()
            pdf.blank = False
            # the page was added while blank: give it its header now
            pdf.set_y(pdf.t_margin)
            pdf.header()
    pdf.output(str(path))
    out.pages = pdf.page_no()
    return out


def write_report_docx(path: Path) -> None:
    """The report as a Word file: headings, paragraphs, bullets and tables."""
    import docx

    document = docx.Document()
    document.core_properties.title = "İstihbarat Paylaşımı (Word)"
    for block in report().blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=1)
        elif block.kind == "bullet":
            document.add_paragraph(block.text.removeprefix("• "), style="List Bullet")
        elif block.kind == "table":
            caption, *rows = block.text.split("\n")
            document.add_paragraph(caption)
            cells = [row.split(" | ") for row in rows]
            table = document.add_table(rows=len(cells), cols=max(len(r) for r in cells))
            for r, row in enumerate(cells):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        else:
            document.add_paragraph(block.text)
    document.save(str(path))


def write_report_html(path: Path) -> None:
    """The report as a web page with navigation, a site header and footer, and a script."""
    from html import escape

    parts = [
        "<!DOCTYPE html><html lang='tr'><head><meta charset='utf-8'><title>İstihbarat Paylaşımı (HTML)</title>",
        "<script>var tracker = 'SCRIPT_TEXT_MUST_NOT_APPEAR';</script></head><body>",
        f"<header><div class='logo'>Örnek Vakfı</div><nav><a href='/'>{NAV_TEXT}</a></nav></header><main>",
    ]
    for block in report().blocks:
        if block.kind == "heading":
            parts.append(f"<h2>{escape(block.text)}</h2>")
        elif block.kind == "bullet":
            parts.append(f"<ul><li>{escape(block.text.removeprefix('• '))}</li></ul>")
        elif block.kind == "table":
            caption, *rows = block.text.split("\n")
            cells = "".join(
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row.split(" | ")) + "</tr>" for row in rows
            )
            parts.append(f"<table><caption>{escape(caption)}</caption>{cells}</table>")
        else:
            parts.append(f"<p>{escape(block.text)}</p>")
    parts.append(f"</main><footer><p>{FOOTER_TEXT}</p></footer></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
