"""The web chat's Evaluation tab: built inside Blocks, runs the dev set, escapes everything it shows."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest
from matplotlib.figure import Figure

from qa.evaluation import TABLE_COLUMNS, default_questions_path
from ui.eval_tab import build_eval_tab, run_evaluation


def test_tab_is_added_inside_blocks(engine):
    with gr.Blocks() as demo, gr.Tabs():
        build_eval_tab(engine)
    blocks = list(demo.blocks.values())
    assert [b.label for b in blocks if isinstance(b, gr.Tab)] == ["Evaluation"]
    for kind in (gr.File, gr.Button, gr.Dataframe, gr.Plot, gr.HTML):
        assert any(isinstance(b, kind) for b in blocks), kind


def test_dev_questions_run_with_progress(engine):
    calls: list[tuple[int, int, str]] = []
    view = run_evaluation(engine, None, "hybrid", lambda done, total, what: calls.append((done, total, what)))
    n_questions = sum(1 for line in default_questions_path().read_text(encoding="utf-8").splitlines() if line.strip())
    assert "dev_questions.jsonl" in view.status and f"<b>{n_questions}</b> questions" in view.status
    assert view.table["headers"] == list(TABLE_COLUMNS)
    scopes = [row[1] for row in view.table["data"]]
    assert scopes[:3] == ["all", "tr", "en"] and any(s.startswith("kind:") for s in scopes)
    assert isinstance(view.chart, Figure)
    assert view.questions.count("<details") == n_questions
    assert calls and calls[-1][0] == calls[-1][1]


def test_uploaded_file_is_escaped(engine, tmp_path: Path):
    question = {"id": "tr-x", "lang": "tr", "question": "<script>alert(1)</script> 1998 protokolü ne?",
                "evidence": ["20 Mayıs 1998 tarihinde"], "answerable": True, "kind": "<b>bold</b>"}
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(question, ensure_ascii=False) + "\n", encoding="utf-8")
    view = run_evaluation(engine, str(path), "bm25")
    assert "mine.jsonl" in view.status
    assert "<script>" not in view.questions and "&lt;script&gt;" in view.questions
    assert "<b>bold</b>" not in view.questions and "kind:<b>bold</b>" in [row[1] for row in view.table["data"]]
    assert "<mark>" in view.questions  # the evidence is highlighted in the relevant passage


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a"\n', "bad.jsonl:1: not valid JSON"),
        ('{"id": "a", "lang": "tr", "question": "<i>x</i>", "evidence": ["<i>nowhere</i>"], "answerable": true}\n',
         "bad.jsonl:1: question a: evidence span 1 is not in the corpus: “&lt;i&gt;nowhere&lt;/i&gt;”"),
    ],
)
def test_bad_upload_shows_the_error(engine, tmp_path: Path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    view = run_evaluation(engine, str(path), "hybrid")
    assert message in view.status and "<i>" not in view.status
    assert view.table["data"] == [] and view.chart is None and view.questions == ""
