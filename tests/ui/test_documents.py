"""The Documents tab's library (qa.documents): safe names, upload checks, and upload → index → ask."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from corpus.errors import ReportQAError
from corpus.readers import registered_suffixes
from qa.documents import UploadError, add_files, check_upload, document_rows, remove_file, safe_name, uploads_dir

MARKDOWN = """# Zümrüt Vadisi Su Anlaşması

Zümrüt Vadisi su anlaşması 2031 yılında Ilgaz ve Tuna belediyeleri arasında imzalandı.
Anlaşmaya göre barajın suyu her yıl eşit paylaşılır ve ortak bir kurul denetim yapar.
"""


@pytest.mark.parametrize(("raw", "stored"), [
    ("rapor.pdf", "rapor.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\win.ini.md", "win.ini.md"),
    ("Türk Dünyası: İstihbarat?.md", "Türk Dünyası İstihbarat.md"),
    ("  .gizli.txt", "gizli.txt"),
    ("a\x00b\nc.html", "a b c.html"),
])
def test_safe_name_keeps_the_name_readable_and_inside_the_folder(raw: str, stored: str) -> None:
    assert safe_name(raw) == stored


def test_safe_name_cuts_long_names_but_keeps_the_suffix() -> None:
    name = safe_name("ş" * 300 + ".docx")
    assert name.endswith(".docx") and len(name) <= 120 and "/" not in name


@pytest.mark.parametrize("raw", ["..", "../", "???", "/", " . "])
def test_safe_name_refuses_names_with_nothing_usable(raw: str) -> None:
    with pytest.raises(UploadError) as caught:
        safe_name(raw)
    assert caught.value.code == "upload_name"


@pytest.mark.parametrize(("name", "size", "code"), [
    ("foto.jpg", 10, "upload_type"),
    ("betik", 10, "upload_type"),
    ("bos.pdf", 0, "upload_empty"),
    ("buyuk.pdf", 2 * 2**20 + 1, "upload_size"),
])
def test_check_upload_refuses(name: str, size: int, code: str) -> None:
    with pytest.raises(UploadError) as caught:
        check_upload(name, size, 2 * 2**20)
    assert caught.value.code == code


@pytest.mark.parametrize("name", ["a.txt", "a.MD", "a.pdf", "a.docx", "a.html", "a.htm"])
def test_check_upload_takes_every_reader_suffix(name: str) -> None:
    check_upload(name, 2 * 2**20, 2 * 2**20)


def test_upload_is_indexed_and_answered_then_removed(engine, tmp_path: Path) -> None:
    settings = engine.settings.model_copy(update={"uploads_dir": tmp_path / "up", "index_dir": tmp_path / "index"})
    library = replace(engine, settings=settings)
    upload = tmp_path / "incoming" / "zümrüt vadisi.md"
    upload.parent.mkdir()
    upload.write_text(MARKDOWN, encoding="utf-8")

    library, names = add_files(library, [(upload, "../zümrüt vadisi.md")])
    assert names == ["zümrüt vadisi.md"]
    folder = uploads_dir(settings)
    assert (folder / "zümrüt vadisi.md").read_text(encoding="utf-8") == MARKDOWN
    assert library.settings.index_config().corpus_dir == folder
    rows = {r.name: r for r in document_rows(library)}
    assert rows["zümrüt vadisi.md"].status == "indexed" and rows["zümrüt vadisi.md"].type == "markdown"
    assert len(rows) >= 2  # the seeded copy of the bundled report is still there

    answer = library.ask("Zümrüt Vadisi su anlaşması hangi yıl imzalandı?", docs=["zümrüt vadisi"])
    cited = answer.to_json()["citations"]
    assert cited and {c["doc"] for c in cited} == {"zümrüt vadisi.md"}
    assert "2031" in " ".join(c["quote"] for c in cited)

    with pytest.raises(UploadError) as caught:
        add_files(library, [(upload, "zümrüt vadisi.md")])
    assert caught.value.code == "upload_exists"

    # Through the tab: a damaged PDF is stored but skipped, and the status says so in Turkish.
    from ui import strings
    from ui.app import build_app

    demo = build_app(library)
    tab = next(fn.fn.__self__ for fn in demo.fns.values() if fn.name == "on_upload")
    broken = tmp_path / "incoming" / "kırık.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\n")
    status = tab.on_upload([str(broken)], "tr", None, progress=lambda *a, **k: None)[0]
    assert strings.text("tr", "docs_err_unread", detail="")[:30] in status and "kırık.pdf" in status
    assert "yarım kalmış PDF" in status and "truncated" not in status  # the reason too, in Turkish
    from ui.documents_tab import table_html

    rows = document_rows(tab.holder.engine)
    assert "yarım kalmış PDF" in table_html(rows, "tr") and "truncated PDF" in table_html(rows, "en")
    library = remove_file(tab.holder.engine, "kırık.pdf")
    assert {r.name for r in document_rows(library)} >= {"zümrüt vadisi.md"}

    library = remove_file(library, "zümrüt vadisi.md")
    assert not (folder / "zümrüt vadisi.md").exists()
    with pytest.raises(ReportQAError):
        library.documents(["zümrüt vadisi"])
    with pytest.raises(UploadError):
        remove_file(library, "../index/current")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.168.1.5", False),
    ("example.org", False),
])
def test_uploads_need_loopback_or_auth(host: str, loopback: bool) -> None:
    from ui.app import _loopback

    assert _loopback(host) is loopback


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_exposed_chat_refuses_uploads_with_a_notice(engine, tmp_path: Path, lang: str) -> None:
    from ui import strings
    from ui.app import build_app
    from ui.documents_tab import DocumentsTab

    settings = engine.settings.model_copy(update={"uploads_dir": tmp_path / "up"})
    demo = build_app(replace(engine, settings=settings), uploads=False)
    tab = next(fn.fn.__self__ for fn in demo.fns.values() if fn.name == "on_upload")
    assert isinstance(tab, DocumentsTab) and not tab.allowed and tab.upload.interactive is False
    assert strings.text(lang, "docs_disabled")[:30] in tab.relabel(lang)[1]
    upload = tmp_path / "a.md"
    upload.write_text("# Başlık\n\nMetin.\n", encoding="utf-8")
    status = tab.on_upload([str(upload)], lang, None, progress=lambda *a, **k: None)[0]
    assert strings.text(lang, "docs_err_disabled") in status
    assert not (tmp_path / "up").exists()


def test_refused_upload_says_why_in_the_interface_language(engine, tmp_path: Path) -> None:
    from ui import strings
    from ui.app import build_app

    settings = engine.settings.model_copy(update={"uploads_dir": tmp_path / "up"})
    demo = build_app(replace(engine, settings=settings))
    tab = next(fn.fn.__self__ for fn in demo.fns.values() if fn.name == "on_upload")
    picture = tmp_path / "foto.jpg"
    picture.write_bytes(b"\xff\xd8\xff")
    status = tab.on_upload([str(picture)], "tr", None, progress=lambda *a, **k: None)[0]
    assert strings.text("tr", "docs_err_upload_type", types=", ".join(registered_suffixes()), detail="")[:40] in status
    assert 'role="alert"' in status and not (tmp_path / "up").exists()
