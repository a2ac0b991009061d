"""Phone and desktop layout, in both languages, in headless Chromium against the real app."""

from __future__ import annotations

import pytest
from ui_helpers import ANSWER_TIMEOUT_MS

from ui import strings

pytestmark = pytest.mark.browser

BOTH = pytest.mark.parametrize("viewport", ["desktop", "phone"])
LANGS = pytest.mark.parametrize("lang", ["tr", "en"])
QUESTION = {"tr": "1998 protokolünü hangi ülkeler imzaladı?", "en": "Which countries signed the 1998 protocol?"}


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, height: r.height,"
        " left: r.left, right: r.right}; }"
    )


@BOTH
@LANGS
def test_chat_and_input_are_on_the_first_screen(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    page, height = chat.page, chat.viewport["height"]
    header = _box(page, ".rqa-top")
    assert header["height"] < (80 if viewport == "phone" else 200)
    for selector in ("#rqa-chat", "#rqa-question textarea", "#rqa-send", "#rqa-language"):
        box = _box(page, selector)
        assert box["top"] >= 0 and box["bottom"] <= height, (selector, box)
    # The title stays on one line (not one word per line beside the language switch).
    title = page.locator(".rqa-header h1")
    line = float(title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || e.getBoundingClientRect().height"))
    assert title.bounding_box()["height"] < 1.6 * line
    # Nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= chat.viewport["width"]


@BOTH
@LANGS
def test_placeholder_is_not_clipped(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    placeholder = chat.box.get_attribute("placeholder")
    assert placeholder == strings.text(lang, "question_placeholder")
    # The placeholder's text, put in as a value without an input event (so nothing resizes), fits the box.
    fits = chat.box.evaluate(
        """(e, text) => { const old = e.value; e.value = text;
             const ok = e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1;
             e.value = old; return ok; }""",
        placeholder,
    )
    assert fits


def _cited(chat, lang: str):
    chat.ask(QUESTION[lang], click=True)
    answer = chat.last_answer()
    assert answer.locator("a.rqa-marker").count() >= 1
    return answer


@LANGS
def test_on_a_phone_each_answer_opens_its_own_sources_in_place(open_chat, lang):
    chat = open_chat("phone", lang)
    chat.ask(QUESTION[lang])  # a second answer below it: opening a fold then makes the chat scroll itself
    answer = _cited(chat, lang)
    page = chat.page
    assert not page.locator("#rqa-sources-panel").is_visible()
    fold = answer.locator("details.rqa-answer-sources")
    assert fold.locator("summary").inner_text().strip() == strings.text(lang, "answer_sources", n=fold.locator(
        "li").count())
    assert not fold.locator("mark").first.is_visible()
    scroll_before = page.evaluate("window.scrollY")
    marker = answer.locator("a.rqa-marker").first
    marker.click()
    target_id = "m-" + marker.get_attribute("href")[1:]
    target = answer.locator(f"[id='{target_id}']")
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=target_id)
    assert target.is_visible() and fold.evaluate("e => e.open")
    # Still in view once the chat has settled (the Chatbot scrolls itself when its content grows).
    page.wait_for_timeout(1200)
    box = target.bounding_box()
    chat_box = page.locator("#rqa-chat").bounding_box()
    assert chat_box["y"] - box["height"] < box["y"] < chat_box["y"] + chat_box["height"]
    assert 0 <= box["y"] < chat.viewport["height"]
    # The reader stays in the chat: the page itself barely moved, the answer is where it was.
    assert abs(page.evaluate("window.scrollY") - scroll_before) < chat.viewport["height"] / 2
    assert answer.locator("p").first.is_visible() or answer.is_visible()


@BOTH
@LANGS
def test_citations_are_reached_with_tab_and_opened_with_enter(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    _cited(chat, lang)
    page = chat.page
    # Focus came back to the question box after the answer (the Ask button had it).
    page.wait_for_function("document.activeElement === document.querySelector('#rqa-question textarea')")
    # Backwards from the box, Tab reaches the answer's [n] link, whose name says where it leads.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('rqa-marker')"):
            break
    else:
        pytest.fail("no citation link is reachable with Tab")
    # Its name for screen readers says where it leads: "Source 1: section · paragraph · page".
    name = page.evaluate("document.activeElement.textContent")
    n = name.split("]")[0].strip("[")
    assert name.startswith(f"[{n}] " + strings.text(lang, "cite_label", n=n, where="").rstrip())
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && /^(m-)?cite-/.test(document.activeElement.id)")
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("m-cite-" if viewport == "phone" else "cite-")
    assert page.locator(f"[id='{focused}']").is_visible()


@LANGS
def test_sources_are_reachable_with_tab_on_a_phone(open_chat, lang):
    chat = open_chat("phone", lang)
    answer = _cited(chat, lang)
    page = chat.page
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    else:
        pytest.fail("the answer's sources are not reachable with Tab")
    page.keyboard.press("Enter")
    assert answer.locator("details.rqa-answer-sources").evaluate("e => e.open")
    assert answer.locator("details.rqa-answer-sources mark").first.is_visible()


@BOTH
def test_answers_wait_time_is_bounded(open_chat, viewport):
    """A smoke check that the chat answers at both widths (the other tests rely on it)."""
    chat = open_chat(viewport, "tr")
    chat.page.locator("#rqa-examples").get_by_text(strings.EXAMPLES[0], exact=True).click()
    chat.page.wait_for_selector("#rqa-chat a.rqa-marker", timeout=ANSWER_TIMEOUT_MS)
