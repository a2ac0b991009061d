"""The Gradio web chat: cited answers, follow-ups, the cited passages, passage search and the /ask API."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, TypedDict

import gradio as gr
from starlette.middleware import Middleware

from qa.answer import normalize_question
from qa.documents import library_engine
from qa.engine import Engine
from qa.modes import RetrievalMode
from ui import render, streaming, strings
from ui.conversation import Turn, contextual_question, follow_up_language
from ui.documents_tab import build_documents_tab
from ui.errors import UserError, attempt
from ui.eval_tab import build_eval_tab
from ui.streaming import TokenCallback
from ui.strings import text
from ui.style import CSS, HEAD, SCROLL_SOURCES_TO_TOP, THEME

log = logging.getLogger(__name__)

# Answers run on the CPU in about a second; two at a time keep the cores busy while the queue
# holds everyone else in order, and turns requests away beyond its size instead of piling up.
CONCURRENCY_LIMIT = 2
QUEUE_MAX_SIZE = 64
# No request to this app needs more than a few kilobytes (questions are at most 2,000 characters);
# anything over this is refused with 413 before it is read. File uploads (Documents tab, question
# files) may be larger: UPLOAD_FILES files of max_file_mb each, so that the tab, not a bare 413,
# explains a file over the limit.
MAX_REQUEST_BYTES = 1 << 20
UPLOAD_FILES = 4
# Engine work (chat, passage search, API) shares one concurrency group: the cores are the limit.
ENGINE_GROUP = "engine"
MAX_SEARCH_K = 20
# Mistakes that keep a message from being sent at all: the hint by the box says so, the chat stays as it is.
REFUSED = ("empty", "too_long")


class Searched(TypedDict):
    """The last passage search of a session: its hits, or the mistake that stopped it."""

    hits: list[dict[str, Any]] | None
    error: UserError | None
    query: str


SearchState = Searched | None


class RequestSizeLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` (413) before they are read."""

    def __init__(self, app: Any, max_bytes: int = MAX_REQUEST_BYTES, upload_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = max(upload_bytes, max_bytes)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope.get("path", "").endswith("/upload") else self.max_bytes
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            body = strings.API_TOO_LARGE.format(limit=limit).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked body that grows past the limit
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, send)


class ChatApp(gr.Blocks):
    """The chat's Blocks. Gradio 6 takes theme and CSS at launch, so launch() brings its own."""

    upload_bytes = MAX_REQUEST_BYTES  # set by build_app from max_file_mb when uploads are allowed

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        app_kwargs = dict(kwargs.get("app_kwargs") or {})
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []),
                                    Middleware(RequestSizeLimit, max_bytes=MAX_REQUEST_BYTES,
                                               upload_bytes=self.upload_bytes)]
        kwargs["app_kwargs"] = app_kwargs
        kwargs.setdefault("theme", THEME)
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", HEAD)
        # Gradio's footer ("Use via API") follows the browser's locale, not the interface language;
        # the page has its own footer (render.footer_html) instead.
        kwargs.setdefault("footer_links", [])
        return super().launch(*args, **kwargs)


def _mode_choices(lang: str) -> list[tuple[str, str]]:
    return [(text(lang, f"mode_{mode}"), mode) for mode in RetrievalMode.names()]


