"""Your own documents through the command line, with the real model: the issue-12 "done when" check,
incremental add/change/remove, --doc, and `docs list/add/remove`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from document_helpers import (
    FOOTER_TEXT,
    NAV_TEXT,
    RUNNING_HEADER,
    report,
    write_report_docx,
    write_report_html,
    write_report_pdf,
)

from cli.main import cli

SENTENCE = "Bu sürecin istihbarat boyutu, 20 Mayıs 1998 tarihinde"


def run(env: dict[str, str], *args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> tuple[Path, dict[str, str], dict[int, int]]:
    """The done-when folder: the report as PDF, Word and HTML, plus a truncated and an encrypted PDF."""
    from fpdf import FPDF

    corpus = tmp_path_factory.mktemp("docs-corpus")
    typeset = write_report_pdf(corpus / "rapor.pdf")
    write_report_docx(corpus / "rapor-word.docx")
    write_report_html(corpus / "rapor-web.html")
    data = (corpus / "rapor.pdf").read_bytes()
    (corpus / "kesik.pdf").write_bytes(data[: len(data) * 2 // 3])
    pdf = FPDF()
    pdf.set_encryption(owner_password="sahip", user_password="gizli")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "secret")
    pdf.output(str(corpus / "sifreli.pdf"))
    env = {
        "REPORT_QA_CACHE_DIR": str(model_cache),
        "REPORT_QA_INDEX_DIR": str(tmp_path_factory.mktemp("docs-index")),
        "REPORT_QA_CORPUS_DIR": str(corpus),
        "HF_HUB_OFFLINE": "1",
    }
    return corpus, env, typeset.block_pages


def test_done_when(folder):
    corpus, env, block_pages = folder
    first = run(env, "index", "--corpus", str(corpus), "--json")
    assert {s["file"] for s in first["skipped"]} == {"kesik.pdf", "sifreli.pdf"}
    reasons = {s["file"]: s["reason"] for s in first["skipped"]}
    assert "truncated PDF" in reasons["kesik.pdf"] and "encrypted PDF" in reasons["sifreli.pdf"]
    assert first["documents"] == 3 and sorted(first["added"]) == ["rapor-web.html", "rapor-word.docx", "rapor.pdf"]
    assert first["updated"] == [] and first["removed"] == [] and first["unchanged"] == 0

    # The right PDF page for a sentence of the report.
    hits = run(env, "search", SENTENCE, "--doc", "rapor.pdf", "-k", "3", "--json")["passages"]
    owner = next(h for h in hits if SENTENCE in h["text"])
    index = next(i for i, b in enumerate(report().blocks) if b.text.startswith(SENTENCE))
    assert owner["doc"] == "rapor.pdf" and owner["page"] == block_pages[index]

    # Answers from the Word file and from the HTML page.
    for name in ("rapor-word.docx", "rapor-web", "RAPOR-WEB.HTML"):
        answer = run(env, "ask", "1998 protokolünü hangi ülkeler imzaladı?", "--doc", name, "--json")
        assert answer["answered"], answer
        expected = "rapor-word.docx" if "word" in name else "rapor-web.html"
        assert {c["doc"] for c in answer["citations"]} == {expected}

    # No running header, navigation or footer text in any passage.
    from index.store import current_build

    build = current_build(Path(env["REPORT_QA_INDEX_DIR"]))
    assert build is not None
    text = (build / "passages.jsonl").read_text(encoding="utf-8")
    for furniture in (RUNNING_HEADER, NAV_TEXT, FOOTER_TEXT, "SCRIPT_TEXT_MUST_NOT_APPEAR"):
        assert furniture not in text
    passages = [json.loads(line) for line in text.splitlines()]
    assert not [p for p in passages if p["doc"] == "rapor.pdf" and re.search(r"(?m)^\d{1,2}$", p["text"])]

    # One file changes, one is removed: exactly those two are listed, and search forgets the removed one.
    html = corpus / "rapor-web.html"
    html.write_text(html.read_text(encoding="utf-8").replace("</main>", "<p>Kurgusal ek paragraf.</p></main>"),
                    encoding="utf-8")
    (corpus / "rapor-word.docx").unlink()
    second = run(env, "index", "--corpus", str(corpus), "--json")
    assert second["updated"] == ["rapor-web.html"] and second["removed"] == ["rapor-word.docx"]
    assert second["added"] == [] and second["unchanged"] == 1 and second["documents"] == 2
    hits = run(env, "search", "1998 protokolünü hangi ülkeler imzaladı?", "-k", "20", "--json")["passages"]
    assert hits and "rapor-word.docx" not in {h["doc"] for h in hits}
    assert run(env, "index", "--json")["status"] == "up-to-date"


def test_docs_add_list_remove(folder, tmp_path):
    corpus, env, _ = folder
    extra = tmp_path / "ek notlar.md"
    extra.write_text("# Ek\n\nKırgızistan ve Özbekistan arasındaki su anlaşması 2030 yılında kurgusal "
                     "olarak imzalanmıştır.\n", encoding="utf-8")
    added = run(env, "docs", "add", str(extra), "--json")
    assert added["added"] == ["ek notlar.md"] and added["updated"] == [] and added["removed"] == []
    listing = run(env, "docs", "list", "--json")
    by_file = {d["file"]: d for d in listing["documents"]}
    assert by_file["rapor.pdf"]["type"] == "pdf" and by_file["rapor.pdf"]["pages"] > 10
    assert by_file["rapor.pdf"]["title"] == "Türk Dünyasında İstihbarat Paylaşımı"
    assert any("no text" in note for note in by_file["rapor.pdf"]["notes"])
    assert by_file["ek notlar.md"]["status"] == "indexed" and by_file["ek notlar.md"]["passages"] == 1
    assert {s["file"] for s in listing["skipped"]} >= {"kesik.pdf", "sifreli.pdf"}
    assert {s["file"]: s["code"] for s in listing["skipped"]}["sifreli.pdf"] == "pdf_encrypted"
    removed = run(env, "docs", "remove", "ek notlar", "--json")
    assert removed["removed"] == ["ek notlar.md"] and not (corpus / "ek notlar.md").exists()


def test_an_unknown_doc_name_is_one_line_and_exit_2(folder):
    _, env, _ = folder
    result = CliRunner().invoke(cli, ["search", "istihbarat", "--doc", "yok.pdf"], env=env)
    assert result.exit_code == 2
    assert "no indexed document named 'yok.pdf'" in result.output and "rapor.pdf" in result.output
