"""`report-qa eval --answerer llm`: generated-answer figures, judged by our validator (scripted LLM)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from llm_helpers import Script, scripted_llm

from cli.main import cli

QUESTIONS = [
    {"id": "en-002", "lang": "en", "question": "What was created by the 2009 Nakhchivan Agreement?",
     "evidence": ["2009 Nahçıvan Anlaşması ile Türk Keneşi olarak kurumsallaşmış"], "answerable": True,
     "kind": "fact",
     "answer": "The 2009 Nakhchivan Agreement institutionalised the cooperation as the Turkic Council."},
    {"id": "tr-002", "lang": "tr", "question": "2009 Nahçıvan Anlaşması ile ne kuruldu?",
     "evidence": ["2009 Nahçıvan Anlaşması ile Türk Keneşi olarak kurumsallaşmış"], "answerable": True,
     "kind": "fact"},
    {"id": "off-1", "lang": "en", "question": "How do I bake sourdough bread at home?", "evidence": [],
     "answerable": False, "kind": "off-topic"},
]


def test_eval_reports_generated_answer_figures(model_cache, engine, tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    env = {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(engine.settings.resolved_index_dir),
           "HF_HUB_OFFLINE": "1"}
    with scripted_llm() as server:
        server.will(
            # en-002: one supported sentence (two citations, one of them never sent), one invented figure.
            Script(text="The 2009 Nakhchivan Agreement institutionalised the cooperation as the Turkic Council "
                        "[1][8]. It had 45 members [1]."),
            Script(text="CANNOT_ANSWER"),  # tr-002
        )
        result = CliRunner().invoke(cli, ["eval", "--questions", str(path), "--answerer", "llm", "--llm", server.url,
                                          "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    generated = json.loads(result.stdout)["generated"]
    assert generated["model"] == "scripted" and generated["fallbacks"] == 0
    assert generated["by_kind"]["fact"] == {"questions": 2, "answered": 1, "declined": 1, "fallback": 0}
    assert generated["by_kind"]["off-topic"]["declined"] == 1
    assert generated["sentences_written"] == 2
    assert generated["citation_recall"] == 0.5 and generated["dropped_share"] == 0.5
    assert generated["citation_precision"] == round(1 / 3, 3)  # [1] supports; [8] never sent; [1] lacks "45"
    assert generated["language_match"] == 1.0
    agreement = generated["reference_agreement"]
    assert agreement["questions"] == 1 and agreement["mean_similarity"] > 0.9


def test_question_files_accept_a_reference_answer(tmp_path):
    from qa.evaluation.questions import load_questions

    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(QUESTIONS[0]) + "\n", encoding="utf-8")
    assert load_questions(path)[0].answer == QUESTIONS[0]["answer"]


def test_bench_llm_times_what_we_add_around_the_server(model_cache, engine):
    env = {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(engine.settings.resolved_index_dir),
           "HF_HUB_OFFLINE": "1"}
    with scripted_llm() as server:
        for _ in range(4):
            server.reply("The 2009 Nakhchivan Agreement institutionalised the cooperation as the Turkic Council [1].")
        result = CliRunner().invoke(cli, ["bench", "--llm", server.url, "--llm-questions", "3", "--json"], env=env,
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "scripted" and data["questions"] == 3 and len(server.requests) == 4
    for key in ("retrieval_ms", "prompt_ms", "validation_ms", "server_ms", "server_first_token_ms", "added_ms",
                "first_token_added_ms"):
        assert 0 <= data[key]["p50"] <= data[key]["p95"]
    assert isinstance(data["targets"]["met"], bool)


def test_bench_llm_with_a_dead_server_is_one_line(model_cache, engine):
    from qa.ports import free_port

    env = {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(engine.settings.resolved_index_dir),
           "HF_HUB_OFFLINE": "1"}
    result = CliRunner().invoke(cli, ["bench", "--llm", f"http://127.0.0.1:{free_port()}/v1"], env=env)
    assert result.exit_code == 2 and "cannot reach the LLM server" in result.stderr
    assert "Traceback" not in result.output
