"""The web chat's Evaluation tab: built inside Blocks, runs the dev set, escapes everything it shows,
and follows the interface language."""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from dataclasses import replace
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from matplotlib.figure import Figure

from qa.evaluation import TABLE_COLUMNS, default_questions_path
from ui import strings
from ui.eval_render import file_html, questions_html, status_html, table_html, table_value
from ui.eval_tab import build_eval_tab, chart, run_evaluation


def _tab(engine, lang: str = "tr"):
    with gr.Blocks() as demo:
        language = gr.Radio(strings.LANGUAGE_CHOICES, value=lang)
        with gr.Tabs():
            tab = build_eval_tab(lambda: engine, language)
    return demo, tab


def test_tab_is_added_inside_blocks_in_the_interface_language(engine):
    demo, tab = _tab(engine, "en")
    blocks = list(demo.blocks.values())
    assert [b.label for b in blocks if isinstance(b, gr.Tab)] == ["Evaluation"]
    for kind in (gr.UploadButton, gr.Button, gr.Plot, gr.HTML):
        assert any(isinstance(b, kind) for b in blocks), kind
    # gr.File and gr.Dataframe bring texts in the browser's locale ("Drop File Here") and break headers mid-word.
    assert not any(isinstance(b, gr.File | gr.Dataframe) for b in blocks)
    _, turkish = _tab(engine, "tr")
    assert turkish.tab.label == strings.text("tr", "eval_tab") and turkish.run.value == strings.text("tr", "eval_run")
    assert [value for _, value in turkish.retriever.choices] == ["bm25", "dense", "hybrid", "all"]
    # The language switch relabels exactly the components relabel() returns values for.
    relabel = next(fn for fn in demo.fns.values() if fn.name == "relabel")
    assert len(relabel.outputs) == len(tab.relabel("en", None, None)) == len(tab.relabelled)


@pytest.fixture(scope="module")
def dev_run(engine):
    calls: list[tuple[int, int, str]] = []
    run = run_evaluation(engine, None, "hybrid", lambda done, total, what: calls.append((done, total, what)))
    return run, calls


def test_dev_questions_run_with_progress(dev_run):
    run, calls = dev_run
    n_questions = sum(1 for line in default_questions_path().read_text(encoding="utf-8").splitlines() if line.strip())
    status = status_html(run, "en")
    assert "dev_questions.jsonl" in status and f"Evaluated <b>{n_questions}</b> questions" in status
    assert f"<b>{n_questions}</b> soru" in status_html(run, "tr")
    table = table_value(run, "en")
    assert table["headers"] == list(TABLE_COLUMNS)
    scopes = [row[1] for row in table["data"]]
    assert scopes[:3] == ["all", "tr", "en"] and any(s.startswith("kind:") for s in scopes)
    assert table_value(run, "tr")["data"] == table["data"]
    assert isinstance(chart(run), Figure)
    assert "<th scope='col'>cevaplanan</th>" in table_html(run, "tr") and "<td>hybrid</td>" in table_html(run, "tr")
    assert questions_html(run, "en").count("<details") == n_questions
    assert calls and calls[-1][0] == calls[-1][1]


def _fragments(lang: str, keys: Iterable[str], min_words: int = 1) -> set[str]:
    """The literal pieces (between format fields and commas) of the strings ``keys`` in ``lang``
    that the other language does not share."""
    other = "en" if lang == "tr" else "tr"
    fragments = set()
    for key in keys:
        for literal, *_ in string.Formatter().parse(strings.UI[lang][key]):
            for piece in (p.strip(" .,:;()“”") for p in literal.split(",")):
                if len(piece) >= 5 and len(piece.split()) >= min_words and piece not in strings.UI[other][key]:
                    fragments.add(piece)
    return fragments


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


TAB_KEYS = [key for key in strings.UI["en"] if key.startswith(("eval_", "mode_"))]
# The tab's labels: tab, description, upload, retriever switch and its choices, button, table columns, chart.
LABEL_KEYS = ["eval_tab", "eval_intro", "eval_upload", "eval_file_reset", "eval_retriever", "mode_bm25", "mode_dense",
              "mode_hybrid", "eval_all", "eval_run", "eval_chart"]
