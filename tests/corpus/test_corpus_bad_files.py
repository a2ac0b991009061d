"""Bad corpus files are skipped and reported by name; document text is untrusted and stays text."""

from __future__ import annotations

import codecs
import json
import logging
import os
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability_helpers import FakeEmbedder

from corpus import CorpusError, load_corpus
from corpus.loader import MAX_FILE_BYTES, sanitize_text
from index.store import build_index, ensure_index

GOOD_TXT = (
    "GİRİŞ\n\nTürk devletleri arasında istihbarat paylaşımı 1998 yılında imzalanan protokolle kurumsal bir "
    "zemine oturmuştur. Bu iş birliği her yıl düzenlenen toplantılarla gelişmiştir.\n"
)
GOOD_MD = "# Ek\n\nKırgızistan ve Özbekistan arasındaki su anlaşması 2030 yılında kurgusal olarak imzalanmıştır.\n"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _bad_corpus(folder: Path) -> dict[str, str]:
    """A folder of good and bad files; returns {bad file: words its reason must contain}."""
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (folder / "ek.md").write_text(GOOD_MD, encoding="utf-8")
    (folder / "bom.md").write_bytes(codecs.BOM_UTF8 + "# BOM\n\nUTF-8 metin, başında BOM ile.\n".encode())
    (folder / "utf16.txt").write_text("UTF-16 METİN\n\nBu belge UTF-16 olarak kaydedilmiştir.\n", encoding="utf-16")
    (folder / "sub").mkdir()
    (folder / "sub" / "nested.md").write_text("# Alt klasör\n\nAlt klasördeki belge de okunur.\n", encoding="utf-8")
    (folder / ".hidden.txt").write_text("gizli dosya okunmaz", encoding="utf-8")
    (folder / "folder.md").mkdir()  # a folder named like a document is not a document
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # no reader takes it: listed as skipped

    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text(" \n\t\n\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "cp1254.txt").write_bytes("Türkiye’nin güvenliği ve İstihbarat".encode("cp1254"))
    with (folder / "huge.txt").open("wb") as fh:  # 50 MB (sparse: cheap to make)
        fh.truncate(50 * 1024 * 1024)
    (folder / "good2.txt").write_text(GOOD_TXT, encoding="utf-8")
    (folder / "page-numbers.txt").write_text("12\n\n13\n\n14\n", encoding="utf-8")
    (folder / "unreadable.txt").write_text("okunamayan belge", encoding="utf-8")
    return {
        "image.png": "unknown file type (.png)",
        "empty.txt": "empty file",
        "blank.md": "empty file",
        "binary.txt": "binary file",
        "cp1254.txt": "not valid UTF-8",
        "huge.txt": "over the 20 MiB limit",
        "good2.txt": "duplicate of good.txt",
        "page-numbers.txt": "no text left",
        "unreadable.txt": "permission denied",
    }


@pytest.fixture
def bad_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """The bad corpus. ``unreadable.txt`` is chmod 000; as root (where that does not stop reading,
    as in CI) opening it is made to fail with PermissionError instead."""
    folder = tmp_path / "corpus"
    expected = _bad_corpus(folder)
    unreadable = folder / "unreadable.txt"
    unreadable.chmod(0)
    if ROOT:
        real_open = Path.open

        def deny(self, *args, **kwargs):
            if self.name == unreadable.name:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", deny)
    yield folder, expected
    unreadable.chmod(0o644)


GOOD_NAMES = {"good.txt", "ek.md", "bom.md", "utf16.txt", "sub/nested.md"}


def test_good_documents_load_and_each_bad_one_is_named(bad_corpus, caplog):
    folder, expected = bad_corpus
    with caplog.at_level(logging.WARNING, logger="corpus.loader"):
        result = load_corpus(folder)
    assert {d.name for d in result.documents} == GOOD_NAMES
    reasons = {p.path: p.reason for p in result.problems}
    assert set(reasons) == set(expected)
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
        assert f"skipped {name}: " in caplog.text
    # Every reason also says what to do about it.
    for reason in reasons.values():
        assert any(w in reason for w in ("remove", "convert", "add text", "chmod", "split")), reason


def test_utf16_and_bom_files_are_read_as_text(bad_corpus):
    folder, _ = bad_corpus
    docs = {d.name: d for d in load_corpus(folder).documents}
    assert "UTF-16 olarak kaydedilmiştir" in docs["utf16.txt"].text
    assert docs["bom.md"].text.startswith("BOM")


@pytest.mark.skipif(ROOT, reason="root reads chmod-000 files; the bad_corpus fixture simulates it instead")
def test_really_unreadable_file_as_a_normal_user(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    locked = tmp_path / "locked.txt"
    locked.write_text(GOOD_MD, encoding="utf-8")
    locked.chmod(0)
    try:
        problems = {p.path: p.reason for p in load_corpus(tmp_path).problems}
    finally:
        locked.chmod(0o644)
    assert "permission denied" in problems["locked.txt"]


def test_a_file_over_the_limit_is_never_read(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    with (tmp_path / "big.md").open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    opened: list[str] = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: (opened.append(self.name), real_open(self, *a, **k))[1])
    problems = {p.path: p.reason for p in load_corpus(tmp_path).problems}
    assert "over the 20 MiB limit" in problems["big.md"]
    assert "big.md" not in opened


def test_a_corpus_of_only_bad_files_names_them_all(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01\x02")
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    message = str(caught.value)
    assert "no usable document" in message and "empty.txt: empty file" in message
    assert "binary.md: binary file" in message


@pytest.mark.parametrize("make", ["missing", "a file"])
def test_a_missing_corpus_folder_is_a_clear_error(tmp_path, make):
    path = tmp_path / "corpus"
    if make == "a file":
        path.write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match="pass --corpus DIR"):
        load_corpus(path)


def test_a_corpus_inside_a_hidden_folder_is_read(tmp_path):
    """Only hidden names *inside* the corpus are skipped (it used to skip everything under ~/.x/)."""
    folder = tmp_path / ".local" / "share" / "corpus"
    folder.mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (folder / ".draft.txt").write_text(GOOD_MD, encoding="utf-8")
    assert [d.name for d in load_corpus(folder).documents] == ["good.txt"]


def test_clashing_passage_ids_are_reported(tmp_path):
    """'Rapor.txt' and 'rapor.md' would both give passage ids 'rapor-001', …: the second is skipped."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "Rapor.txt").write_text(GOOD_TXT, encoding="utf-8")
    (tmp_path / "corpus" / "rapor.md").write_text(GOOD_MD, encoding="utf-8")
    (tmp_path / "corpus" / "only-headings.md").write_text("# Başlık\n\n## Alt başlık\n", encoding="utf-8")
    from index.store import IndexConfig

    config = IndexConfig(tmp_path / "corpus", tmp_path / "index", tmp_path / "cache", "test")
    report = build_index(config, FakeEmbedder())
    problems = {p.path: p.reason for p in report.problems}
    assert "clash with those of Rapor.txt" in problems["rapor.md"] and "rename" in problems["rapor.md"]
    assert "only headings" in problems["only-headings.md"]
    index = ensure_index(config, FakeEmbedder())
    ids = [p.chunk_id for p in index.passages]
    assert len(ids) == len(set(ids)) and {p.doc for p in index.passages} == {"Rapor.txt"}
    assert {s["path"] for s in index.manifest["skipped"]} == {"rapor.md", "only-headings.md"}


def test_cli_index_prints_every_skipped_file(bad_corpus, tmp_path, monkeypatch, isolated_home):
    """`report-qa index --corpus DIR` indexes the good files and lists each bad one with its reason."""
    import index.embedding
    from cli.main import cli

    folder, expected = bad_corpus
    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: FakeEmbedder())
    args = ["index", "--corpus", str(folder), "--index-dir", str(tmp_path / "index")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"Indexed {len(GOOD_NAMES)} document(s)" in result.stdout
    for name, words in expected.items():
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"  skipped {name}: "))
        assert words in line
    result = CliRunner().invoke(cli, [*args, "--force", "--json"])
    summary = json.loads(result.stdout)
    assert summary["documents"] == len(GOOD_NAMES)
    assert {s["path"] for s in summary["skipped"]} == set(expected)
    assert all(s["code"] for s in summary["skipped"])  # a stable name for each reason, for scripts


def test_cli_index_of_an_unusable_corpus_is_a_user_error(tmp_path, monkeypatch, isolated_home):
    import index.embedding
    from cli.main import cli

    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: FakeEmbedder())
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "empty.md").write_bytes(b"")
    for corpus in (tmp_path / "corpus", tmp_path / "missing"):
        result = CliRunner().invoke(cli, ["index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "i")])
        assert result.exit_code == 2
        assert result.stderr.splitlines()[-1].startswith("Error: ") and "Traceback" not in result.output
        assert ("empty.md: empty file" in result.stderr) or ("corpus folder not found" in result.stderr)


# --- document text is untrusted ------------------------------------------------------------------

SCRIPT_DOC = (
    "KIRGIZİSTAN SU ANLAŞMASI\n\n"
    "Kırgızistan ile Özbekistan arasındaki kurgusal su anlaşması <script>alert('xss')</script> 2031 yılında "
    "Oş kentinde imzalanmıştır. Anlaşma <img src=x onerror=alert(1)> ortak bir su komisyonu kurar. \n"
    "Komisyon her yıl \x1b]0;pwned\x07\x1b[2Jtoplanır ve \u202eraporunu\u202c yayımlar.\n"
)
LINK_DOC = (
    "# Baraj Protokolü\n\n"
    "Toktogul barajı protokolünün tam metni için [buraya tıklayın](javascript:alert(document.cookie)) ya da "
    "<a href=\"javascript:alert(2)\">bu bağlantıyı</a> izleyin. Protokol 2032 yılında Bişkek'te imzalanmıştır.\n"
)
EVIL_NAME = "<img src=x onerror=alert(3)>.md"
# What the chat's own HTML uses (details/summary: each answer's folded sources on a phone).
ALLOWED_TAGS = {"a", "blockquote", "code", "details", "div", "h1", "h2", "h3", "li", "mark", "ol", "p", "q",
                "section", "span", "summary", "sup", "ul"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.data.append(data)


def _assert_inert(html: str) -> str:
    """No tag or attribute from document text, no link but in-page anchors; returns the visible text."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        assert not any(name.startswith("on") for name in attrs), attrs
        assert attrs.get("href") is None or attrs["href"].startswith("#"), attrs
    return "".join(parser.data)


@pytest.fixture(scope="module")
def markup_engine(engine, settings_factory, tmp_path_factory):
    """The real model over a corpus whose documents carry HTML, script and javascript: links."""
    from qa.answerers import make_answerer
    from qa.engine import Engine
    from qa.retrieval import Retriever

    corpus = tmp_path_factory.mktemp("markup") / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (corpus / "su.txt").write_text(SCRIPT_DOC, encoding="utf-8")
    (corpus / "baraj.md").write_text(LINK_DOC, encoding="utf-8")
    (corpus / EVIL_NAME).write_text("# Ad\n\nDosya adı da bir HTML etiketi: Talas nehri 2033 yılında ölçüldü.\n",
                                    encoding="utf-8")
    settings = settings_factory(corpus_dir=corpus)
    index = ensure_index(settings.index_config(), engine.embedder)
    retriever = Retriever(index, engine.embedder, settings)
    return Engine(settings, engine.embedder, index, retriever, make_answerer(settings.answerer, retriever, settings))


def test_control_and_bidi_characters_are_removed_from_documents():
    assert sanitize_text("a\x1b[2Jb\x00c\u202ed\u2066e\tf\ng\x0ch") == "a[2Jbcde\tf\ng\x0ch"


def test_document_markup_is_kept_as_raw_text_in_the_api(markup_engine):
    hits = markup_engine.search("Kırgızistan Özbekistan su anlaşması Oş", k=3)
    top = hits[0].passage
    assert top.doc == "su.txt"
    assert "<script>alert('xss')</script>" in top.text  # JSON carries the text as it is; escaping is the UI's job
    assert "\x1b" not in top.text and "\u202e" not in top.text and "\x07" not in top.text
    data = json.loads(json.dumps(markup_engine.ask("Kırgızistan su anlaşması nerede imzalandı?").to_json()))
    assert any("<script>" in p["text"] for p in data["passages"])


@pytest.mark.parametrize(("question", "doc"), [
    ("Kırgızistan ile Özbekistan arasındaki su anlaşması hangi kentte imzalandı?", "su.txt"),
    ("Toktogul barajı protokolü nerede imzalandı?", "baraj.md"),
    ("Talas nehri ne zaman ölçüldü?", EVIL_NAME),
])
def test_document_markup_shows_as_text_in_the_web_chat(markup_engine, question, doc):
    from ui import render
    from ui.app import Handlers
    from ui.conversation import Turn

    answer = markup_engine.ask(question).to_json()
    assert answer["passages"][0]["doc"] == doc
    turn = Turn(1, question, question, answer)
    hits = [h.to_json() for h in markup_engine.search(question, k=3)]
    panels = [render.answer_html(answer, 1, "tr"), render.sources_html([turn], "en"), render.hits_html(hits, "tr")]
    panels += [m["content"] for m in render.chat_messages([turn], "tr")]
    *_, (_, chat, sources, _, _) = Handlers(markup_engine).respond(question, [], "tr")
    panels += [m["content"] for m in chat] + [sources]
    shown = "".join(_assert_inert(html) for html in panels)
    # The markup is visible to the reader as the characters it is.
    raw = {"su.txt": "<script>alert('xss')</script>", "baraj.md": "(javascript:alert(document.cookie))",
           EVIL_NAME: EVIL_NAME}[doc]
    assert raw in shown
    assert unescape(render.hits_html(hits, "tr")).count("<script>") == sum(h["text"].count("<script>") for h in hits)


def test_cli_prints_no_terminal_escapes_from_documents(markup_engine, monkeypatch):
    from cli.main import cli
    from qa.engine import Engine

    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, settings, **kw: markup_engine))
    result = CliRunner().invoke(cli, ["search", "-k", "3", "Kırgızistan Özbekistan su anlaşması Oş"])
    assert result.exit_code == 0, result.output
    assert "su.txt" in result.stdout or "su-001" in result.stdout
    assert not any(c in result.stdout for c in "\x1b\x07\u202e")