class Handlers:
    """Event handlers around one engine. Conversation state lives in each session's gr.State."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.max_chars = engine.settings.max_question_chars

    def _answer(self, turns: list[Turn], turn: Turn, on_token: TokenCallback | None = None,
                docs: list[str] | None = None) -> Turn:
        """Ask the engine, with the conversation's topic when ``turn`` is a follow-up."""
        message = normalize_question(turn.message, self.max_chars)
        history = [t.message for t in turns if t.answer is not None]
        query = contextual_question(history, message, self.max_chars)
        language = None
        quoted: list[str] = []
        if query != message:
            previous = next((t.answer for t in reversed(turns) if t.answer), None)
            language = follow_up_language(message, previous["language"] if previous else None)
            # A follow-up quotes only sentences the conversation has not shown yet.
            quoted = [c["quote"] for t in turns if t.answer for c in t.answer["citations"]]
        if docs:  # chosen in the Documents tab; without a choice, the engine's default: every document
            answer = self.engine.ask(query, language=language, on_token=on_token, exclude=quoted, docs=docs)
        else:
            answer = self.engine.ask(query, language=language, on_token=on_token, exclude=quoted)
        return replace(turn, query=query, answer=answer.to_json())

    def _ask(self, turns: list[Turn], turn: Turn, on_token: TokenCallback | None = None,
             docs: list[str] | None = None) -> Turn:
        """``turn`` answered (from the documents ``docs`` only, when given), or with the user's
        mistake, or marked as crashed."""
        try:
            outcome = attempt(lambda: self._answer(turns, turn, on_token, docs))
        except Exception:
            # Whatever fails, this session's chat must go on; the traceback belongs in the log.
            log.exception("answering %r failed", turn.message)
            return replace(turn, crashed=True)
        return replace(turn, error=outcome) if isinstance(outcome, UserError) else outcome

    def refusal(self, message: str | None) -> str | None:
        """Why ``message`` is not sent at all ("empty" or "too_long"), or None to send it."""
        outcome = attempt(lambda: normalize_question(message or "", self.max_chars))
        return outcome.code if isinstance(outcome, UserError) and outcome.code in REFUSED else None

    def respond(
        self, message: str, turns: list[Turn], lang: str, docs: list[str] | None = None
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
        """Show the question at once, then the cited answer (streamed first when an LLM writes it).

        An empty or over-long message is not sent: the hint next to the box says why, the text
        stays in the box to be shortened, and the chat gets no turn (so no question number).
        """
        refused = self.refusal(message)
        if refused is not None:
            yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                   render.input_hint_html(lang, self.max_chars, message or "", refused))
            return
        pending = Turn(id=max((t.id for t in turns), default=0) + 1, message=message)
        yield ("", render.chat_messages([*turns, pending], lang), gr.skip(), gr.skip(),
               render.input_hint_html(lang, self.max_chars))
        if self.engine.streams:  # issue 10: generated text streams in, then the validated answer
            model = getattr(self.engine.answerer, "model", None)
            for update in streaming.stream_answer(lambda on_token: self._ask(turns, pending, on_token, docs)):
                if isinstance(update, tuple):
                    turn = update[0]
                    break
                bubble = {"role": "assistant", "content": streaming.streaming_html(update, model, lang)}
                yield "", [*render.chat_messages([*turns, pending], lang), bubble], gr.skip(), gr.skip(), gr.skip()
        else:
            turn = self._ask(turns, pending, docs=docs)
        turns = [*turns, turn]
        yield "", render.chat_messages(turns, lang), render.sources_html(turns, lang), turns, gr.skip()

    def clear(self, lang: str) -> tuple[list[dict[str, str]], str, list[Turn]]:
        """Start a new conversation: empty chat, empty sources panel, no turns."""
        return [], render.sources_html([], lang), []

    def search(self, query: str, k: float, mode: str, lang: str) -> tuple[str, SearchState]:
        """Rank the report's passages for the Passages tab."""
        retrieval = RetrievalMode(mode) if mode in RetrievalMode.names() else None
        hits = attempt(lambda: [h.to_json() for h in self.engine.search(query, k=int(k), mode=retrieval)])
        state: Searched = (
            {"hits": None, "error": hits, "query": query} if isinstance(hits, UserError)
            else {"hits": hits, "error": None, "query": query}
        )
        return render.hits_html(state["hits"], lang, state["error"], query), state

    def relabel(self, lang: str, turns: list[Turn], searched: SearchState) -> list[Any]:
        """Every fixed string and every rendered panel in ``lang``, in the order of ``relabelled`` in build_app."""
        last: Searched = searched or {"hits": None, "error": None, "query": ""}
        return [
            render.header_html(self.engine.index.summary, lang),
            gr.update(label=text(lang, "language")),
            gr.update(label=text(lang, "tab_chat")),
            gr.update(label=text(lang, "tab_passages")),
            gr.update(label=text(lang, "chat_label"), placeholder=render.placeholder_html(lang),
                      value=render.chat_messages(turns, lang)),
            gr.update(label=text(lang, "question_label"), placeholder=text(lang, "question_placeholder")),
            gr.update(value=text(lang, "send")),
            gr.update(value=text(lang, "clear")),
            gr.update(label=text(lang, "examples")),
            render.sources_html(turns, lang),
            gr.update(label=text(lang, "search_label"), placeholder=text(lang, "search_placeholder")),
            gr.update(label=text(lang, "k")),
            gr.update(label=text(lang, "mode"), choices=_mode_choices(lang)),
            gr.update(value=text(lang, "search")),
            render.hits_html(last["hits"], lang, last["error"], last.get("query", "")),
            render.footer_html(lang),
            render.input_hint_html(lang, self.max_chars),
        ]

    def api_ask(self, question: str, language: str | None = None) -> dict:
        """Answer ``question`` with numbered citations; the same JSON as ``report-qa ask --json``.

        ``language`` ("tr" or "en") frames the answer; by default, the question's language.
        """
        if language not in (None, "", *strings.LANGUAGES):
            raise gr.Error(strings.API_BAD_LANGUAGE.format(language=language))
        answer = attempt(lambda: self.engine.ask(question, language=language or None).to_json())
        if isinstance(answer, UserError):
            raise gr.Error(answer.message)  # the API speaks English, like the command line
        return answer


