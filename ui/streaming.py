"""Generated answers in the chat: tokens shown as they stream, then the validated answer.

The answer runs in a worker thread whose token callback feeds a queue; :func:`stream_answer`
yields the text so far (at most every ``REFRESH_S``) and finally the finished result. Streamed
text is model output: it is escaped and shown as plain text, never as HTML. When the validated
answer arrives it replaces the stream (with clickable citations, rendered by ``ui.render``), and
:func:`status_html` adds which model wrote it, how many sentences were removed, or why the
report was quoted instead.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from html import escape
from typing import Any, TypeVar

from ui.strings import LLM_UI

T = TypeVar("T")
TokenCallback = Callable[[str], None]
# The chat is redrawn at most this often while tokens stream (each redraw is a websocket message).
REFRESH_S = 0.1


def _strings(lang: str) -> dict[str, str]:
    return LLM_UI["tr" if lang == "tr" else "en"]


def model_label(model: str | None) -> str:
    """A model id as people read it: llama.cpp reports the GGUF path; keep its file name."""
    return (model or "LLM").replace("\\", "/").rsplit("/", 1)[-1]


def stream_answer(run: Callable[[TokenCallback], T]) -> Iterator[str | tuple[T]]:
    """Run ``run(on_token)`` in a thread; yield the text streamed so far, then ``(result,)``.

    Exceptions from ``run`` propagate here, in the caller's thread.
    """
    tokens: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = run(tokens.put)
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True, name="rqa-answer")
    worker.start()
    text = ""
    shown = ""
    while worker.is_alive() or not tokens.empty():
        try:
            text += tokens.get(timeout=REFRESH_S)
            while not tokens.empty():
                text += tokens.get_nowait()
        except queue.Empty:
            pass
        if text != shown:
            shown = text
            yield text
            time.sleep(REFRESH_S / 2)  # let a few more tokens arrive before the next redraw
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    yield (outcome["result"],)


def streaming_html(text: str, model: str | None, lang: str) -> str:
    """The assistant bubble while tokens arrive: who is writing, and the raw text, escaped."""
    status = escape(_strings(lang)["writing"].format(model=model_label(model)))
    return (f'<div class="rqa-answer rqa-streaming"><p class="rqa-llm-status">{status}</p>'
            f'<p class="rqa-stream">{escape(text)}</p></div>')


def status_html(answer: Mapping[str, Any], lang: str) -> str:
    """The line under an answer naming the model, or the short fallback notice; empty for quotes."""
    strings = _strings(lang)
    if answer.get("fallback_reason"):
        note = strings["fallback"].format(reason=answer["fallback_reason"])
        return f'<p class="rqa-llm-status rqa-fallback" role="note">{escape(note)}</p>'
    if answer.get("answerer") != "llm":
        return ""
    parts = [strings["generated"].format(model=model_label(answer.get("model")))]
    if answer.get("dropped"):
        parts.append(strings["dropped"].format(n=len(answer["dropped"])))
    return f'<p class="rqa-llm-status">{escape(" ".join(parts))}</p>'
