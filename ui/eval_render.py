"""HTML and table values of the Evaluation tab, in either interface language.

A run (:class:`EvalRun`) is kept per session, so a language switch renders it again. Everything
from documents and question files is HTML-escaped before it is shown.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corpus import Passage
from qa.evaluation import TABLE_COLUMNS, EvalReport, Occurrence, Outcome, table_rows
from qa.modes import RetrievalMode
from ui.errors import UserError
from ui.strings import html_text, text

# Passages listed per question and retriever in the per-question details.
SHOWN_PASSAGES = 5
# A question gets ✓ when a relevant passage is ranked this high or better (hit@5).
HIT_RANK = 5
# The table's columns that are words; "n" and the metric names read the same in both languages.
_WORD_COLUMNS = ("retriever", "scope", "answered", "cited", "declined")


@dataclass(frozen=True)
class EvalRun:
    """One press of "Run evaluation": the report, or the user's mistake that stopped it."""

    source: str  # the question file's name
    modes: tuple[str, ...]
    k: int
    seconds: float
    report: EvalReport | None = None
    error: UserError | None = None


def column_label(column: str, lang: str) -> str:
    """The header of one of ``TABLE_COLUMNS`` in ``lang``."""
    return text(lang, f"eval_column_{column}") if column in _WORD_COLUMNS else column


def table_value(run: EvalRun | None, lang: str) -> dict[str, Any]:
    """The metrics table for ``gr.Dataframe``: headers in ``lang``; cells as ``report-qa eval`` prints them."""
    rows = table_rows(run.report) if run is not None and run.report is not None else []
    return {"headers": [column_label(c, lang) for c in TABLE_COLUMNS], "data": [[str(c) for c in row] for row in rows]}


