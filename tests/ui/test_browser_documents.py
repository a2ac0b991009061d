"""The Documents tab in a real browser: upload a Markdown file, then ask only that document."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from ui_helpers import ANSWER_TIMEOUT_MS, running_app

from ui import strings

NAME = "zümrüt vadisi.md"
REPORT = "turk-dunyasinda-istihbarat-paylasimi"
MARKDOWN = """# Zümrüt Vadisi Su Anlaşması

Zümrüt Vadisi su anlaşması 2031 yılında Ilgaz ve Tuna belediyeleri arasında imzalandı.
Anlaşmaya göre barajın suyu her yıl eşit paylaşılır ve ortak bir kurul denetim yapar.
"""


@pytest.fixture(scope="module")
def library_url(engine, tmp_path_factory):
    """The chat over its own uploads folder and index, so the shared index stays as it is."""
    root = tmp_path_factory.mktemp("library")
    settings = engine.settings.model_copy(update={"uploads_dir": root / "uploads", "index_dir": root / "index"})
    with running_app(replace(engine, settings=settings)) as url:
        yield url


def test_upload_then_ask_only_that_document(open_chat, library_url, tmp_path: Path) -> None:
    upload = tmp_path / NAME
    upload.write_text(MARKDOWN, encoding="utf-8")
    chat = open_chat("desktop", "en", url=library_url)
    page = chat.page
    page.get_by_role("tab", name=strings.text("en", "docs_tab")).click()
    page.locator("#rqa-upload input[type=file]").set_input_files(str(upload))
    status = page.locator("#rqa-docs-status")
    status.get_by_text(strings.text("en", "docs_added", names=NAME)).wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert NAME in page.locator("#rqa-docs-table").inner_text()

    page.locator("#rqa-doc-filter input").click()
    page.get_by_role("option", name=NAME).click()
    page.keyboard.press("Escape")
    # Relabelled on a language switch, the tab keeps the document in its table.
    chat.pick_language("tr")
    assert page.get_by_role("tab", name=strings.text("tr", "docs_tab")).is_visible()
    assert strings.text("tr", "docs_indexed") in page.locator("#rqa-docs-table").inner_text()

    page.get_by_role("tab", name=strings.text("tr", "tab_chat")).click()
    chat.ask("Zümrüt Vadisi su anlaşması hangi yıl imzalandı?")
    sources = page.locator("#rqa-sources-panel").inner_text()
    assert "2031" in chat.last_answer().inner_text()
    assert NAME in sources
    # A question the bundled report answers gets nothing from it while the filter holds.
    chat.ask("1998 protokolünü hangi ülkeler imzaladı?")
    assert REPORT not in page.locator("#rqa-sources-panel").inner_text()
