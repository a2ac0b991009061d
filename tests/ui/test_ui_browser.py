"""The web chat in headless Chromium, against the real app, model and index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ui_helpers import ANSWER_TIMEOUT_MS, Chat, chromium, running_app

from qa import strings as qa_strings
from ui import strings

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def app_url(engine) -> Iterator[str]:
    with running_app(engine) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def chat(browser, app_url) -> Iterator[Chat]:
    session = Chat(browser, app_url)
    yield session
    session.close()


def _check_cited_answer(chat: Chat, turn: int) -> None:
    """The last answer has [n] markers and each leads to its highlighted sentence in the panel."""
    answer = chat.last_answer()
    markers = answer.locator("a.rqa-marker")
    assert markers.count() >= 1
    for i in range(markers.count()):
        marker = markers.nth(i)
        href = marker.get_attribute("href")
        assert href and href.startswith(f"#cite-{turn}-")
        target = chat.page.locator(f"#rqa-sources-panel {href}")
        assert target.count() == 1
        # The tooltip is the quote, and the quote is what the panel highlights.
        assert " ".join(target.inner_text().split()).endswith(" ".join(marker.get_attribute("title").split()))
    markers.last.click()
    target = chat.page.locator(f"#rqa-sources-panel {markers.last.get_attribute('href')}")
    chat.page.wait_for_function(
        """id => { const t = document.getElementById(id), p = document.getElementById('rqa-sources-panel');
                   const a = t.getBoundingClientRect(), b = p.getBoundingClientRect();
                   return a.top >= b.top - 1 && a.top < b.bottom; }""",
        arg=markers.last.get_attribute("href")[1:],
    )
    assert target.is_visible()


def test_turkish_question_gets_a_cited_answer(chat):
    chat.ask("1998 protokolünü hangi ülkeler imzaladı?")
    assert chat.last_answer().inner_text().startswith(qa_strings.ANSWER_LEAD["tr"])
    _check_cited_answer(chat, turn=1)
    marks = chat.page.locator("#rqa-sources-panel mark").all_inner_texts()
    assert any("Azerbaycan, Kazakistan" in mark for mark in marks)


def test_english_question_gets_a_cited_answer_and_the_interface_keeps_its_language(chat):
    chat.ask("What role does Azerbaijan play?")
    assert chat.last_answer().inner_text().startswith(qa_strings.ANSWER_LEAD["en"])
    _check_cited_answer(chat, turn=1)
    # The interface follows the browser (Turkish here), not the question.
    assert chat.page.locator("#rqa-send").inner_text() == strings.text("tr", "send")
    assert chat.page.locator("#rqa-sources-panel .rqa-panel-title").inner_text() == strings.text("tr", "sources_title")


def test_follow_up_is_read_with_the_previous_question(chat):
    chat.ask("1998 protokolü nedir?")
    chat.ask("Peki hangi ülkeler imzaladı?")
    newest = chat.page.locator("#rqa-sources-panel .rqa-turn").first
    assert newest.get_attribute("id") == "turn-2"
    assert "1998 protokolü nedir? Peki hangi ülkeler imzaladı?" in newest.locator(".rqa-context").inner_text()
    # Retrieval saw the topic: the follow-up's citations are about the 1998 protocol.
    assert any("1998" in quote for quote in newest.locator("mark").all_inner_texts())
    _check_cited_answer(chat, turn=2)


@pytest.mark.parametrize(("question", "lang"), [("Mercimek çorbası nasıl yapılır?", "tr"),
                                                ("Who won the 2018 World Cup?", "en")])
def test_off_topic_question_is_declined_without_passages(chat, question, lang):
    chat.ask(question)
    answer = chat.last_answer()
    # The engine tells off-topic questions apart (``"declined": "off_topic"``): no passages at all;
    # like every answer, the statement is in the question's language.
    assert answer.locator(".rqa-off-topic").count() == 1
    assert answer.inner_text().strip() == strings.text(lang, "off_topic")
    assert answer.locator("li").count() == 0 and chat.page.locator("#rqa-sources-panel li").count() == 0
    assert answer.locator("a.rqa-marker").count() == 0


def test_html_in_a_question_is_shown_as_text(chat):
    chat.ask(XSS + " <b>bold</b>")
    user = chat.page.locator("#rqa-chat [data-testid='user']").last
    assert user.inner_text().strip() == XSS + " <b>bold</b>"
    assert chat.page.locator('img[src="x"]').count() == 0
    assert chat.page.locator("#rqa-chat b, #rqa-sources-panel b").count() == 0
    assert XSS in chat.page.locator("#rqa-sources-panel .rqa-question").inner_text()
    assert not chat.dialogs


def test_question_errors_are_readable_and_the_chat_goes_on(chat):
    chat.ask("?!")
    error = chat.last_answer().locator(".rqa-error")
    assert error.inner_text().strip() == strings.text("tr", "error_no_words")
    assert "Traceback" not in chat.page.content()
    chat.ask("1998 protokolünü hangi ülkeler imzaladı?")
    assert chat.last_answer().locator("a.rqa-marker").count() >= 1
    # No maxlength: the browser would cut a long paste silently (the server refuses it instead).
    assert chat.box.get_attribute("maxlength") is None


def test_example_is_one_click_away(chat):
    chat.page.locator("#rqa-examples").get_by_text(strings.EXAMPLES[0], exact=True).click()
    chat.page.wait_for_selector("#rqa-chat a.rqa-marker", timeout=ANSWER_TIMEOUT_MS)
    assert chat.page.locator("#rqa-chat [data-testid='user']").last.inner_text().strip() == strings.EXAMPLES[0]


def test_language_switch_relabels_and_sticks(chat):
    from playwright.sync_api import expect

    send = chat.page.locator("#rqa-send")
    chat.page.get_by_label("English").check()
    expect(send).to_have_text(strings.text("en", "send"))
    expect(chat.page.get_by_role("tab", name=strings.text("en", "tab_passages"))).to_be_visible()
    chat.page.get_by_label("Türkçe").check()
    expect(send).to_have_text(strings.text("tr", "send"))
    # Picked by hand, the language no longer follows the questions.
    chat.ask("What role does Azerbaijan play?")
    assert send.inner_text() == strings.text("tr", "send")
    assert chat.last_answer().inner_text().startswith(qa_strings.ANSWER_LEAD["en"])


def test_language_switch_relabels_the_evaluation_tab(chat):
    from playwright.sync_api import expect

    run = chat.page.locator("#rqa-eval-run")
    retriever = chat.page.locator("#rqa-eval-retriever")
    chat.page.get_by_label("English").check()
    chat.page.get_by_role("tab", name=strings.text("en", "eval_tab")).click()
    expect(run).to_have_text(strings.text("en", "eval_run"))
    expect(retriever.get_by_text(strings.text("en", "eval_all"))).to_be_visible()
    chat.page.get_by_label("Türkçe").check()
    expect(run).to_have_text(strings.text("tr", "eval_run"))
    expect(chat.page.get_by_role("tab", name=strings.text("tr", "eval_tab"))).to_be_visible()
    expect(retriever.get_by_text(strings.text("tr", "eval_all"))).to_be_visible()
    expect(retriever.get_by_text(strings.text("tr", "mode_bm25"))).to_be_visible()
    expect(chat.page.locator("#rqa-eval-table")).to_contain_text(strings.text("tr", "eval_column_cited"))
    assert strings.text("en", "eval_intro")[:40] not in chat.page.inner_text("body")


def test_an_evaluation_is_shown_again_in_the_other_language(chat):
    from playwright.sync_api import expect

    chat.page.get_by_role("tab", name=strings.text("tr", "eval_tab")).click()
    chat.page.locator("#rqa-eval-retriever").get_by_text(strings.text("tr", "mode_bm25")).click()
    chat.page.locator("#rqa-eval-run").click()
    status = chat.page.locator("#rqa-eval-status .rqa-eval-status")
    status.wait_for(timeout=ANSWER_TIMEOUT_MS * 3)
    expect(status).to_contain_text("saniyede değerlendirildi")
    questions = chat.page.locator("#rqa-eval-questions details")
    count = questions.count()
    assert count > 0
    chat.page.get_by_label("English").check()
    expect(status).to_contain_text("Evaluated")
    expect(chat.page.locator("#rqa-eval-questions")).to_contain_text(strings.text("en", "eval_per_question", k=5)[:30])
    assert questions.count() == count


def test_clear_starts_a_new_conversation(chat):
    chat.ask("1998 protokolü nedir?")
    chat.page.locator("#rqa-clear").click()
    chat.page.wait_for_function("document.querySelectorAll(\"#rqa-chat [data-testid='user']\").length === 0")
    assert chat.page.locator("#rqa-sources-panel .rqa-turn").count() == 0
    chat.ask("Peki hangi ülkeler imzaladı?")
    assert chat.page.locator("#rqa-sources-panel .rqa-context").count() == 0


def test_interface_starts_in_the_browser_language(browser, app_url):
    from playwright.sync_api import expect

    english = Chat(browser, app_url, locale="en-US")
    try:
        expect(english.page.locator("#rqa-send")).to_have_text(strings.text("en", "send"))
        expect(english.page.locator(".rqa-header h1")).to_have_text(strings.text("en", "title"))
    finally:
        english.close()


def test_sessions_are_separate(browser, app_url):
    first, second = Chat(browser, app_url), Chat(browser, app_url)
    try:
        first.ask("1998 protokolü nedir?")
        second.ask("Mercimek çorbası nasıl yapılır?")
        second.ask("Peki Kazakistan?")
        first.ask("Peki hangi ülkeler imzaladı?")
        assert "Mercimek" not in first.page.locator("#rqa-chat").inner_text()
        assert "1998 protokolü" not in second.page.locator("#rqa-chat").inner_text()
        assert "Mercimek çorbası nasıl yapılır? Peki Kazakistan?" in second.page.locator(".rqa-context").inner_text()
        assert "1998 protokolü nedir? Peki hangi ülkeler imzaladı?" in first.page.locator(".rqa-context").inner_text()
    finally:
        first.close()
        second.close()


def test_passages_tab_ranks_passages(chat):
    chat.page.get_by_role("tab", name=strings.text("tr", "tab_passages")).click()
    search = chat.page.locator("#rqa-search textarea")
    search.fill("Kazakistan ile Türkiye arasında imzalanan protokol")
    search.press("Enter")
    hits = chat.page.locator("#rqa-hits .rqa-hit")
    hits.first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert hits.count() == 5
    first = hits.first.locator(".rqa-loc").inner_text()
    assert first.startswith("#1") and "skor" in first and "paragraf" in first
    assert "Kazakistan" in hits.first.locator("blockquote").inner_text()
