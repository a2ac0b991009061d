"""Start the real web chat on a free loopback port for the UI tests; hand-made answer parts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qa.ports import free_port
from ui import strings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
# Answers take about a second; a loaded CI machine may need far more.
ANSWER_TIMEOUT_MS = 60_000


@contextmanager
def running_app(engine) -> Iterator[str]:
    """Serve ``build_app(engine)`` on 127.0.0.1 and yield its URL; close it afterwards."""
    from ui.app import build_app

    demo = build_app(engine)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def citation(n: int, quote: str, text: str, chunk: str = "doc-001", **extra) -> dict:
    """A citation as ``ask --json`` has it, quoting ``quote`` from the passage ``text``."""
    start = text.index(quote)
    return {"n": n, "chunk_id": chunk, "doc": "report.txt", "section": "GİRİŞ", "page": 2, "paragraph": 3,
            "quote": quote, "quote_start": start, "quote_end": start + len(quote), "text": text, **extra}


def passage(rank: int, text: str, **extra) -> dict:
    """A ranked passage as ``search --json`` has it."""
    return {"rank": rank, "score": 0.5 / rank, "chunk_id": f"doc-{rank:03d}", "doc": "report.txt",
            "section": "SONUÇ", "page": rank, "paragraph": rank, "text": text, **extra}


@contextmanager
def chromium() -> Iterator:
    """Debian's headless Chromium under Playwright (skips the test when it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium: apt-get install chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Chat:
    """One browser session of the chat: a fresh context is a fresh Gradio session."""

    # Only finished turns have these (Gradio's own "pending" bubble does not).
    FINISHED = "#rqa-chat .rqa-answer, #rqa-chat .rqa-error"

    def __init__(self, browser, url: str, locale: str = "tr-TR", viewport: dict | None = None) -> None:
        self.viewport = viewport or DESKTOP
        self.context = browser.new_context(viewport=self.viewport, locale=locale)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        # Any alert() means text from a user or the report ran as code.
        self.page.on("dialog", self._dialog)
        self.page.goto(url)
        self.box = self.page.locator("#rqa-question textarea")
        self.box.wait_for(timeout=ANSWER_TIMEOUT_MS)
        self._wait_for_language(strings.browser_language(locale))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def turns(self) -> int:
        return self.page.locator(self.FINISHED).count()

    def ask(self, question: str, *, click: bool = False) -> None:
        """Type ``question``, press Enter (or click Ask) and wait for the answer (or error) to appear."""
        before = self.turns()
        self.box.fill(question)
        if click:
            self.page.locator("#rqa-send").click()
        else:
            self.box.press("Enter")
        self.page.wait_for_function(
            "([selector, before]) => document.querySelectorAll(selector).length > before",
            arg=[self.FINISHED, before], timeout=ANSWER_TIMEOUT_MS,
        )

    def last_answer(self):
        return self.page.locator("#rqa-chat [data-testid='bot']").last

    def pick_language(self, lang: str) -> None:
        """Click the language switch, and wait until the page has been relabelled."""
        self.page.locator(f"#rqa-language input[value='{lang}']").check(force=True)
        self._wait_for_language(lang)

    def _wait_for_language(self, lang: str) -> None:
        """Until the page is labelled in ``lang`` (the page load sets the language after the first paint)."""
        self.page.wait_for_function(
            "([lang, send]) => document.documentElement.lang === lang"
            " && document.querySelector('#rqa-send')?.innerText.trim() === send",
            arg=[lang, strings.text(lang, "send")],
        )

    def close(self) -> None:
        self.context.close()
        assert not self.dialogs, f"a dialog opened: {self.dialogs}"
