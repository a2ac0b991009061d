"""Interface language (the user's choice, else the browser's) and the question box, in headless Chromium."""

from __future__ import annotations

import string

import pytest
from ui_helpers import ANSWER_TIMEOUT_MS

from ui import strings

pytestmark = pytest.mark.browser

BOTH = pytest.mark.parametrize("viewport", ["desktop", "phone"])
LANGS = pytest.mark.parametrize("lang", ["tr", "en"])
QUESTION = {"tr": "1998 protokolünü hangi ülkeler imzaladı?", "en": "Which countries signed the 1998 protocol?"}
# Gradio's own texts, which follow the browser's locale whatever the interface language: none may show.
GRADIO_TEXTS = {
    "en": ["Drop File Here", "Click to Upload", "Use via API", "Built with Gradio", "Settings"],
    "tr": ["Dosyayı buraya", "Yüklemek için", "API üzerinden", "Gradio ile", "Ayarlar"],
}


def _fragments(lang: str) -> set[str]:
    """Literal pieces of every interface string of ``lang`` that the other language's strings do not contain."""
    other = "en" if lang == "tr" else "tr"
    theirs = " ".join(strings.UI[other].values())
    pieces = set()
    for template in strings.UI[lang].values():
        for literal, *_ in string.Formatter().parse(template):
            for piece in (p.strip(" .,:;()“”—·/") for p in literal.replace("(", ",").replace(")", ",").split(",")):
                if len(piece) >= 4 and piece not in theirs:
                    pieces.add(piece)
    return pieces | set(GRADIO_TEXTS[lang])


# Content, not interface: the report's (Turkish) sentences, the user's questions, the bilingual examples.
CONTENT = "blockquote, .rqa-answer > p, #rqa-examples, [data-testid='user'], .rqa-turn-head q, .rqa-context"


def _interface_text(page) -> str:
    """The page's rendered text without its content (hidden for a moment by a style sheet)."""
    return page.evaluate(
        """content => { const style = document.createElement('style');
             style.textContent = content + ' { display: none !important; }';
             document.head.appendChild(style);
             const shown = document.body.innerText; style.remove(); return shown; }""",
        CONTENT,
    )


def _page_texts(chat, lang: str) -> str:
    """The rendered interface text of every tab after a question and a search."""
    page = chat.page
    chat.ask(QUESTION[lang], click=True)
    texts = [_interface_text(page)]
    page.get_by_role("tab", name=strings.text(lang, "tab_passages")).click()
    search = page.locator("#rqa-search textarea")
    search.fill(QUESTION[lang])
    search.press("Enter")
    page.locator("#rqa-hits .rqa-hit").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    texts.append(_interface_text(page))
    page.get_by_role("tab", name=strings.text(lang, "eval_tab")).click()
    page.locator("#rqa-eval-run").wait_for()
    texts.append(_interface_text(page))
    # Element titles show on hover: Gradio's own ones count too.
    texts.append(" ".join(page.eval_on_selector_all("[title]:not(.rqa-marker):not(.rqa-question)",
                                                    "els => els.filter(e => e.offsetParent).map(e => e.title)")))
    return "\n".join(texts)


@pytest.mark.parametrize(("lang", "browser_lang"), [("tr", "en"), ("en", "tr")])
def test_no_string_of_the_other_language_remains(open_chat, lang, browser_lang):
    """Picked against the browser's language, every visible string is in the picked one: chat, sources,
    passages, the Evaluation tab, the upload button and the footer."""
    chat = open_chat("desktop", browser_lang)
    chat.pick_language(lang)
    shown = _page_texts(chat, lang)
    other = "en" if lang == "tr" else "tr"
    leaked = sorted(piece for piece in _fragments(other) if piece in shown)
    assert not leaked, leaked
    for key in ("footer", "eval_upload", "eval_file_dev", "eval_run", "sources_title", "tab_passages"):
        assert strings.text(lang, key) in shown, key


