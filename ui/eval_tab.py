"""The web chat's "Evaluation" tab: run the dev questions or an uploaded question file.

Everything from documents and question files is HTML-escaped before it is shown.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import gradio as gr

from corpus import CorpusError, Passage
from qa.engine import Engine
from qa.evaluation import (
    RETRIEVERS,
    TABLE_COLUMNS,
    CorpusMismatchError,
    EvalReport,
    Occurrence,
    Outcome,
    Progress,
    QuestionFileError,
    default_questions_path,
    evaluate,
    load_question_set,
    report_chart,
    table_rows,
)
from qa.settings import Retrieval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ALL = "all"
K = 10
# Passages listed per question and retriever in the per-question details.
SHOWN_PASSAGES = 5
# A question gets ✓ when a relevant passage is ranked this high or better (hit@5).
HIT_RANK = 5
# At most one evaluation at a time; it has its own queue so the chat keeps answering meanwhile.
EVAL_GROUP = "evaluation"
# Scoped to the per-question list (gr.HTML css_template).
QUESTIONS_CSS = """
.rqa-eval-hit { color: #1a7f37; }
.rqa-eval-miss { color: #b42318; }
details.rqa-eval-question { border-bottom: 1px solid #e5e7eb; padding: 0.3em 0; }
details.rqa-eval-question summary { cursor: pointer; }
.rqa-eval-passage { color: #4b5563; font-size: 0.92em; margin: 0.2em 0 0.6em; white-space: pre-wrap; }
.rqa-eval-passage mark { background: #fef08a; color: inherit; }
"""


@dataclass(frozen=True)
class EvalView:
    """What the tab shows after a run (or after a file was refused)."""

    status: str  # HTML
    table: dict[str, Any]  # {"headers": [...], "data": [...]} for gr.Dataframe
    chart: Figure | None
    questions: str  # HTML


def _empty_table() -> dict[str, Any]:
    return {"headers": list(TABLE_COLUMNS), "data": []}


def run_evaluation(
    engine: Engine, upload: str | None, retriever: str, on_progress: Progress | None = None
) -> EvalView:
    """Evaluate ``engine`` on the uploaded question file, or on the shipped dev questions."""
    path = Path(upload) if upload else default_questions_path()
    # The Radio only offers RETRIEVERS and ALL, and Gradio rejects any other value.
    modes = list(RETRIEVERS) if retriever == ALL else [cast(Retrieval, retriever)]
    started = time.perf_counter()
    try:
        qset = load_question_set(path, engine.settings.index_config().corpus_dir,
                                 engine.settings.max_question_chars, source=path.name)
        report = evaluate(engine, qset, retrievers=modes, k=K, on_progress=on_progress)
    except QuestionFileError as exc:
        return _refused("The question file cannot be used", exc.problems)
    except (CorpusError, CorpusMismatchError) as exc:
        return _refused("Cannot evaluate", [str(exc)])
    elapsed = time.perf_counter() - started
    c = report.config
    status = (
        f"<p class='rqa-eval-status'>Evaluated <b>{c['n_questions']}</b> questions "
        f"({c['n_answerable']} answerable) from <code>{html.escape(path.name)}</code> with "
        f"{html.escape(', '.join(modes))}, k={K}, in {elapsed:.1f} s. Metrics are means over answerable "
        "questions with 95% bootstrap intervals; <i>answered</i>/<i>cited</i> are shares of answerable "
        "questions, <i>declined</i> of unanswerable ones.</p>"
    )
    return EvalView(
        status,
        {"headers": list(TABLE_COLUMNS), "data": [[str(cell) for cell in row] for row in table_rows(report)]},
        report_chart(report),
        questions_html(report),
    )


def _refused(heading: str, problems: list[str]) -> EvalView:
    """The view of a run that could not start: every problem, one per line."""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    status = f"<div class='rqa-eval-error'><p><b>{html.escape(heading)}:</b></p><ul>{items}</ul></div>"
    return EvalView(status, _empty_table(), None, "")


def _mark(outcome: Outcome) -> tuple[bool, str]:
    """(good, short label) of one outcome for the question's summary line."""
    q = outcome.question
    if not q.answerable:
        return not outcome.answer.answered, "declined" if not outcome.answer.answered else "answered"
    rank = outcome.first_relevant
    return rank is not None and rank <= HIT_RANK, f"#{rank}" if rank is not None else "miss"


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


def _question_details(outcomes: dict[str, Outcome], relevant: frozenset[str], evidence: tuple[Occurrence, ...]) -> str:
    q = next(iter(outcomes.values())).question
    marks = []
    for name, o in outcomes.items():
        good, label = _mark(o)
        marks.append(f"<span class='rqa-eval-{'hit' if good else 'miss'}'>{'✓' if good else '✗'} "
                     f"{html.escape(name)} {html.escape(label)}</span>")
    summary = (
        f"<summary>{' '.join(marks)} · <b>{html.escape(q.id)}</b> [{html.escape(q.lang)}"
        f"{', ' + html.escape(q.kind) if q.kind else ''}] {html.escape(q.question)}</summary>"
    )
    body = []
    if q.evidence:
        spans = "".join(f"<li>{html.escape(span)}</li>" for span in q.evidence)
        body.append(f"<p>Evidence:</p><ul>{spans}</ul>")
        body.append(f"<p>Relevant passages: {html.escape(', '.join(sorted(relevant)))}</p>")
    else:
        body.append("<p>Not answerable from the documents: the tool should decline.</p>")
    for name, o in outcomes.items():
        if o.answer.answered:
            cited = "" if o.correctly_cited is None else (", correct citation" if o.correctly_cited else
                                                          ", no correct citation")
            answer = f"answered{cited}: {html.escape(o.answer.answer)}"
        else:
            answer = "declined"
        body.append(f"<p><b>{html.escape(name)}</b> answer: {answer}</p>")
    # Each passage once, with its rank under every retriever that found it in the top SHOWN_PASSAGES.
    ranks: dict[str, dict[str, int]] = {}
    passages = {}
    for name, o in outcomes.items():
        for hit in o.hits[:SHOWN_PASSAGES]:
            ranks.setdefault(hit.passage.chunk_id, {})[name] = hit.rank
            passages[hit.passage.chunk_id] = hit.passage
    items = []
    for chunk_id in sorted(ranks, key=lambda c: min(ranks[c].values())):
        p = passages[chunk_id]
        where = " · ".join(f"{html.escape(name)} #{rank}" for name, rank in ranks[chunk_id].items())
        tag = " <b class='rqa-eval-hit'>relevant</b>" if chunk_id in relevant else ""
        items.append(
            f"<li><code>{html.escape(chunk_id)}</code>{tag} ({where}) {html.escape(p.section or '')}"
            f"<div class='rqa-eval-passage'>{_highlighted(p, evidence)}</div></li>"
        )
    body.append(f"<p>Retrieved passages (top {SHOWN_PASSAGES}):</p><ul>{''.join(items)}</ul>")
    return f"<details class='rqa-eval-question'>{summary}{''.join(body)}</details>"


def questions_html(report: EvalReport) -> str:
    """One expandable entry per question: hit or miss per retriever, and the retrieved passages."""
    by_question: dict[str, dict[str, Outcome]] = {}
    for name, r in report.reports.items():
        for o in r.outcomes:
            by_question.setdefault(o.question.id, {})[name] = o
    entries = [
        _question_details(outcomes, report.relevant.get(qid, frozenset()), report.qset.evidence[qid])
        for qid, outcomes in by_question.items()
    ]
    return (
        f"<div class='rqa-eval-questions'><p>Per question: ✓ when a relevant passage is in the top {HIT_RANK} "
        "(#rank of the first one), or when an unanswerable question is declined. Click a question for "
        f"its passages; evidence is highlighted.</p>{''.join(entries)}</div>"
    )


def _gradio_progress(progress: gr.Progress) -> Progress:
    def report(done: int, total: int, what: str) -> None:
        progress((done, total), desc=what)

    return report


def build_eval_tab(engine: Engine) -> None:
    """Add the "Evaluation" tab; call inside a ``gr.Blocks()`` (or ``gr.Tabs()``) context."""
    with gr.Tab("Evaluation", id="evaluation"):
        gr.Markdown(
            "Measure retrieval (hit@1, hit@5, MRR@10, nDCG@10) and answers on test questions: the shipped "
            "dev questions, or your own JSONL file (format in docs/evaluation.md)."
        )
        with gr.Row(equal_height=True):
            upload = gr.File(label="Question file (JSONL; empty: dev questions)", file_types=[".jsonl", ".json"],
                             type="filepath", scale=3)
            retriever = gr.Radio([*RETRIEVERS, ALL], value=engine.settings.retriever, label="Retriever", scale=2)
            run = gr.Button("Run evaluation", variant="primary", scale=1, elem_id="rqa-eval-run")
        status = gr.HTML("", js_on_load=None, elem_id="rqa-eval-status")
        table = gr.Dataframe(_empty_table(), label="Metrics", interactive=False, wrap=True, elem_id="rqa-eval-table")
        chart = gr.Plot(label="Metrics per retriever and language", format="png")
        questions = gr.HTML("", js_on_load=None, css_template=QUESTIONS_CSS, elem_id="rqa-eval-questions")

        def handle(file: str | None, mode: str, progress: gr.Progress = gr.Progress()) -> list[Any]:  # noqa: B008
            view = run_evaluation(engine, file, mode, _gradio_progress(progress))
            return [view.status, view.table, view.chart, view.questions]

        run.click(
            handle, [upload, retriever], [status, table, chart, questions],
            api_visibility="private", concurrency_limit=1, concurrency_id=EVAL_GROUP, show_progress_on=[status],
        )
