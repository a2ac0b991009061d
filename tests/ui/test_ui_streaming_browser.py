"""Generated answers in the web chat (headless Chromium): the stream, then the validated answer.

The LLM is the scripted server (``llm_helpers``), streaming slowly so the browser sees the text
arrive; the model output holds markup that must stay text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_helpers import Script, scripted_llm
from ui_helpers import running_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
TIMEOUT_MS = 60_000
QUESTION = "What was created by the 2009 Nakhchivan Agreement?"
SUPPORTED = "The 2009 Nakhchivan Agreement institutionalised the cooperation as the Turkic Council [1]."
INVENTED = "It was signed on 12 March 1987 [1]."


@pytest.fixture(scope="module")
def scripted():
    with scripted_llm() as server:
        yield server


@pytest.fixture(scope="module")
def app_url(llm_engine, scripted) -> Iterator[str]:
    engine = llm_engine(llm_url=scripted.url, answerer="llm", llm_read_timeout=10.0)
    engine.answerer.probe()
    with running_app(engine) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium: apt-get install chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        page.goto(app_url)
        page.locator("#rqa-question textarea").wait_for(timeout=TIMEOUT_MS)
        # The page load sets the interface to the browser's language (English here) after the first paint.
        page.wait_for_function("() => document.querySelector('#rqa-send')?.innerText.trim() === 'Ask'")
        yield page
        browser.close()


def test_tokens_stream_then_the_validated_answer_replaces_them(page, scripted):
    scripted.will(Script(text=f"<img src=x onerror=alert(1)>{SUPPORTED} {INVENTED}", seconds=0.15))
    box = page.locator("#rqa-question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    stream = page.locator("#rqa-chat .rqa-streaming")
    stream.wait_for(timeout=TIMEOUT_MS)
    assert "scripted" in stream.locator(".rqa-llm-status").inner_text()
    page.wait_for_function("() => (document.querySelector('#rqa-chat .rqa-stream') || {}).textContent?.length > 20",
                           timeout=TIMEOUT_MS)
    assert "<img" in stream.locator(".rqa-stream").inner_text()  # shown as text, not an element
    assert page.locator("#rqa-chat .rqa-stream img").count() == 0
    final = page.locator("#rqa-chat .rqa-answered")
    final.wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#rqa-chat .rqa-streaming").count() == 0
    answer = final.inner_text()
    assert "Turkic Council" in answer and "1987" not in answer
    status = final.locator(".rqa-llm-status").inner_text()
    assert "scripted" in status and "1 sentence(s) removed" in status
    marker = final.locator("a.rqa-marker").first
    target = marker.get_attribute("href")
    assert target and target.startswith("#")
    marker.click()
    assert page.locator(target).count() == 1  # the citation resolves to its highlighted passage
    assert page.dialogs == []


def test_fallback_shows_a_short_notice(page, scripted):
    scripted.will(Script("status", status=500))
    before = page.locator("#rqa-chat .rqa-answered").count()
    box = page.locator("#rqa-question textarea")
    box.fill("Which agreement did Kazakhstan and Turkey sign in 2022?")
    box.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#rqa-chat .rqa-answered').length > n",
                           arg=before, timeout=TIMEOUT_MS)
    notice = page.locator("#rqa-chat .rqa-answered").last.locator(".rqa-fallback")
    assert "HTTP 500" in notice.inner_text() and "quotes from the report" in notice.inner_text()
