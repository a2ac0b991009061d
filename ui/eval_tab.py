"""The web chat's "Evaluation" tab: run the dev questions or an uploaded question file.

The tab follows the interface language: its labels, and the last run's status, table and
per-question list, are rendered again when the language switch changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa.engine import Engine
from qa.evaluation import Progress, default_questions_path, evaluate, load_question_set, report_chart
from qa.modes import EVALUATION_ORDER, RetrievalMode
from ui.errors import UserError, attempt
from ui.eval_render import EvalRun, chart_labels, file_html, questions_html, status_html, table_html
from ui.strings import text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ALL = "all"
K = 10
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
# The metrics table: one line per header (never "answere|d"), sideways scrolling when narrow.
TABLE_CSS = """
.rqa-table-scroll { overflow-x: auto; max-width: 100%; }
.rqa-eval-metrics { border-collapse: collapse; font-size: .9rem; font-variant-numeric: tabular-nums; }
.rqa-eval-metrics caption { text-align: left; font-weight: 700; padding: .2rem 0 .4rem; }
.rqa-eval-metrics th, .rqa-eval-metrics td { padding: .3rem .6rem; border-bottom: 1px solid #d1d5db; text-align: left; }
.rqa-eval-metrics th { white-space: nowrap; word-break: keep-all; overflow-wrap: normal; hyphens: none; }
.rqa-eval-metrics td { white-space: nowrap; }
"""


def retriever_choices(lang: str) -> list[tuple[str, str]]:
    """The retriever switch: each mode in the order evaluation reports them, then all of them."""
    modes = [(text(lang, f"mode_{mode.value}"), mode.value) for mode in EVALUATION_ORDER]
    return [*modes, (text(lang, "eval_all"), ALL)]


def run_evaluation(
    engine: Engine, upload: str | None, retriever: str, on_progress: Progress | None = None
) -> EvalRun:
    """Evaluate ``engine`` on the uploaded question file, or on the shipped dev questions.

    ``retriever`` is a mode's name or ``"all"``. A user's mistake (a broken question file, a
    corpus that cannot be loaded) comes back in the run's ``error``.
    """
    path = Path(upload) if upload else default_questions_path()
    modes = EVALUATION_ORDER if retriever == ALL else (RetrievalMode(retriever),)
    started = time.perf_counter()
    report = attempt(lambda: evaluate(
        engine,
        load_question_set(path, engine.settings.index_config().corpus_dir, engine.settings.max_question_chars,
                          source=path.name),
        retrievers=modes, k=K, on_progress=on_progress,
    ))
    names = tuple(mode.value for mode in modes)
    elapsed = time.perf_counter() - started
    if isinstance(report, UserError):
        return EvalRun(path.name, names, K, elapsed, error=report)
    return EvalRun(path.name, names, K, elapsed, report=report)


def chart(run: EvalRun | None, lang: str = "en") -> Figure | None:
    """The run's chart with its words in ``lang`` (None when it did not run)."""
    return report_chart(run.report, chart_labels(lang)) if run is not None and run.report is not None else None


@dataclass
class EvalTab:
    """The tab's components, and what they show in each language."""

    tab: gr.Tab
    intro: gr.Markdown
    # An upload button, not gr.File: gr.File's "Drop File Here" follows the browser's locale.
    upload: gr.UploadButton
    file: gr.HTML
    reset: gr.Button
    retriever: gr.Radio
    run: gr.Button
    status: gr.HTML
    table: gr.HTML
    chart: gr.Plot
    questions: gr.HTML
    chosen: gr.State
    last_run: gr.State

    def relabel(self, lang: str, chosen: str | None, run: EvalRun | None) -> list[Any]:
        """Every label and the last run (chart included) in ``lang``, in the order of :attr:`relabelled`."""
        return [
            gr.update(label=text(lang, "eval_tab")),
            gr.update(value=text(lang, "eval_intro")),
            gr.update(label=text(lang, "eval_upload")),
            file_html(Path(chosen).name if chosen else None, lang),
            gr.update(value=text(lang, "eval_file_reset")),
            gr.update(label=text(lang, "eval_retriever"), choices=retriever_choices(lang)),
            gr.update(value=text(lang, "eval_run")),
            status_html(run, lang),
            table_html(run, lang),
            gr.update(label=text(lang, "eval_chart"), value=chart(run, lang)),
            questions_html(run, lang),
        ]

    @property
    def relabelled(self) -> list[Any]:
        return [self.tab, self.intro, self.upload, self.file, self.reset, self.retriever, self.run, self.status,
                self.table, self.chart, self.questions]


def build_eval_tab(current: Callable[[], Engine], language: gr.Radio) -> EvalTab:
    """Add the "Evaluation" tab, following the interface language ``language`` holds.

    ``current`` returns the engine to evaluate at each run: the Documents tab replaces the
    engine when documents are added or removed, and a run must see the index users now ask.
    Call inside a ``gr.Blocks()`` (or ``gr.Tabs()``) context.
    """
    engine = current()
    lang = str(language.value)
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Tab(text(lang, "eval_tab"), id="evaluation") as tab:
        last_run = gr.State(None)
        chosen = gr.State(None)  # the uploaded question file's path; None: the dev questions
        intro = gr.Markdown(text(lang, "eval_intro"))
        with gr.Row(equal_height=True):
            with gr.Column(scale=3, min_width=220):
                file = gr.HTML(file_html(None, lang), js_on_load=None, elem_id="rqa-eval-file")
                with gr.Row():
                    upload = gr.UploadButton(text(lang, "eval_upload"), file_types=[".jsonl", ".json"],
                                             type="filepath", variant="secondary", size="sm",
                                             elem_id="rqa-eval-upload")
                    reset = gr.Button(text(lang, "eval_file_reset"), variant="secondary", size="sm",
                                      elem_id="rqa-eval-reset")
            retriever = gr.Radio(retriever_choices(lang), value=engine.settings.retriever.value,
                                 label=text(lang, "eval_retriever"), scale=2, elem_id="rqa-eval-retriever")
            run = gr.Button(text(lang, "eval_run"), variant="primary", scale=1, elem_id="rqa-eval-run")
        status = gr.HTML("", js_on_load=None, elem_id="rqa-eval-status")
        table = gr.HTML(table_html(None, lang), js_on_load=None, css_template=TABLE_CSS, elem_id="rqa-eval-table")
        plot = gr.Plot(label=text(lang, "eval_chart"), format="png")
        questions = gr.HTML("", js_on_load=None, css_template=QUESTIONS_CSS, elem_id="rqa-eval-questions")
    view = EvalTab(tab, intro, upload, file, reset, retriever, run, status, table, plot, questions, chosen, last_run)

    def handle(file: str | None, mode: str, lang: str, progress: gr.Progress = gr.Progress()) -> list[Any]:  # noqa: B008
        def report(done: int, total: int, what: str) -> None:
            progress((done, total), desc=text(lang, "eval_progress"))

        result = run_evaluation(current(), file, mode, report)
        return [status_html(result, lang), table_html(result, lang), chart(result, lang), questions_html(result, lang),
                result]

    def pick(path: str | None, lang: str) -> tuple[str | None, str]:
        return path, file_html(Path(path).name if path else None, lang)

    upload.upload(pick, [upload, language], [chosen, file], queue=False, **private)
    reset.click(lambda lang: pick(None, lang), [language], [chosen, file], queue=False, **private)
    run.click(
        handle, [chosen, retriever, language], [status, table, plot, questions, last_run],
        concurrency_limit=1, concurrency_id=EVAL_GROUP, show_progress_on=[status], **private,
    )
    language.change(view.relabel, [language, chosen, last_run], view.relabelled, queue=False, **private)
    return view
