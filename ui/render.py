"""HTML for the chat, the sources panel and the passage search.

Every piece of text that comes from a document or a user goes through ``html.escape`` before it
is placed in markup; the only tags in the output are the ones written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from ui.conversation import Turn
from ui.errors import UserError
from ui.highlight import mark_terms, query_terms
from ui.streaming import status_html
from ui.strings import text, ui_language

# Characters of a passage shown next to a declined answer (the sources panel has the whole text).
SNIPPET_CHARS = 160
# A question in the sources panel's heading is cut to one line by CSS; past this many characters
# it is cut here too (the title attribute keeps the whole question for hovering).
HEADING_CHARS = 200
# Element ids inside a chat message start with this, so they never clash with the sources panel's.
IN_CHAT = "m-"
# The character counter under the question box appears from this share of the limit on.
COUNTER_FROM = 0.8
# The engine's reason for declining (``ask --json`` "declined"): the question is not about the report.
OFF_TOPIC = "off_topic"


def cite_id(turn_id: int, n: int) -> str:
    """Element id of citation ``n`` of turn ``turn_id`` in the sources panel (unique per page)."""
    return f"cite-{turn_id}-{n}"


def near_id(turn_id: int, rank: int) -> str:
    """Element id of the ``rank``-th closest passage of a declined turn."""
    return f"near-{turn_id}-{rank}"


def location(item: Mapping[str, Any], lang: str) -> str:
    """Plain-text location of a citation or passage: section · paragraph · page."""
    parts = [item.get("section") or text(lang, "section_missing")]
    if item.get("paragraph") is not None:
        parts.append(text(lang, "paragraph", n=item["paragraph"]))
    if item.get("page") is not None:
        parts.append(text(lang, "page", n=item["page"]))
    return " · ".join(str(p) for p in parts)


def _groups(citations: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Citations grouped by passage, in order of first citation (one passage can hold several quotes)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for citation in citations:
        groups.setdefault(citation["chunk_id"], []).append(citation)
    return list(groups.values())


def highlight(passage: str, citations: Sequence[Mapping[str, Any]], turn_id: int, prefix: str = "") -> str:
    """The escaped passage with each citation's quote (``quote_start:quote_end``) in a ``<mark>``.

    Each mark carries the citation's element id, so ``[n]`` links land on the very sentence. A
    citation whose span is invalid or overlaps an earlier one gets an empty anchor at the start.
    ``prefix`` goes before every id (``IN_CHAT`` for the copy inside a chat message).
    """
    out: list[str] = []
    anchors: list[str] = []
    pos = 0
    for c in sorted(citations, key=lambda c: c.get("quote_start") or 0):
        n, start, end = int(c["n"]), c.get("quote_start"), c.get("quote_end")
        if start is None or end is None or not pos <= start < end <= len(passage):
            anchors.append(f'<span id="{prefix}{cite_id(turn_id, n)}"></span>')
            continue
        out.append(escape(passage[pos:start]))
        out.append(f'<mark id="{prefix}{cite_id(turn_id, n)}"><sup class="rqa-mark-n">[{n}]</sup>'
                   f"{escape(passage[start:end])}</mark>")
        pos = end
    out.append(escape(passage[pos:]))
    return "".join(anchors + out)


def _cite_name(citation: Mapping[str, Any], lang: str) -> str:
    """``[n]`` and, for screen readers only, where it leads ("Source 1: section · paragraph · page").

    Visually hidden text rather than ``aria-label``: the chat's HTML sanitizer drops ARIA attributes.
    """
    n = int(citation["n"])
    where = text(lang, "cite_label", n=n, where=location(citation, lang))
    return f'[{n}]<span class="rqa-sr"> {escape(where)}</span>'


def _marker(citation: Mapping[str, Any], turn_id: int, lang: str) -> str:
    n = int(citation["n"])
    return (
        f'<a class="rqa-marker" href="#{cite_id(turn_id, n)}" title="{escape(citation["quote"])}">'
        f"{_cite_name(citation, lang)}</a>"
    )


def link_markers(answer: str, citations: Sequence[Mapping[str, Any]], turn_id: int, lang: str = "tr") -> str:
    """Escape ``answer`` and turn each citation's ``[n]`` into a link to its passage.

    A marker is looked for after its own quote, so a literal "[1]" inside a quoted sentence
    (a footnote, say) stays text.
    """
    out: list[str] = []
    pos = 0
    for citation in citations:
        marker = f"[{int(citation['n'])}]"
        quote_at = answer.find(citation.get("quote") or "", pos)
        search_from = quote_at + len(citation.get("quote") or "") if quote_at >= 0 else pos
        at = answer.find(marker, search_from)
        if at < 0:
            continue
        out.append(escape(answer[pos:at]))
        out.append(_marker(citation, turn_id, lang))
        pos = at + len(marker)
    out.append(escape(answer[pos:]))
    return "".join(out)


def user_html(message: str) -> str:
    """A user's message as chat HTML: text only."""
    return escape(message)