@LANGS
def test_the_browser_language_is_followed_and_the_users_choice_wins(open_chat, browser, app_url, lang):
    chat = open_chat("phone", lang)  # starts in the browser's language (Chat waits for it)
    other = "en" if lang == "tr" else "tr"
    # A question in the other language does not move the interface.
    chat.ask(QUESTION[other])
    assert chat.page.locator("#rqa-send").inner_text() == strings.text(lang, "send")
    # The user's choice wins, also over the next questions and after a reload.
    chat.pick_language(other)
    chat.ask(QUESTION[lang])
    assert chat.page.locator("#rqa-send").inner_text() == strings.text(other, "send")
    chat.page.reload()
    chat.page.wait_for_function("send => document.querySelector('#rqa-send')?.innerText.trim() === send",
                                arg=strings.text(other, "send"))
    assert chat.page.evaluate("document.documentElement.lang") == other
    assert chat.page.locator("#rqa-language").get_attribute("aria-label") == strings.text(other, "language")


@BOTH
@LANGS
def test_an_empty_message_shows_a_hint_and_uses_up_no_number(open_chat, viewport, lang):
    chat = open_chat(viewport, lang)
    page = chat.page
    hint = page.locator("#rqa-input-hint .rqa-hint")
    for blank in ("", "   "):
        chat.box.fill(blank)
        chat.box.press("Enter")
        page.wait_for_function("text => document.querySelector('#rqa-input-hint .rqa-hint').innerText === text",
                               arg=strings.text(lang, "hint_empty"))
        assert hint.is_visible()
    assert page.locator("#rqa-chat [data-testid='user'], #rqa-chat [data-testid='bot']").count() == 0
    chat.ask(QUESTION[lang])
    assert hint.inner_text() == ""
    assert page.locator("#rqa-chat [data-testid='user']").count() == 1
    if viewport == "desktop":
        heading = page.locator("#rqa-sources-panel .rqa-turn-no").first.inner_text()
        assert heading.lower() == strings.text(lang, "turn_heading", n=1).lower()
    assert page.locator("#rqa-sources-panel #turn-1").count() == 1


@BOTH
@LANGS
def test_a_question_over_the_limit_is_refused_never_cut(open_chat, engine, viewport, lang):
    chat = open_chat(viewport, lang)
    page, limit = chat.page, engine.settings.max_question_chars
    counter = page.locator("#rqa-input-hint .rqa-counter")
    chat.box.fill("a" * int(limit * 0.5))
    assert counter.inner_text() == ""
    near = int(limit * 0.9)
    chat.box.fill("b" * near)
    assert counter.inner_text() == strings.text(lang, "counter", n=near, limit=limit)
    assert "rqa-over" not in counter.get_attribute("class")
    pasted = ("Türk devletleri istihbarat paylaşımı " * 200)[: int(limit * 1.5)].strip()
    chat.box.fill(pasted)
    assert "rqa-over" in counter.get_attribute("class") and counter.is_visible()
    chat.box.press("Enter")
    refusal = strings.text(lang, "hint_too_long", n=len(pasted), limit=limit)
    page.wait_for_function("text => document.querySelector('#rqa-input-hint .rqa-hint').innerText === text",
                           arg=refusal)
    assert chat.box.input_value() == pasted  # all of it is still there to shorten
    assert page.locator("#rqa-chat [data-testid='user']").count() == 0


@LANGS
def test_a_long_question_heads_its_sources_shortened_with_the_whole_on_hover(open_chat, lang):
    chat = open_chat("desktop", lang)
    long_question = QUESTION[lang] + " " + " ".join(["Türkiye Kazakistan Azerbaycan Kırgızistan"] * 12)
    chat.ask(long_question)
    heading = chat.page.locator("#rqa-sources-panel .rqa-question").first
    assert heading.get_attribute("title") == long_question
    one_line = heading.evaluate("e => e.scrollWidth > e.clientWidth && e.getClientRects().length === 1"
                                " && e.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(e).lineHeight)")
    assert one_line
