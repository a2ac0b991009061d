"""``report-qa bench --documents``: PDF extraction speed, a 300-page PDF build, and incremental-update cost.

Measured on documents made here from the bundled report (no file is downloaded):

- **PDF text extraction** in pages per second: the report typeset with fpdf2 (the ``dev`` extra)
  over ``pdf_pages`` A5 pages with a running header and a page-number footer;
- **a 300-page PDF indexed** from scratch: wall time of the whole build;
- **embedding throughput during the build** against the model's own on one large batch of the
  same texts (passages, sentences and sentence windows): the build should lose no throughput to its bookkeeping;
- **changing one file in a 50-document corpus**: the update's wall time as a share of a full build.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from corpus import load_corpus
from corpus.errors import ReportQAError
from corpus.loader import default_corpus_dir
from corpus.readers import PdfReader
from index.embedding import Embedder
from index.store import build_index
from qa.settings import Settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
HEADER = "TÜRK DÜNYASINDA İSTİHBARAT PAYLAŞIMI"


def typeset_pdf(path: Path, pages: int) -> None:
    """The bundled report's paragraphs, repeated, typeset over at least ``pages`` A5 pages.

    Raises:
        ReportQAError: fpdf2 or the DejaVu font is missing.
    """
    try:
        from fpdf import FPDF
    except ImportError:
        raise ReportQAError("bench --documents typesets PDFs with fpdf2: pip install 'report-qa[dev]'") from None
    if not FONT.exists():
        raise ReportQAError(f"bench --documents needs the DejaVu font {FONT}: apt-get install fonts-dejavu-core")
    blocks = [b.text for b in load_corpus(default_corpus_dir()).documents[0].blocks if b.kind != "table"]

    class Pdf(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", size=7)
            self.cell(0, 6, HEADER, align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 8, str(self.page_no()), align="C")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fpdf2 notes that its A5 size changed in 2.8.5
        pdf = Pdf(format="a5")
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_page()
    i = 0
    while pdf.page_no() < pages:
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(0, 4.5, f"{i // len(blocks) + 1}. {blocks[i % len(blocks)]}", align="J",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        i += 1
    pdf.output(str(path))


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def bench_documents(
    settings: Settings, embedder: Embedder, workdir: Path, log: Callable[[str], None], *, pdf_pages: int = 300
) -> dict[str, Any]:
    """Run the four measurements in ``workdir`` (see the module docstring)."""
    one = workdir / "pdf-corpus"
    one.mkdir(parents=True)
    pdf = one / "rapor-300.pdf"
    log(f"typesetting a {pdf_pages}-page PDF")
    typeset_pdf(pdf, pdf_pages)
    doc, read_s = _timed(lambda: PdfReader().read(pdf, pdf.name))
    pages = doc.pages or 0
    log(f"extracted {pages} pages in {read_s:.2f} s")

    base = settings.index_config()
    config = replace(base, corpus_dir=one, index_dir=workdir / "pdf-index")
    report, build_s = _timed(lambda: build_index(config, embedder, reuse=False))
    log(f"indexed the {pages}-page PDF in {build_s:.1f} s")

    from index.store import load_index

    index = load_index(config, embedder)
    texts = [p.embed_text for p in index.passages]
    sentences = [s.text for p in index.passages for s in p.sentences]
    windows = [w for p in index.passages for w in p.windows]
    _, batch_s = _timed(lambda: [embedder.encode_documents(batch) for batch in (texts, sentences, windows)])
    in_build = report.timings["embed_s"]

    many = workdir / "corpus-50"
    many.mkdir()
    paragraphs = [b.text for b in load_corpus(default_corpus_dir()).documents[0].blocks if b.kind == "paragraph"]
    for n in range(50):
        body = "\n\n".join(paragraphs[(n + k) % len(paragraphs)] for k in range(4))
        (many / f"belge-{n:02d}.md").write_text(f"# Belge {n}\n\n{body}\n", encoding="utf-8")
    config50 = replace(base, corpus_dir=many, index_dir=workdir / "index-50")
    _, full_s = _timed(lambda: build_index(config50, embedder, reuse=False))
    changed = many / "belge-07.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nKurgusal bir ek cümle eklenmiştir.\n",
                       encoding="utf-8")
    update, update_s = _timed(lambda: build_index(config50, embedder))
    log(f"50 documents: full build {full_s:.1f} s, one changed file {update_s:.1f} s")
    return {
        "pdf_pages": pages,
        "pdf_extract_s": round(read_s, 3),
        "pdf_pages_per_s": round(pages / read_s, 1) if read_s else None,
        "pdf_index_s": round(build_s, 1),
        "pdf_passages": report.passages,
        "embed_in_build_s": round(in_build, 2),
        "embed_one_batch_s": round(batch_s, 2),
        "embed_throughput_ratio": round(batch_s / in_build, 3) if in_build else None,
        "corpus50_full_build_s": round(full_s, 2),
        "corpus50_one_change_s": round(update_s, 2),
        "corpus50_update_share": round(update_s / full_s, 3) if full_s else None,
        "corpus50_updated": update.updated,
        "corpus50_unchanged": update.unchanged,
    }