# The metrics table (HTML): its caption, its region's name and its word columns.
TABLE_KEYS = ["eval_metrics", "eval_table_label", "eval_column_retriever", "eval_column_scope",
              "eval_column_answered", "eval_column_cited", "eval_column_declined"]
# The strings a finished run shows (a single-mode run: no "declined"-only or citation variants needed).
RUN_KEYS = ["eval_status", "eval_per_question", "eval_evidence", "eval_relevant_passages", "eval_answer",
            "eval_relevant", "eval_retrieved", "eval_unanswerable"]
# Shown in other cases: while running, a refused file, other outcomes; test_bad_upload_shows_the_error and
# test_outcome_labels check them (the progress text only shows in a browser).
OTHER_KEYS = ["eval_progress", "eval_bad_file", "eval_cannot_run", "eval_answered", "eval_answered_cited",
              "eval_answered_uncited", "eval_declined", "eval_miss", "eval_file_dev", "eval_file_chosen"]


def test_every_string_of_the_tab_is_checked_below():
    """A new string joins LABEL_KEYS, RUN_KEYS or OTHER_KEYS, so the language tests see it."""
    assert sorted(TAB_KEYS) == sorted({*LABEL_KEYS, *TABLE_KEYS, *RUN_KEYS, *OTHER_KEYS})
    for key in TAB_KEYS:  # mode names included: "BM25 (sözcük)" is not "BM25 (keywords)"
        assert strings.UI["tr"][key] != strings.UI["en"][key], key


@pytest.mark.parametrize(("lang", "other"), [("tr", "en"), ("en", "tr")])
def test_a_run_shown_in_one_language_has_no_text_of_the_other(dev_run, lang, other):
    run, _ = dev_run
    shown = unescape(status_html(run, lang) + questions_html(run, lang) + " ".join(table_value(run, lang)["headers"]))
    missing = {fragment for fragment in _fragments(lang, RUN_KEYS) if fragment not in shown}
    assert not missing, missing
    # Phrases only: single words may occur in the data (English dev questions and their answers).
    leaked = {fragment for fragment in _fragments(other, TAB_KEYS, min_words=2) if fragment in shown}
    assert not leaked, leaked


@pytest.mark.parametrize(("lang", "other"), [("tr", "en"), ("en", "tr")])
def test_relabel_puts_every_label_in_the_language(engine, dev_run, lang, other):
    _, tab = _tab(engine, other)
    run, _ = dev_run
    updates = tab.relabel(lang, None, run)
    # The last run's panels are rendered again in the language (tested above) ...
    assert [u for u in updates if isinstance(u, str)] == [file_html(None, lang), status_html(run, lang),
                                                          table_html(run, lang), questions_html(run, lang)]
    table = unescape(table_html(run, lang))
    assert all(strings.text(lang, key) in table for key in TABLE_KEYS)
    # ... and every label, choice and column name is in it.
    labels = []
    for update in (u for u in updates if isinstance(u, dict)):
        labels += [update[key] for key in ("label", "value") if isinstance(update.get(key), str)]
        labels += [label for label, _ in update.get("choices", [])]
    assert sorted(labels) == sorted(strings.text(lang, key) for key in LABEL_KEYS)
    # The chart is drawn again, with its words in the language.
    figure = next(u["value"] for u in updates if isinstance(u, dict) and isinstance(u.get("value"), Figure))
    assert figure.axes[0].get_ylabel() == strings.text(lang, "chart_ylabel")
    leaked = {fragment for fragment in _fragments(other, TAB_KEYS) if fragment in " ".join(labels)}
    assert not leaked, leaked


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_chart_words_follow_the_language(dev_run, lang):
    run, _ = dev_run
    figure = chart(run, lang)
    texts = [figure.get_suptitle(), *(ax.get_title() for ax in figure.axes if ax.get_visible()),
             *(t.get_text() for legend in figure.legends for t in legend.get_texts()), figure.axes[0].get_ylabel()]
    assert figure.get_suptitle() == strings.text(lang, "chart_title", source="dev_questions.jsonl", k=10)
    assert figure.axes[0].get_title().startswith(strings.text(lang, "chart_all") + " (n=")
    assert strings.text(lang, "mode_hybrid") in texts and strings.text(lang, "chart_ylabel") in texts
    other = "en" if lang == "tr" else "tr"
    assert not {strings.text(other, key) for key in ("chart_ylabel", "chart_all", "mode_hybrid")} & set(texts)


