"""`report-qa eval`: bad files exit 2 with one line; JSON shapes, output files and XQuAD (real model)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import qa.evaluation.xquad as xquad
from cli.main import cli

METRIC_KEYS = {"hit@1", "hit@5", "mrr@10", "ndcg@10", "n", "ci95"}
REPORT_KEYS = {"overall", "by_language", "by_kind", "answers", "pairs"}


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, ["eval", *args], env=env, catch_exceptions=False)


@pytest.fixture
def light_env(model_cache: Path, tmp_path: Path) -> dict[str, str]:
    """For runs that must fail before any model or index is loaded."""
    return {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(tmp_path / "index"),
            "HF_HUB_OFFLINE": "1"}


@pytest.fixture(scope="module")
def cli_env(engine, model_cache: Path) -> dict[str, str]:
    """Reuses the session engine's index, so the CLI only loads it."""
    return {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(engine.settings.resolved_index_dir),
            "HF_HUB_OFFLINE": "1"}


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


GOOD = {"id": "tr-1", "lang": "tr", "question": "Protokol ne zaman imzalandı?",
        "evidence": ["20 Mayıs 1998 tarihinde"], "answerable": True}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([json.dumps(GOOD), '{"id": "tr-2", "lang": '], "questions.jsonl:2: not valid JSON"),
        ([json.dumps({k: v for k, v in GOOD.items() if k != "answerable"})],
         "questions.jsonl:1: missing field 'answerable'"),
        ([json.dumps(GOOD | {"lang": "fr"})], "questions.jsonl:1: question tr-1: unknown lang 'fr'"),
        ([json.dumps(GOOD), json.dumps(GOOD | {"id": "tr-9", "evidence": ["hiçbir yerde geçmeyen bir cümle"]})],
         "questions.jsonl:2: question tr-9: evidence span 1 is not in the corpus"),
    ],
)
def test_bad_question_files_exit_2_with_one_line(light_env, tmp_path, lines, message):
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert message in _one_line_error(run(light_env, "--questions", str(path)))


def test_missing_question_file(light_env, tmp_path):
    assert "cannot read question file" in _one_line_error(run(light_env, "--questions", str(tmp_path / "nope.jsonl")))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "5"], "--limit applies to --benchmark only"),
        (["--benchmark", "xquad", "--questions", "x.jsonl"], "cannot be combined"),
        (["--benchmark", "xquad", "--limit", "0"], "--limit must be at least 1"),
        (["--benchmark", "xquad", "--corpus", "docs"], "do not apply to --benchmark"),
        (["-k", "0"], "-k must be between 1 and"),
    ],
)
def test_option_mistakes_exit_2(light_env, args, message):
    assert message in _one_line_error(run(light_env, *args))


def _check_report(report: dict) -> None:
    assert set(report) == REPORT_KEYS
    assert set(report["by_language"]) == {"tr", "en"}
    for group in [report["overall"], *report["by_language"].values(), *report["by_kind"].values()]:
        assert set(group) == METRIC_KEYS
        assert all(0.0 <= group[m] <= 1.0 for m in METRIC_KEYS - {"n", "ci95"})
    assert {"fact", "paraphrase"} <= set(report["by_kind"])
    answers = report["answers"]
    assert set(answers) == {"answerable", "unanswerable", "by_language"}
    assert {"answered", "correctly_cited", "first_quote_cited", "n"} <= set(answers["answerable"])
    assert {"off-topic", "not-in-report"} <= set(answers["unanswerable"]["by_kind"])
    assert set(report["pairs"]) == {"n", "tr", "en", "gap", "gap_ci95"} and report["pairs"]["n"] >= 10
    assert report["pairs"]["gap"]["mrr@10"] == pytest.approx(
        report["pairs"]["tr"]["mrr@10"] - report["pairs"]["en"]["mrr@10"], abs=1e-3
    )