def table_html(run: EvalRun | None, lang: str) -> str:
    """The metrics table as HTML: headers never broken mid-word, scrolling sideways on a narrow screen.

    The scroll box is a labelled, focusable region, so keyboard users can scroll it too.
    """
    value = table_value(run, lang)
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in value["headers"])
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in value["data"]
    )
    caption = html.escape(text(lang, "eval_metrics"))
    label = html.escape(text(lang, "eval_table_label"))
    return (
        f"<div class='rqa-table-scroll' role='region' aria-label='{label}' tabindex='0'>"
        f"<table class='rqa-eval-metrics'><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def chart_labels(lang: str) -> dict[str, str]:
    """The chart's words in ``lang`` (keys of ``qa.evaluation.reports.CHART_LABELS``, groups, retrievers)."""
    retrievers = {mode: text(lang, f"mode_{mode}") for mode in RetrievalMode.names()}
    return {"ylabel": text(lang, "chart_ylabel"), "title": text(lang, "chart_title", source="{source}", k="{k}"),
            "all": text(lang, "chart_all"), **retrievers}


def file_html(name: str | None, lang: str) -> str:
    """Which question file a run will use: the uploaded one, or the shipped dev questions."""
    line = text(lang, "eval_file_chosen", name=name) if name else text(lang, "eval_file_dev")
    return f"<p class='rqa-eval-file'>{html.escape(line)}</p>"


def status_html(run: EvalRun | None, lang: str) -> str:
    """What the run did (or every problem that stopped it); empty before the first run."""
    if run is None:
        return ""
    if run.error is not None:
        heading = "eval_bad_file" if run.error.problems else "eval_cannot_run"
        items = "".join(f"<li>{html.escape(p)}</li>" for p in run.error.problems or (run.error.message,))
        return f"<div class='rqa-eval-error'><p><b>{html_text(lang, heading)}:</b></p><ul>{items}</ul></div>"
    if run.report is None:
        return ""
    c = run.report.config
    quoted = {key: html_text(lang, f"eval_column_{key}") for key in ("answered", "cited", "declined")}
    status = html_text(
        lang, "eval_status", n=f"<b>{int(c['n_questions'])}</b>", answerable=str(int(c["n_answerable"])),
        source=f"<code>{html.escape(run.source)}</code>", modes=html.escape(", ".join(run.modes)),
        k=str(run.k), seconds=f"{run.seconds:.1f}", **quoted,
    )
    return f"<p class='rqa-eval-status'>{status}</p>"


def _mark(outcome: Outcome, lang: str) -> tuple[bool, str]:
    """(good, short label) of one outcome for the question's summary line."""
    if not outcome.question.answerable:
        declined = not outcome.answer.answered
        return declined, text(lang, "eval_declined" if declined else "eval_answered")
    rank = outcome.first_relevant
    return rank is not None and rank <= HIT_RANK, f"#{rank}" if rank is not None else text(lang, "eval_miss")


def _highlighted(passage: Passage, evidence: tuple[Occurrence, ...]) -> str:
    """The passage's text, escaped, with the characters of every evidence occurrence in <mark>."""
    marked = [False] * len(passage.text)
    for o in evidence:
        if o.doc == passage.doc:
            for offset in range(max(o.offsets[0], passage.start), min(o.offsets[-1] + 1, passage.end)):
                marked[offset - passage.start] = True
    out, i = [], 0
    while i < len(marked):
        j = i
        while j < len(marked) and marked[j] == marked[i]:
            j += 1
        piece = html.escape(passage.text[i:j])
        out.append(f"<mark>{piece}</mark>" if marked[i] else piece)
        i = j
    return "".join(out)


def _answer_label(outcome: Outcome, lang: str) -> str:
    if not outcome.answer.answered:
        return text(lang, "eval_declined")
    key = {None: "eval_answered", True: "eval_answered_cited", False: "eval_answered_uncited"}[outcome.correctly_cited]
    return f"{text(lang, key)}: {outcome.answer.answer}"


def _question_details(
    outcomes: Mapping[str, Outcome], relevant: frozenset[str], evidence: tuple[Occurrence, ...], lang: str
) -> str:
    q = next(iter(outcomes.values())).question
    marks = []
    for name, o in outcomes.items():
        good, label = _mark(o, lang)
        marks.append(f"<span class='rqa-eval-{'hit' if good else 'miss'}'>{'✓' if good else '✗'} "
                     f"{html.escape(name)} {html.escape(label)}</span>")
    summary = (
        f"<summary>{' '.join(marks)} · <b>{html.escape(q.id)}</b> [{html.escape(q.lang)}"
        f"{', ' + html.escape(q.kind) if q.kind else ''}] {html.escape(q.question)}</summary>"
    )
    body = []
    if q.evidence:
        spans = "".join(f"<li>{html.escape(span)}</li>" for span in q.evidence)
        body.append(f"<p>{html_text(lang, 'eval_evidence')}</p><ul>{spans}</ul>")
        ids = html.escape(", ".join(sorted(relevant)))
        body.append(f"<p>{html_text(lang, 'eval_relevant_passages', ids=ids)}</p>")
    else:
        body.append(f"<p>{html_text(lang, 'eval_unanswerable')}</p>")
    for name, o in outcomes.items():
        answer = html.escape(_answer_label(o, lang))
        body.append(f"<p>{html_text(lang, 'eval_answer', retriever=f'<b>{html.escape(name)}</b>', answer=answer)}</p>")
    # Each passage once, with its rank under every retriever that found it in the top SHOWN_PASSAGES.
    ranks: dict[str, dict[str, int]] = {}
    passages: dict[str, Passage] = {}
    for name, o in outcomes.items():
        for hit in o.hits[:SHOWN_PASSAGES]:
            ranks.setdefault(hit.passage.chunk_id, {})[name] = hit.rank
            passages[hit.passage.chunk_id] = hit.passage
    tag = f" <b class='rqa-eval-hit'>{html_text(lang, 'eval_relevant')}</b>"
    items = []
    for chunk_id in sorted(ranks, key=lambda c: min(ranks[c].values())):
        p = passages[chunk_id]
        where = " · ".join(f"{html.escape(name)} #{rank}" for name, rank in ranks[chunk_id].items())
        items.append(
            f"<li><code>{html.escape(chunk_id)}</code>{tag if chunk_id in relevant else ''} ({where}) "
            f"{html.escape(p.section or '')}<div class='rqa-eval-passage'>{_highlighted(p, evidence)}</div></li>"
        )
    body.append(f"<p>{html_text(lang, 'eval_retrieved', n=str(SHOWN_PASSAGES))}</p><ul>{''.join(items)}</ul>")
    return f"<details class='rqa-eval-question'>{summary}{''.join(body)}</details>"


def questions_html(run: EvalRun | None, lang: str) -> str:
    """One expandable entry per question: hit or miss per retriever, and the retrieved passages."""
    if run is None or run.report is None:
        return ""
    report = run.report
    by_question: dict[str, dict[str, Outcome]] = {}
    for name, r in report.reports.items():
        for o in r.outcomes:
            by_question.setdefault(o.question.id, {})[name] = o
    entries = [
        _question_details(outcomes, report.relevant.get(qid, frozenset()), report.qset.evidence[qid], lang)
        for qid, outcomes in by_question.items()
    ]
    intro = html_text(lang, "eval_per_question", k=str(HIT_RANK))
    return f"<div class='rqa-eval-questions'><p>{intro}</p>{''.join(entries)}</div>"