def test_uploaded_file_is_escaped(engine, tmp_path: Path):
    question = {"id": "tr-x", "lang": "tr", "question": "<script>alert(1)</script> 1998 protokolü ne?",
                "evidence": ["20 Mayıs 1998 tarihinde"], "answerable": True, "kind": "<b>bold</b>"}
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(question, ensure_ascii=False) + "\n", encoding="utf-8")
    run = run_evaluation(engine, str(path), "bm25")
    questions = questions_html(run, "tr")
    assert "mine.jsonl" in status_html(run, "tr")
    assert "<script>" not in questions and "&lt;script&gt;" in questions
    assert "<b>bold</b>" not in questions and "kind:<b>bold</b>" in [row[1] for row in table_value(run, "tr")["data"]]
    assert "<mark>" in questions  # the evidence is highlighted in the relevant passage


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a"\n', "bad.jsonl:1: not valid JSON"),
        ('{"id": "a", "lang": "tr", "question": "<i>x</i>", "evidence": ["<i>nowhere</i>"], "answerable": true}\n',
         "bad.jsonl:1: question a: evidence span 1 is not in the corpus: “&lt;i&gt;nowhere&lt;/i&gt;”"),
    ],
)
@pytest.mark.parametrize("lang", ["tr", "en"])
def test_bad_upload_shows_the_error(engine, tmp_path: Path, content, message, lang):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    run = run_evaluation(engine, str(path), "hybrid")
    status = status_html(run, lang)
    assert message in status and "<i>" not in status
    assert strings.text(lang, "eval_bad_file") in status
    assert table_value(run, lang)["data"] == [] and chart(run) is None and questions_html(run, lang) == ""


def test_a_corpus_that_cannot_be_loaded_is_shown_as_the_reason(engine, tmp_path: Path):
    """Any user error (here a CorpusError) is caught in the one place and shown with its own message."""
    empty = tmp_path / "corpus"
    empty.mkdir()
    settings = engine.settings.model_copy(update={"corpus_dir": empty})
    run = run_evaluation(replace(engine, settings=settings), None, "bm25")
    status = status_html(run, "tr")
    assert strings.text("tr", "eval_cannot_run") in status and "no usable document" in status
    assert run.report is None and run.error is not None and not run.error.problems


OUTCOMES = [
    {"id": "hit", "lang": "tr", "question": "1998 protokolünü hangi ülkeler imzaladı?",
     "evidence": ["20 Mayıs 1998 tarihinde"], "answerable": True},
    {"id": "miss", "lang": "tr", "question": "Mercimek çorbası nasıl yapılır?",
     "evidence": ["20 Mayıs 1998 tarihinde"], "answerable": True},
    {"id": "off-topic", "lang": "en", "question": "Who won the 2018 World Cup?", "evidence": [], "answerable": False},
]


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_outcome_labels(engine, tmp_path: Path, lang):
    path = tmp_path / "outcomes.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in OUTCOMES), encoding="utf-8")
    run = run_evaluation(engine, str(path), "all")
    shown = unescape(questions_html(run, lang))
    for key in ("eval_answered_cited", "eval_declined", "eval_miss"):
        assert strings.text(lang, key) in shown, key
    assert run.modes == ("bm25", "dense", "hybrid")


def test_a_run_evaluates_the_engine_in_use_at_that_moment(engine, tmp_path: Path):
    """The Documents tab replaces the engine after an upload; the next run must evaluate that one."""
    holder = SimpleNamespace(engine=engine)
    with gr.Blocks() as demo:
        language = gr.Radio(strings.LANGUAGE_CHOICES, value="en")
        with gr.Tabs():
            build_eval_tab(lambda: holder.engine, language)
    handle = next(fn.fn for fn in demo.fns.values() if fn.name == "handle")
    empty = tmp_path / "corpus"
    empty.mkdir()
    holder.engine = replace(engine, settings=engine.settings.model_copy(update={"corpus_dir": empty}))
    *_, run = handle(None, "bm25", "en", progress=lambda *_a, **_k: None)
    assert run.report is None and "no usable document" in str(run.error)  # the new engine's corpus was read
