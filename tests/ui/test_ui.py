"""The web chat without a browser: strings, follow-ups, HTML rendering, handlers and the /ask API."""

from __future__ import annotations

import string
import time
import urllib.request
from html import escape, unescape
from html.parser import HTMLParser
from types import SimpleNamespace

import gradio as gr
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ui_helpers import citation, passage, running_app

from qa import strings as qa_strings
from ui import render, strings
from ui.app import Handlers
from ui.conversation import Turn, contextual_question, follow_up_language, is_follow_up
from ui.errors import UserError, attempt

XSS = '<img src=x onerror=alert(1)>'
ALLOWED_TAGS = {"a", "blockquote", "code", "details", "div", "footer", "h1", "h2", "li", "mark", "ol", "p", "q",
                "section", "span", "summary", "sup", "ul"}
ALLOWED_ATTRIBUTES = {"aria-live", "class", "href", "id", "role", "title"}


class _Markup(HTMLParser):
    """Collects every tag and attribute of a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def assert_only_our_markup(html: str) -> None:
    for tag, attrs in parse(html).tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES, attrs
        assert attrs.get("href") is None or attrs["href"].startswith("#"), attrs


# --- strings -------------------------------------------------------------------------------------


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_strings():
    assert set(strings.UI) == set(strings.LANGUAGES) == {"tr", "en"}
    assert strings.UI["tr"].keys() == strings.UI["en"].keys()
    for key in strings.UI["tr"]:
        assert strings.UI["tr"][key].strip() and strings.UI["en"][key].strip(), key
        assert _fields(strings.UI["tr"][key]) == _fields(strings.UI["en"][key]), key


def test_every_string_is_translated():
    """No key shows the same text in both languages: an untranslated string would leak one language into the other."""
    same = [key for key in strings.UI["en"] if strings.UI["tr"][key] == strings.UI["en"][key]]
    assert not same, same


def _raising(error: Exception):
    def work():
        raise error

    return work


def test_user_errors_are_caught_in_one_place():
    from corpus.errors import ReportQAError
    from qa.answer import QuestionError
    from qa.evaluation import QuestionFileError

    assert attempt(lambda: 42) == 42
    empty = "the question is empty"
    assert attempt(_raising(QuestionError(empty, "empty"))) == UserError("empty", empty)
    refused = attempt(_raising(QuestionFileError(["f:1: not valid JSON", "f:2: no id"])))
    assert isinstance(refused, UserError) and refused.problems == ("f:1: not valid JSON", "f:2: no id")
    damaged = "index is damaged: rebuild it"
    other = attempt(_raising(ReportQAError(damaged)))
    assert other.text("tr", "search_error") == strings.text("tr", "search_error", message=damaged)
    # A code with a translation shows the translation, whatever the message.
    assert UserError("too_long", "x").text("en", "search_error") == strings.text("en", "error_too_long")
    with pytest.raises(ZeroDivisionError):  # a bug is not a user's mistake
        attempt(lambda: 1 / 0)


def test_examples_cover_both_languages():
    from qa.language import detect_language

    languages = {detect_language(q) for q in strings.EXAMPLES}
    assert {"tr", "en"} <= languages


def test_text_formats_and_falls_back():
    assert strings.text("en", "turn_heading", n=2) == "Question 2"
    assert strings.text("tr", "turn_heading", n=2) == "Soru 2"
    assert strings.text("de", "send") == strings.UI[strings.DEFAULT_LANGUAGE]["send"]


@pytest.mark.parametrize(("header", "expected"), [
    ("tr-TR,tr;q=0.9,en;q=0.8", "tr"),
    ("en-US,en;q=0.9,tr;q=0.5", "en"),
    ("de-DE,de;q=0.9,tr;q=0.8", "tr"),
    ("de-DE", "en"),
    (None, strings.DEFAULT_LANGUAGE),
])
def test_browser_language(header, expected):
    assert strings.browser_language(header) == expected


def test_ui_language_follows_answer_language():
    assert strings.ui_language("en") == "en"
    assert strings.ui_language("tr") == "tr"
    assert strings.ui_language(None) == strings.DEFAULT_LANGUAGE


# --- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [
    "Peki Kazakistan?", "PEKİ KAZAKİSTAN?", "Ya Özbekistan?", "And what about Uzbekistan?",
    "What about the 2019 summit in more detail?", "O zaman bunun amacı neydi?", "Who signed it?",
    "Kazakistan?", "When was it signed and by which countries exactly?", "Bunun sonuçları neler oldu?",
])
def test_follow_ups_are_recognised(message):
    assert is_follow_up(message)


@pytest.mark.parametrize("message", [
    "Mercimek çorbası nasıl yapılır?", "Which countries signed the 1998 protocol?",
    "Bu raporun temel önerileri nelerdir?", "Yapay zekâ istihbarat paylaşımını nasıl etkiler?",
    "Andorra hangi örgütlere üyedir acaba?", "Türk Devletleri Teşkilatı ne zaman kuruldu?",
])
def test_standalone_questions_are_not_follow_ups(message):
    assert not is_follow_up(message)


def test_contextual_question_joins_the_topic():
    history = ["1998 protokolü nedir?"]
    assert contextual_question(history, "Peki hangi ülkeler imzaladı?", 2000) == (
        "1998 protokolü nedir? Peki hangi ülkeler imzaladı?"
    )
    assert contextual_question(history, "And what about Uzbekistan?", 2000) == (
        "1998 protokolü nedir? And what about Uzbekistan?"
    )


def test_contextual_question_keeps_standalone_questions():
    assert contextual_question([], "Peki Kazakistan?", 2000) == "Peki Kazakistan?"
    assert contextual_question(["1998 protokolü nedir?"], "Mercimek çorbası nasıl yapılır?", 2000) == (
        "Mercimek çorbası nasıl yapılır?"
    )


def test_chained_follow_ups_keep_the_original_topic():
    history = ["TDT ne zaman kuruldu?", "Peki Kazakistan?"]
    assert contextual_question(history, "Ya Özbekistan?", 2000) == "TDT ne zaman kuruldu? Ya Özbekistan?"


def test_contextual_question_never_exceeds_the_limit():
    topic = "Türk devletleri arasındaki istihbarat paylaşımı nasıl gelişti? " * 3
    assert contextual_question([topic], "Peki Kazakistan?", 50) == "Peki Kazakistan?"


def test_follow_up_language():
    assert follow_up_language("Ya Özbekistan?", "tr") == "tr"
    assert follow_up_language("And what about Uzbekistan?", "tr") == "en"
    assert follow_up_language("Peki hangi ülkeler imzaladı?", "en") == "tr"


# --- rendering -----------------------------------------------------------------------------------


def test_user_text_is_escaped():
    html = render.user_html(XSS)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


@given(st.text())
def test_any_user_text_renders_as_text(message):
    html = render.user_html(message)
    assert "<" not in html and ">" not in html
    assert unescape(html) == message


@given(st.text(min_size=1), st.text(min_size=1))
def test_any_document_text_stays_text_in_every_panel(quote, rest):
    text = rest + quote + rest
    cited = {"question": rest, "language": "tr", "answered": True, "answer": f"{rest} {quote} [1] {rest}",
             "citations": [citation(1, quote, text)], "passages": [passage(1, text)]}
    declined = {**cited, "answered": False, "citations": []}
    off_topic = {**declined, "declined": "off_topic"}
    turns = [Turn(1, rest, rest + quote, cited), Turn(2, quote, quote, declined), Turn(3, text, text, off_topic)]
    for html in (render.answer_html(cited, 1, "tr"), render.answer_html(declined, 2, "en"),
                 render.answer_html(off_topic, 3, "en"), render.sources_html(turns, "en"),
                 render.hits_html([passage(1, text)], "tr"), render.hits_html([passage(1, text)], "tr", query=quote)):
        assert_only_our_markup(html)


def test_markers_link_to_their_passages():
    quote = 'A "quoted" <b>sentence</b>.'
    c = citation(1, quote, f"Before. {quote} After.")
    html = render.link_markers(f"Rapora göre: {quote} [1]", [c], turn_id=3)
    assert '<a class="rqa-marker" href="#cite-3-1"' in html
    assert 'title="A &quot;quoted&quot; &lt;b&gt;sentence&lt;/b&gt;."' in html
    assert "<b>" not in html and "&lt;b&gt;sentence&lt;/b&gt;" in html


def test_a_literal_marker_inside_a_quote_stays_text():
    quote = "As note [1] explains, sharing grew."
    c = citation(1, quote, quote)
    html = render.link_markers(f"{quote} [1]", [c], turn_id=1)
    assert html.count("rqa-marker") == 1
    assert html.startswith("As note [1] explains")
    assert html.endswith('</span></a>') and '>[1]<span class="rqa-sr">' in html


def test_ids_are_unique_per_turn():
    text = "One. Two."
    answer = {"answered": True, "answer": "One. [1]", "citations": [citation(1, "One.", text)], "passages": []}
    turns = [Turn(1, "q1", "q1", answer), Turn(2, "q2", "q2", answer)]
    ids = [attrs["id"] for _, attrs in parse(render.sources_html(turns, "tr")).tags if "id" in attrs]
    assert "cite-1-1" in ids and "cite-2-1" in ids
    assert len(ids) == len(set(ids))


def test_cited_sentences_are_highlighted():
    text = "First sentence. Second <one>. Third."
    cites = [citation(1, "Second <one>.", text), citation(2, "Third.", text)]
    html = render.highlight(text, cites, turn_id=4)
    assert '<mark id="cite-4-1"><sup class="rqa-mark-n">[1]</sup>Second &lt;one&gt;.</mark>' in html
    assert '<mark id="cite-4-2">' in html
    assert html.startswith("First sentence. ")


def test_a_bad_span_still_gets_its_anchor():
    bad = {**citation(1, "Two.", "One. Two."), "quote_start": 50, "quote_end": 60}
    html = render.highlight("One. Two.", [bad], turn_id=1)
    assert html == '<span id="cite-1-1"></span>One. Two.'


def test_one_card_per_passage_with_all_its_quotes():
    text = "Alpha. Beta. Gamma."
    answer = {"answered": True, "answer": "Alpha. [1] Gamma. [2]",
              "citations": [citation(1, "Alpha.", text), citation(2, "Gamma.", text)], "passages": []}
    html = render.sources_html([Turn(1, "q", "q", answer)], "en")
    assert html.count('class="rqa-passage"') == 1
    assert html.count("<mark") == 2


def test_declined_answer_lists_the_closest_passages():
    answer = {"answered": False, "answer": qa_strings.CANNOT_ANSWER["tr"], "citations": [],
              "passages": [passage(1, "Yakın <pasaj> bir."), passage(2, "İkinci pasaj.")]}
    chat = render.answer_html(answer, 7, "tr")
    assert qa_strings.CANNOT_ANSWER["tr"] in chat
    assert 'href="#near-7-1"' in chat and 'href="#near-7-2"' in chat
    assert "&lt;pasaj&gt;" in chat
    panel = render.sources_html([Turn(7, "Mercimek?", "Mercimek?", answer)], "tr")
    assert 'id="near-7-1"' in panel and strings.text("tr", "declined") in panel


def test_sources_show_newest_turn_first_and_the_context_used():
    answer = {"answered": False, "answer": "x", "citations": [], "passages": []}
    turns = [Turn(1, "1998 protokolü nedir?", "1998 protokolü nedir?", answer),
             Turn(2, "Peki hangi ülkeler?", "1998 protokolü nedir? Peki hangi ülkeler?", answer)]
    html = render.sources_html(turns, "tr")
    assert html.index('id="turn-2"') < html.index('id="turn-1"')
    assert strings.text("tr", "searched_as") in html
    assert html.count(strings.text("tr", "searched_as")) == 1


def test_location_in_both_languages():
    item = {"section": "SONUÇ", "paragraph": 3, "page": 9}
    assert render.location(item, "tr") == "SONUÇ · paragraf 3 · s. 9"
    assert render.location(item, "en") == "SONUÇ · paragraph 3 · p. 9"
    assert render.location({"section": "", "paragraph": None, "page": None}, "en") == "No section"


def test_hits_show_rank_score_and_location():
    html = render.hits_html([passage(1, "Metin <b>kalın</b> değil.")], "en")
    assert "#1" in html and "score 0.5000" in html and "doc-001" in html and "SONUÇ · paragraph 1 · p. 1" in html
    assert "<b>" not in html
    assert escape(strings.text("en", "search_empty")) in render.hits_html(None, "en")
    html = render.hits_html(None, "en", error=UserError("error", "bad <input>"))
    assert "&lt;input&gt;" in html and html.count('role="alert"') == 1
    assert strings.text("tr", "error_empty") in render.hits_html(None, "tr", error=UserError("empty", "empty"))


def test_header_names_the_index():
    summary = {"documents": 1, "passages": 24, "model": "intfloat/multilingual-e5-small",
               "built_at": "2026-11-25T19:23:33+0000", "index_dir": "/x"}
    html = render.header_html(summary, "en")
    assert "1 document(s) · 24 passages · model intfloat/multilingual-e5-small · built 2026-11-25 19:23" in html
    milvus = {**summary, "backend": "milvus", "location": "http://milvus.example:19530 (report_qa_1_p, report_qa_1_s)"}
    assert "· search: milvus · http://milvus.example:19530 (report_qa_1_p" in render.header_html(milvus, "en")
    assert "arama: milvus · http://milvus.example:19530" in render.header_html(milvus, "tr")


def test_chat_messages_show_errors_and_pending_turns():
    turns = [Turn(1, "  ", error=UserError("empty", "the question is empty")), Turn(2, XSS, crashed=True),
             Turn(3, "waiting"), Turn(4, "x", error=UserError("error", "index is <damaged>"))]
    messages = render.chat_messages(turns, "en")
    assert [m["role"] for m in messages] == ["assistant", "user", "assistant", "user", "user", "assistant"]
    assert strings.text("en", "error_empty") in messages[0]["content"]
    assert strings.text("tr", "error_empty") in render.chat_messages(turns, "tr")[0]["content"]
    assert strings.text("en", "internal_error") in messages[2]["content"]
    assert "&lt;img" in messages[1]["content"]
    # An error without a translated text shows its own message, escaped.
    assert messages[-1]["content"] == render.error_html(turns[3], "en")
    assert escape(strings.text("en", "question_error", message="index is <damaged>")) in messages[-1]["content"]


# --- handlers ------------------------------------------------------------------------------------


def _final(handlers: Handlers, message: str, turns: list[Turn], lang: str = "tr"):
    outputs = list(handlers.respond(message, turns, lang))
    assert len(outputs) == 2
    assert outputs[0][0] == ""  # the textbox is emptied at once
    assert strings.text(lang, "hint_empty") not in outputs[0][4]  # and the hint with it
    return outputs[-1]


class _BrokenEngine:
    settings = SimpleNamespace(max_question_chars=2000)
    streams = False

    def ask(self, question, *, language=None, qid=None, on_token=None, exclude=()):
        raise RuntimeError("index on fire")


def test_an_unexpected_failure_is_a_chat_message_not_a_traceback(caplog):
    _, chat, _, turns, _ = _final(Handlers(_BrokenEngine()), "1998 protokolü nedir?", [])
    assert turns[0].crashed
    assert strings.text("tr", "internal_error") in chat[-1]["content"]
    assert "index on fire" not in chat[-1]["content"]
    assert "index on fire" in caplog.text


def test_question_errors_are_shown_in_the_chat(engine):
    _, chat, _, turns, _ = _final(Handlers(engine), "?!", [])
    assert strings.text("tr", "error_no_words") in chat[-1]["content"] and 'class="rqa-error"' in chat[-1]["content"]
    assert turns[-1].error.code == "no_words"


@pytest.mark.parametrize("lang", ["tr", "en"])
@pytest.mark.parametrize(("message", "hint"), [("", "hint_empty"), ("  \n ", "hint_empty"), (None, "hint_empty"),
                                               ("soru " * 600, "hint_too_long")])
def test_empty_and_over_long_messages_are_not_sent(engine, message, hint, lang):
    """Nothing reaches the chat or the turns (so no number is used); the text stays in the box; the hint says why."""
    outputs = list(Handlers(engine).respond(message, [Turn(1, "x")], lang))
    assert len(outputs) == 1
    box, chat, sources, turns, shown = outputs[0]
    for output in (box, chat, sources, turns):
        assert isinstance(output, type(gr.skip()))
    n = len(" ".join((message or "").split()))
    assert escape(strings.text(lang, hint, n=n, limit=2000)) in shown
    if hint == "hint_too_long":
        assert escape(strings.text(lang, "counter", n=n, limit=2000)) in shown and "rqa-over" in shown


def test_counter_appears_near_the_limit():
    assert strings.text("en", "counter", n=1599, limit=2000) not in render.input_hint_html("en", 2000, "a" * 1599)
    near = render.input_hint_html("en", 2000, "a" * 1600)
    assert strings.text("en", "counter", n=1600, limit=2000) in near and "rqa-over" not in near
    assert 'data-from="1600"' in near and 'data-limit="2000"' in near


def test_follow_up_is_answered_in_the_context_of_the_previous_turn(engine):
    handlers = Handlers(engine)
    _, _, _, turns, _ = _final(handlers, "1998 protokolü nedir?", [])
    _, _, panel, turns, _ = _final(handlers, "Peki hangi ülkeler imzaladı?", turns)
    follow_up = turns[-1]
    assert follow_up.query == "1998 protokolü nedir? Peki hangi ülkeler imzaladı?"
    assert follow_up.answer["answered"] and follow_up.answer["language"] == "tr"
    assert any("1998" in c["quote"] for c in follow_up.answer["citations"])
    assert strings.text("tr", "searched_as") in panel
    # The same message on its own is about another protocol: the context is what made the difference.
    alone = engine.ask("Peki hangi ülkeler imzaladı?")
    assert not any("1998" in c.sentence.text for c in alone.citations)


def test_the_interface_does_not_follow_the_question_language(engine):
    """An English question in a Turkish interface: English answer, Turkish interface around it."""
    _, chat, panel, turns, _ = _final(Handlers(engine), "What role does Azerbaijan play?", [], lang="tr")
    assert turns[-1].answer["language"] == "en"
    assert strings.text("tr", "sources_title") in panel and strings.text("tr", "sources_inline") in chat[-1]["content"]


def _functions(demo) -> dict[str, list]:
    found: dict[str, list] = {}
    for fn in demo.fns.values():
        found.setdefault(fn.name, []).append(fn)
    return found


def test_app_wiring(engine):
    from ui.app import CONCURRENCY_LIMIT, ENGINE_GROUP, QUEUE_MAX_SIZE, build_app

    demo = build_app(engine)
    fns = _functions(demo)
    # The language switch relabels exactly the components that relabel() returns values for:
    # the chat's and passages' (Handlers), the Evaluation tab's (EvalTab) and the Documents tab's.
    language = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "rqa-language")
    assert {type(fn.fn.__self__).__name__ for fn in fns["relabel"]} == {"Handlers", "EvalTab", "DocumentsTab"}
    for fn in fns["relabel"]:
        owner = fn.fn.__self__
        kind = type(owner).__name__
        args = ("en", [], None) if kind == "Handlers" else ("en",) if kind == "DocumentsTab" else ("en", None, None)
        assert len(fn.outputs) == len(owner.relabel(*args))
        assert (language._id, "change") in fn.targets
    # Answers, searches and the API share the engine's concurrency group; the queue is bounded.
    for name in ("respond", "search", "api_ask"):
        assert {fn.concurrency_id for fn in fns[name]} == {ENGINE_GROUP}
        assert {fn.concurrency_limit for fn in fns[name]} == {CONCURRENCY_LIMIT}
    assert demo._queue.max_size == QUEUE_MAX_SIZE
    chatbot = next(b for b in demo.blocks.values() if isinstance(b, gr.Chatbot))
    assert chatbot.sanitize_html and not chatbot.render_markdown and chatbot.latex_delimiters == []
    question = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "rqa-question")
    # No max_length: the browser would cut a long paste silently; the handler refuses it with a message.
    assert question.max_length is None


def test_api_rejects_unknown_languages(engine):
    with pytest.raises(gr.Error, match="language must be"):
        Handlers(engine).api_ask("1998 protokolü nedir?", "de")


# --- the /ask API over HTTP ----------------------------------------------------------------------

ANSWER_KEYS = {"id", "question", "language", "answered", "declined", "answer", "citations", "passages",
               "answerer", "model", "dropped", "fallback_reason"}
CITATION_KEYS = {"n", "chunk_id", "doc", "section", "page", "paragraph", "quote", "text"}
PASSAGE_KEYS = {"rank", "score", "chunk_id", "doc", "section", "page", "page_label", "paragraph", "text"}


@pytest.fixture(scope="module")
def client(engine):
    from gradio_client import Client

    with running_app(engine) as url:
        yield Client(url, verbose=False)


def test_ask_api_returns_the_cli_json(client, engine):
    result = client.predict("1998 protokolünü hangi ülkeler imzaladı?", api_name="/ask")
    assert set(result) == ANSWER_KEYS
    assert result["answered"] and result["language"] == "tr"
    assert result["citations"] and all(set(c) >= CITATION_KEYS for c in result["citations"])
    assert result["passages"] and all(set(p) == PASSAGE_KEYS for p in result["passages"])
    assert result == engine.ask("1998 protokolünü hangi ülkeler imzaladı?").to_json()


def test_ask_api_language_and_refusal(client):
    result = client.predict("Who won the 2018 World Cup?", "tr", api_name="/ask")
    assert not result["answered"] and result["language"] == "tr"
    assert result["declined"] == "off_topic"
    assert result["answer"] == qa_strings.OFF_TOPIC["tr"] and result["passages"]


def test_ask_api_reports_question_errors(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="the question is empty"):
        client.predict("   ", api_name="/ask")
    # and keeps serving
    assert client.predict("What role does Azerbaijan play?", api_name="/ask")["language"] == "en"


def test_ask_is_the_only_public_endpoint(client):
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]


def test_concurrent_requests_get_their_own_answers_and_the_page_stays_up(client, engine):

    questions = ["1998 protokolünü hangi ülkeler imzaladı?", "What role does Azerbaijan play?",
                 "Mercimek çorbası nasıl yapılır?"] * 3
    jobs = [client.submit(q, api_name="/ask") for q in questions]
    started = time.monotonic()
    with urllib.request.urlopen(client.src, timeout=30) as page:
        assert page.status == 200
    assert time.monotonic() - started < 10, "the page did not load while answers were queued"
    expected = {q: engine.ask(q).to_json() for q in set(questions)}
    for question, job in zip(questions, jobs, strict=True):
        assert job.result(timeout=120) == expected[question]