def _snippet(passage: str) -> str:
    flat = " ".join(passage.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[:SNIPPET_CHARS].rstrip() + "…"


def _labels(citations: Sequence[Mapping[str, Any]], turn_id: int, lang: str) -> str:
    return " ".join(f'<a href="#{cite_id(turn_id, int(c["n"]))}">{_cite_name(c, lang)}</a>' for c in citations)


def is_off_topic(answer: Mapping[str, Any]) -> bool:
    """True when the engine declined ``answer`` because the question is not about the report.

    Older engines have no ``declined`` field: their answers are never off-topic.
    """
    return answer.get("declined") == OFF_TOPIC


def _cited_cards(answer: Mapping[str, Any], turn_id: int, lang: str, prefix: str = "") -> str:
    return "".join(
        _passage_card(None, _labels(group, turn_id, lang), group[0],
                      highlight(group[0]["text"], group, turn_id, prefix), lang)
        for group in _groups(answer["citations"])
    )


def _closest_cards(answer: Mapping[str, Any], turn_id: int, lang: str, prefix: str = "") -> str:
    return "".join(
        _passage_card(prefix + near_id(turn_id, int(p["rank"])), f"#{int(p['rank'])}", p, escape(p["text"]), lang)
        for p in answer.get("passages", [])
    )


def _answer_sources(cards: str, count: int, lang: str) -> str:
    """The passages inside the message, folded: what a phone shows instead of the sources panel."""
    summary = escape(text(lang, "answer_sources", n=count))
    return (f'<details class="rqa-answer-sources"><summary>{summary}</summary>'
            f'<ol class="rqa-list">{cards}</ol></details>')


def answer_html(answer: Mapping[str, Any], turn_id: int, lang: str) -> str:
    """An assistant message: the answer with linked markers and where the cited passages are, or
    (when the report has no answer) the closest passages, or (off-topic) a short statement alone.

    The passages themselves are in the message too, folded (``details``): narrow screens hide the
    sources panel and show those instead.
    """
    if is_off_topic(answer):
        message = text(ui_language(answer.get("language")), "off_topic")
        return f'<div class="rqa-answer rqa-off-topic"><p>{escape(message)}</p></div>'
    if answer["answered"]:
        body = link_markers(answer["answer"], answer["citations"], turn_id, lang)
        items = "".join(
            f"<li>{_labels(group, turn_id, lang)} {escape(location(group[0], lang))}</li>"
            for group in _groups(answer["citations"])
        )
        tail = f'<div class="rqa-inline-sources">{escape(text(lang, "sources_inline"))}<ul>{items}</ul></div>'
        folded = _answer_sources(_cited_cards(answer, turn_id, lang, IN_CHAT), len(_groups(answer["citations"])),
                                 lang)
    else:
        body = escape(answer["answer"])
        items = "".join(
            f'<li><a href="#{near_id(turn_id, int(p["rank"]))}">{escape(location(p, lang))}</a>'
            f" — {escape(_snippet(p['text']))}</li>"
            for p in answer["passages"]
        )
        tail = f'<div class="rqa-inline-sources">{escape(text(lang, "closest"))}<ol>{items}</ol></div>'
        folded = _answer_sources(_closest_cards(answer, turn_id, lang, IN_CHAT), len(answer["passages"]), lang)
    state = "answered" if answer["answered"] else "declined"
    status = status_html(answer, lang)  # issue 10: which model wrote it, or why the report was quoted
    return f'<div class="rqa-answer rqa-{state}"><p>{body}</p>{status}{tail}{folded}</div>'


def error_html(turn: Turn, lang: str) -> str:
    """An assistant message for a question that could not be asked, or a server failure."""
    if turn.crashed or turn.error is None:
        message = text(lang, "internal_error")
    else:
        message = turn.error.text(lang, "question_error")
    return f'<div class="rqa-error" role="alert">{escape(message)}</div>'


def chat_messages(turns: Iterable[Turn], lang: str) -> list[dict[str, str]]:
    """The Chatbot value for a session's turns (a pending turn shows only the question)."""
    messages: list[dict[str, str]] = []
    for turn in turns:
        if turn.message.strip():  # a blank submission shows only its error
            messages.append({"role": "user", "content": user_html(turn.message)})
        if turn.answer is not None:
            messages.append({"role": "assistant", "content": answer_html(turn.answer, turn.id, lang)})
        elif not turn.pending:
            messages.append({"role": "assistant", "content": error_html(turn, lang)})
    return messages


def _passage_card(element_id: str | None, label: str, item: Mapping[str, Any], body: str, lang: str) -> str:
    id_attr = f' id="{element_id}"' if element_id else ""
    return (
        f'<li{id_attr} class="rqa-passage">'
        f'<div class="rqa-loc"><span class="rqa-n">{label}</span> '
        f'<span class="rqa-doc">{escape(item["doc"])}</span> · {escape(location(item, lang))}</div>'
        f"<blockquote>{body}</blockquote></li>"
    )


def _shortened(question: str) -> str:
    flat = " ".join(question.split())
    return flat if len(flat) <= HEADING_CHARS else flat[:HEADING_CHARS].rstrip() + "…"


def _turn_sources(turn: Turn, number: int, lang: str) -> str:
    answer = turn.answer or {}
    head = (
        f'<div class="rqa-turn-head"><span class="rqa-turn-no">{escape(text(lang, "turn_heading", n=number))}</span>'
        f'<q class="rqa-question" title="{escape(turn.message)}">{escape(_shortened(turn.message))}</q></div>'
    )
    if turn.query and turn.query != turn.message.strip():
        head += f'<p class="rqa-context">{escape(text(lang, "searched_as"))} <q>{escape(turn.query)}</q></p>'
    if is_off_topic(answer):
        note = f'<p class="rqa-note">{escape(text(lang, "off_topic_note"))}</p>'
        return f'<section class="rqa-turn" id="turn-{turn.id}">{head}{note}</section>'
    if answer.get("answered"):
        cards = _cited_cards(answer, turn.id, lang)
        note = f'<p class="rqa-note">{escape(text(lang, "cited"))}</p>'
    else:
        cards = _closest_cards(answer, turn.id, lang)
        note = f'<p class="rqa-note rqa-declined-note">{escape(text(lang, "declined"))}</p>'
    return f'<section class="rqa-turn" id="turn-{turn.id}">{head}{note}<ol class="rqa-list">{cards}</ol></section>'


def sources_html(turns: Sequence[Turn], lang: str) -> str:
    """The sources panel: every answered turn's cited (or closest) passages, newest first."""
    asked = [(number, t) for number, t in enumerate(turns, start=1) if t.answer is not None]
    title = f'<h2 class="rqa-panel-title">{escape(text(lang, "sources_title"))}</h2>'
    if not asked:
        return f'<div class="rqa-sources">{title}<p class="rqa-empty">{escape(text(lang, "sources_empty"))}</p></div>'
    sections = "".join(_turn_sources(t, number, lang) for number, t in reversed(asked))
    return f'<div class="rqa-sources">{title}{sections}</div>'


def hits_html(
    hits: Sequence[Mapping[str, Any]] | None, lang: str, error: UserError | None = None, query: str = ""
) -> str:
    """Ranked passages from the Passages tab (``Hit.to_json()`` dicts), or a prompt or an error.

    Words of ``query`` are marked in each passage (matched on BM25's terms, see ui.highlight).
    """
    if error is not None:
        message = escape(error.text(lang, "search_error"))
        return f'<div class="rqa-hits"><p class="rqa-error" role="alert">{message}</p></div>'
    if not hits:
        return f'<div class="rqa-hits"><p class="rqa-empty">{escape(text(lang, "search_empty"))}</p></div>'
    terms = query_terms(query)
    items = "".join(
        f'<li class="rqa-passage rqa-hit">'
        f'<div class="rqa-loc"><span class="rqa-n">#{int(h["rank"])}</span> '
        f'<span class="rqa-score">{escape(text(lang, "score", score=format(float(h["score"]), ".4f")))}</span> '
        f'<code>{escape(h["chunk_id"])}</code> · {escape(location(h, lang))}</div>'
        f'<blockquote>{mark_terms(h["text"], terms)}</blockquote></li>'
        for h in hits
    )
    return f'<div class="rqa-hits"><ol class="rqa-list">{items}</ol></div>'


def placeholder_html(lang: str) -> str:
    """What the empty chat shows."""
    return (
        f'<div class="rqa-placeholder"><h2>{escape(text(lang, "chat_welcome"))}</h2>'
        f'<p>{escape(text(lang, "chat_placeholder"))}</p></div>'
    )


def header_html(summary: Mapping[str, Any], lang: str) -> str:
    """Title, a one-line explanation and the status line naming the loaded index."""
    # "2026-11-25T19:23:33+0000" reads better as "2026-11-25 19:23".
    built = str(summary["built_at"])[:16].replace("T", " ")
    status = text(lang, "status", documents=summary["documents"], passages=summary["passages"],
                  model=summary["model"], built_at=built)
    if "backend" in summary:
        status += " · " + text(lang, "status_backend", backend=summary["backend"], location=summary["location"])
    return (
        f'<div class="rqa-header"><h1>{escape(text(lang, "title"))}</h1>'
        f'<p>{escape(text(lang, "subtitle"))}</p>'
        f'<p class="rqa-status">{escape(status)}</p></div>'
    )



def input_hint_html(lang: str, limit: int, message: str = "", refused: str | None = None) -> str:
    """What sits under the question box: a character counter near the limit, and why a message was not sent.

    ``refused`` is "empty" or "too_long". The counter's template and thresholds travel in data
    attributes, so the page's script keeps the counter current while the user types.
    """
    n = len(" ".join(message.split()))
    start = int(limit * COUNTER_FROM)
    counter = text(lang, "counter", n=n, limit=limit) if n >= start else ""
    hint = ""
    if refused == "empty":
        hint = text(lang, "hint_empty")
    elif refused == "too_long":
        hint = text(lang, "hint_too_long", n=n, limit=limit)
    over = " rqa-over" if n > limit else ""
    return (
        f'<div class="rqa-hint-box" data-limit="{limit}" data-from="{start}" '
        f'data-counter="{escape(text(lang, "counter", n="{n}", limit="{limit}"))}">'
        f'<span class="rqa-hint" role="status">{escape(hint)}</span>'
        f'<span class="rqa-counter{over}" aria-live="polite">{escape(counter)}</span></div>'
    )


def footer_html(lang: str) -> str:
    """The page's footer, in the interface language (Gradio's own follows the browser's locale)."""
    return f'<footer class="rqa-footer">{escape(text(lang, "footer"))}</footer>'
