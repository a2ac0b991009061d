"""Accessibility (axe-core), the Evaluation table, Passages highlights and off-topic answers, in headless Chromium;
and the README screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import ANSWER_TIMEOUT_MS, running_app

from index.analysis import analyze
from ui import strings

pytestmark = pytest.mark.browser

BOTH = pytest.mark.parametrize("viewport", ["desktop", "phone"])
LANGS = pytest.mark.parametrize("lang", ["tr", "en"])
QUESTION = {"tr": "1998 protokolünü hangi ülkeler imzaladı?", "en": "Which countries signed the 1998 protocol?"}
SEARCH = {"tr": "Kazakistan ile Türkiye arasında imzalanan protokol",
          "en": "Kazakistan Türkiye protokol <img src=x onerror=alert(1)>"}
OFF_TOPIC = {"tr": "Ekmek nasıl yapılır?", "en": "How do I bake bread?"}
EVAL_TIMEOUT_MS = ANSWER_TIMEOUT_MS * 3


def _axe_findings(page) -> list[str]:
    """Serious and critical axe-core findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]


@BOTH
@LANGS
def test_no_serious_accessibility_findings(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    page = chat.page
    assert _axe_findings(page) == []
    chat.ask(QUESTION[lang], click=True)
    if viewport == "phone":
        page.locator("#rqa-chat details.rqa-answer-sources summary").last.click()
    assert _axe_findings(page) == []
    # The input, the language switch and the citation links have names.
    assert page.get_by_role("textbox", name=strings.text(lang, "question_label")).count() == 1
    assert page.locator("#rqa-language").get_attribute("aria-label") == strings.text(lang, "language")
    first = page.locator("#rqa-chat a.rqa-marker").first
    assert strings.text(lang, "cite_label", n=1, where="").rstrip() in first.text_content()
    page.get_by_role("tab", name=strings.text(lang, "tab_passages")).click()
    search = page.locator("#rqa-search textarea")
    search.fill(SEARCH[lang])
    search.press("Enter")
    page.locator("#rqa-hits .rqa-hit").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert _axe_findings(page) == []


@BOTH
@LANGS
def test_passages_tab_marks_the_query_words(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    page = chat.page
    page.get_by_role("tab", name=strings.text(lang, "tab_passages")).click()
    search = page.locator("#rqa-search textarea")
    search.fill(SEARCH[lang])
    search.press("Enter")
    hits = page.locator("#rqa-hits .rqa-hit")
    hits.first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    marked = hits.first.locator("mark.rqa-term").all_inner_texts()
    assert marked
    terms = set(analyze(SEARCH[lang]))
    assert all(terms & set(analyze(word)) for word in marked), marked
    assert any(word.startswith("Kazakistan") for word in marked)
    # The query's HTML is text: no image appeared, nothing ran (Chat.close checks for dialogs).
    assert page.locator("#rqa-hits img").count() == 0


@BOTH
@LANGS
def test_metrics_table_headers_are_whole_and_the_table_scrolls_on_a_phone(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    page = chat.page
    page.get_by_role("tab", name=strings.text(lang, "eval_tab")).click()
    page.locator("#rqa-eval-retriever").get_by_text(strings.text(lang, "mode_bm25")).click()
    page.locator("#rqa-eval-run").click()
    page.locator("#rqa-eval-table td").first.wait_for(timeout=EVAL_TIMEOUT_MS)
    headers = page.locator("#rqa-eval-table th")
    assert strings.text(lang, "eval_column_answered") in headers.all_inner_texts()
    # Every header on one line: as tall as a line, never "answere|d".
    heights = headers.evaluate_all(
        "hs => hs.map(h => h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight))"
    )
    assert max(heights) < 2.2, heights
    scroller = page.locator("#rqa-eval-table .rqa-table-scroll")
    wide = scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    assert wide == (viewport == "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= chat.viewport["width"]
    assert _axe_findings(page) == []


class _OffTopicEngine:
    """The real engine, except that one question comes back declined as off-topic.

    A stand-in for what the engine cannot yet be made to say on demand (its ``declined`` field is
    being added on another branch); everything else, the answer included, is the real engine's.
    """

    def __init__(self, engine: Any, questions: set[str]) -> None:
        self._engine = engine
        self._questions = questions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def ask(self, question: str, **options: Any) -> Any:
        answer = self._engine.ask(question, **options)
        return _Declined(answer) if question in self._questions else answer


class _Declined:
    def __init__(self, answer: Any) -> None:
        self._answer = answer

    def to_json(self) -> dict[str, Any]:
        return {**self._answer.to_json(), "answered": False, "citations": [], "declined": "off_topic"}


@pytest.fixture(scope="module")
def off_topic_url(engine):
    with running_app(_OffTopicEngine(engine, set(OFF_TOPIC.values()))) as url:
        yield url


@BOTH
@LANGS
def test_off_topic_is_a_polite_statement_without_passages(open_chat, off_topic_url, viewport, lang):
    chat = open_chat(viewport, lang, url=off_topic_url)
    chat.ask(OFF_TOPIC[lang])
    answer = chat.last_answer()
    assert answer.inner_text().strip() == strings.text(lang, "off_topic")
    assert answer.locator("li, details, a").count() == 0
    panel = chat.page.locator("#rqa-sources-panel")
    assert panel.locator(".rqa-passage").count() == 0
    assert panel.locator(".rqa-note").first.text_content() == strings.text(lang, "off_topic_note")
    # An on-topic miss in the same chat still lists the closest passages.
    chat.ask("Türkiye'nin Mars'a gönderdiği istihbarat uydusunun adı nedir?")
    if chat.last_answer().locator(".rqa-declined").count():
        assert chat.last_answer().locator(".rqa-inline-sources li, details li").count() >= 1


@pytest.mark.skipif(not os.environ.get("REPORT_QA_SCREENSHOTS"),
                    reason="set REPORT_QA_SCREENSHOTS=docs to write docs/screenshot.png and docs/screenshot-phone.png")
@pytest.mark.parametrize(("viewport", "name"), [("desktop", "screenshot.png"), ("phone", "screenshot-phone.png")])
def test_screenshots(open_chat, viewport, name):
    """The README's screenshots: a Turkish question, a follow-up and its cited passages (phone: opened in place)."""
    chat = open_chat(viewport, "tr")
    chat.ask("1998 protokolü nedir?")
    chat.ask("Peki hangi ülkeler imzaladı?")
    page = chat.page
    marker = chat.last_answer().locator("a.rqa-marker").last
    marker.click()
    page.wait_for_function("document.activeElement && /cite-/.test(document.activeElement.id)")
    if viewport == "desktop":
        page.evaluate("document.getElementById('rqa-sources-panel').scrollTop = 0")
    page.wait_for_timeout(1000)  # the page's own scrolling settles
    page.evaluate("document.activeElement.blur()")
    page.mouse.move(0, 0)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(Path(os.environ["REPORT_QA_SCREENSHOTS"]) / name))