def test_json_shape_on_the_dev_set(cli_env):
    result = run(cli_env, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report.pop("config")["retrievers"] == ["hybrid"]
    _check_report(report)


def test_all_retrievers_nested_and_written_to_out(cli_env, tmp_path):
    out = tmp_path / "eval"
    result = run(cli_env, "--retriever", "all", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"config", "retrievers"}
    assert list(report["retrievers"]) == ["bm25", "dense", "hybrid"]
    for nested in report["retrievers"].values():
        _check_report(nested)

    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == report
    assert (out / "metrics.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    qrels = (out / "qrels.txt").read_text(encoding="utf-8").splitlines()
    assert qrels and all(len(line.split()) == 4 and line.split()[1] == "0" for line in qrels)
    for name in ("bm25", "dense", "hybrid"):
        lines = (out / f"run.{name}.txt").read_text(encoding="utf-8").splitlines()
        fields = [line.split() for line in lines]
        assert all(len(f) == 6 and f[1] == "Q0" and f[5] == f"report-qa-{name}" for f in fields)
        judged = {line.split()[0] for line in qrels}
        # BM25 retrieves nothing for a question sharing no term with the report; the others always do.
        assert {f[0] for f in fields} <= judged if name == "bm25" else {f[0] for f in fields} == judged
    with (out / "questions.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["retriever", "id", "language", "kind", "answerable", "first_relevant_rank", "answered",
                             "correctly_cited", "declined", "split", "question", "first_quote_cited"]
    assert all(r["question"].strip() and r["split"] in ("tune", "test") for r in rows)
    # A declined question says why; an answered one leaves the reason empty.
    assert all((r["declined"] in ("off_topic", "not_in_report")) == (r["answered"] == "false") for r in rows)
    assert any(r["declined"] == "off_topic" for r in rows if r["kind"] == "off-topic")
    n_questions = report["config"]["n_questions"]
    assert len(rows) == 3 * n_questions
    unanswerable = [r for r in rows if r["answerable"] == "false"]
    assert unanswerable and all(
        r["first_relevant_rank"] == "" and r["correctly_cited"] == r["first_quote_cited"] == "" for r in unanswerable
    )
    # A first quote that touches the evidence is a correct citation.
    assert all(r["correctly_cited"] == "true" for r in rows if r["first_quote_cited"] == "true")


def test_split_evaluates_the_tune_or_test_half_of_every_dev_file(cli_env):
    from qa.evaluation import dev_question_paths, load_question_files

    questions = load_question_files(dev_question_paths())
    for split in ("tune", "test"):
        result = run(cli_env, "--retriever", "bm25", "--split", split, "--json")
        assert result.exit_code == 0, result.output
        config = json.loads(result.stdout)["config"]
        assert config["split"] == split
        assert config["n_questions"] == sum(1 for q in questions if q.split == split)


def test_text_output_is_one_table(cli_env):
    result = run(cli_env, "--retriever", "bm25")
    assert result.exit_code == 0, result.output
    assert "hit@1" in result.stdout and "mrr@10" in result.stdout
    assert any(line.startswith("bm25") and " tr " in line for line in result.stdout.splitlines())


@pytest.fixture
def small_xquad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real XQuAD files cut to their first two articles' first four paragraphs: a quick index."""
    folder = tmp_path / "xquad"
    folder.mkdir()
    for lang in ("tr", "en"):
        data = json.loads((xquad.XQUAD_DIR / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        data["data"] = [article | {"paragraphs": article["paragraphs"][:4]} for article in data["data"][:2]]
        (folder / f"xquad.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(xquad, "XQUAD_DIR", folder)
    return folder


def test_xquad_with_limit_returns_the_four_settings(cli_env, small_xquad):
    result = run(cli_env, "--benchmark", "xquad", "--limit", "20", "--retriever", "all", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["benchmark"] == "xquad" and report["config"]["questions"] == 20
    assert list(report["settings"]) == ["tr-tr", "en-en", "en-tr", "tr-en"]
    for by_retriever in report["settings"].values():
        assert list(by_retriever) == ["bm25", "dense", "hybrid"]
        assert all(set(s) == METRIC_KEYS and s["n"] == 20 for s in by_retriever.values())
    # Same-language retrieval over a handful of paragraphs is easy; a broken qrels would score 0.
    assert report["settings"]["tr-tr"]["hybrid"]["hit@5"] >= 0.8
    assert {"index_tr_s", "index_en_s", "embed_s", "search_s", "total_s"} <= set(report["timings"])