def build_app(engine: Engine, *, uploads: bool = True) -> ChatApp:
    """The web chat over ``engine``, queued, ready to ``launch()``; the Documents tab takes
    uploads only when ``uploads`` (serve_app: loopback or --auth)."""
    handlers = Handlers(library_engine(engine))
    engine = handlers.engine
    lang = strings.DEFAULT_LANGUAGE
    private: dict[str, Any] = {"api_visibility": "private"}
    engine_work: dict[str, Any] = {
        **private, "concurrency_limit": CONCURRENCY_LIMIT, "concurrency_id": ENGINE_GROUP,
    }
    with ChatApp(title=strings.PAGE_TITLE, analytics_enabled=False) as demo:
        turns = gr.State([])
        # The interface language the user picked, kept in the browser: it wins over the browser's language.
        picked = gr.BrowserState(None, storage_key="report-qa-language")
        searched = gr.State(None)

        with gr.Row(elem_classes="rqa-top"):
            header = gr.HTML(render.header_html(engine.index.summary, lang), js_on_load=None, scale=5,
                             elem_id="rqa-header")
            language = gr.Radio(strings.LANGUAGE_CHOICES, value=lang, label=text(lang, "language"),
                                scale=0, min_width=230, elem_id="rqa-language")
        with gr.Tabs():
            with gr.Tab(text(lang, "tab_chat"), id="chat") as chat_tab, gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label=text(lang, "chat_label"), placeholder=render.placeholder_html(lang),
                        show_label=False, elem_id="rqa-chat", height=560,
                        # Messages are HTML built by ui.render with every text escaped; no Markdown,
                        # LaTeX or custom tags, and Gradio's sanitizer stays on as a second guard.
                        render_markdown=False, sanitize_html=True, latex_delimiters=[], allow_tags=False,
                        feedback_options=None, buttons=[],
                    )
                    with gr.Row(equal_height=True, elem_classes="rqa-input-row"):
                        question = gr.Textbox(
                            label=text(lang, "question_label"), placeholder=text(lang, "question_placeholder"),
                            show_label=False, autofocus=True, container=False, scale=6, elem_id="rqa-question",
                        )
                        send = gr.Button(text(lang, "send"), variant="primary", scale=0, min_width=100,
                                         elem_id="rqa-send")
                        clear = gr.Button(text(lang, "clear"), variant="secondary", scale=0, min_width=100,
                                          elem_id="rqa-clear")
                    # Over-long questions are refused here with a message, never cut by a max_length.
                    hint = gr.HTML(render.input_hint_html(lang, handlers.max_chars), js_on_load=None,
                                   elem_id="rqa-input-hint")
                    examples = gr.Dataset(
                        components=["textbox"], samples=[[q] for q in strings.EXAMPLES],
                        label=text(lang, "examples"), samples_per_page=len(strings.EXAMPLES),
                        elem_id="rqa-examples",
                    )
                with gr.Column(scale=2, elem_classes="rqa-sources-column"):
                    sources = gr.HTML(render.sources_html([], lang), js_on_load=None, elem_id="rqa-sources-panel")
            with gr.Tab(text(lang, "tab_passages"), id="passages") as passages_tab:
                with gr.Row(equal_height=True):
                    query = gr.Textbox(label=text(lang, "search_label"), placeholder=text(lang, "search_placeholder"),
                                       scale=4, elem_id="rqa-search")
                    k = gr.Slider(1, MAX_SEARCH_K, value=engine.settings.top_k, step=1, label=text(lang, "k"),
                                  scale=1)
                    mode = gr.Radio(_mode_choices(lang), value=engine.settings.retriever, label=text(lang, "mode"),
                                    scale=2)
                    search = gr.Button(text(lang, "search"), variant="primary", scale=0, min_width=100,
                                       elem_id="rqa-search-button")
                hits = gr.HTML(render.hits_html(None, lang), js_on_load=None, elem_id="rqa-hits")
            build_eval_tab(lambda: handlers.engine, language)
            documents = build_documents_tab(handlers, language, allowed=uploads)
        footer = gr.HTML(render.footer_html(lang), js_on_load=None, elem_id="rqa-footer")

        ask = {
            "fn": handlers.respond, "inputs": [question, turns, language, documents.selector],
            "outputs": [question, chatbot, sources, turns, hint], **engine_work,
        }
        # The newest turn is at the top of the sources panel: show it, and give the input back its focus.
        show_newest = {"fn": None, "js": SCROLL_SOURCES_TO_TOP, "queue": False, **private}
        question.submit(**ask).then(**show_newest)
        send.click(**ask).then(**show_newest)
        examples.click(lambda sample: sample[0], [examples], [question], queue=False, **private) \
            .then(**ask).then(**show_newest)
        # The Chatbot's own trash icon empties only the chat on the page; both reset the session.
        clear.click(handlers.clear, [language], [chatbot, sources, turns], queue=False, **private)
        chatbot.clear(handlers.clear, [language], [chatbot, sources, turns], queue=False, **private)

        search_event = {"fn": handlers.search, "inputs": [query, k, mode, language], "outputs": [hits, searched],
                        **engine_work}
        query.submit(**search_event)
        search.click(**search_event)

        # .input fires only when the user clicks the switch; .change also when the page load sets it.
        language.input(lambda choice: choice, language, picked, queue=False, **private)
        relabelled = [header, language, chat_tab, passages_tab, chatbot, question, send, clear,
                      examples, sources, query, k, mode, search, hits, footer, hint]
        language.change(handlers.relabel, [language, turns, searched], relabelled, queue=False, **private)
        demo.load(_initial_language, picked, language, queue=False, **private)

        gr.api(handlers.api_ask, api_name="ask", concurrency_limit=CONCURRENCY_LIMIT, concurrency_id=ENGINE_GROUP)
    if uploads:
        demo.upload_bytes = UPLOAD_FILES * int(engine.settings.max_file_mb * 2**20) + MAX_REQUEST_BYTES
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_MAX_SIZE)
    return demo


def _initial_language(picked: str | None, request: gr.Request) -> str:
    """The language the user picked on an earlier visit, else the browser's preferred one."""
    if picked in strings.LANGUAGES:
        return str(picked)
    return strings.browser_language(request.headers.get("accept-language"))


def serve_app(
    engine: Engine, *, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None
) -> None:
    """Serve the chat until interrupted. Never creates a public share link."""
    uploads = auth is not None or _loopback(host)
    demo = build_app(engine, uploads=uploads)
    log.info("serving the web chat on http://%s:%d", host, port)
    demo.launch(server_name=host, server_port=port, auth=auth, share=False, inbrowser=False, show_error=False)


def _loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (uploads need --auth otherwise)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
