"""The report-qa CLI: JSON shapes, batch mode and error exits (real model, tmp index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

PASSAGE_KEYS = {"rank", "score", "chunk_id", "doc", "section", "page", "page_label", "paragraph", "text"}
CITATION_KEYS = {"n", "chunk_id", "doc", "section", "page", "paragraph", "quote", "text"}


@pytest.fixture(scope="module")
def cli_env(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {
        "REPORT_QA_CACHE_DIR": str(model_cache),
        "REPORT_QA_INDEX_DIR": str(tmp_path_factory.mktemp("cli-index")),
        "HF_HUB_OFFLINE": "1",
    }


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_index_then_up_to_date(cli_env):
    first = run(cli_env, "index", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["status"] == "built" and summary["passages"] >= 20 and summary["skipped"] == []
    second = run(cli_env, "index", "--json")
    assert json.loads(second.stdout.strip().splitlines()[-1])["status"] == "up-to-date"


def test_search_json_shape(cli_env):
    result = run(cli_env, "search", "Five Eyes nedir?", "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"id", "question", "passages"}
    assert len(data["passages"]) == 3
    assert all(set(p) == PASSAGE_KEYS for p in data["passages"])
    assert "Five Eyes" in data["passages"][0]["text"]


def test_ask_json_shape(cli_env):
    result = run(cli_env, "ask", "What does Table 1 list as risks of intelligence sharing?", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"id", "question", "language", "answered", "declined", "answer", "citations", "passages",
                         "answerer", "model", "dropped", "fallback_reason"}
    assert (data["answerer"], data["model"], data["dropped"], data["fallback_reason"]) == ("extractive", None, [], None)
    assert data["language"] == "en" and data["answered"] is True
    assert data["citations"] and all(set(c) >= CITATION_KEYS for c in data["citations"])
    assert all(set(p) == PASSAGE_KEYS for p in data["passages"])


def test_batch_mode_reports_broken_lines_and_answers_the_rest(cli_env, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_bytes(
        b'{"id": "a", "question": "Five Eyes nedir?"}\n'
        b"{not json\n"
        b'{"id": "c", "question": "   "}\n'
        b'{"id": "d", "question": "\xff\xfe broken"}\n'
        b'{"id": "e", "question": "What is INTCEN?"}\n'
    )
    result = run(cli_env, "ask", "--queries", str(queries))
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    answered = {line["id"]: line for line in lines if "answer" in line}
    assert set(answered) == {"a", "e"}
    errors = {line["line"]: line["error"] for line in lines if "error" in line}
    assert set(errors) == {2, 3, 4}
    assert "JSON" in errors[2] and "empty" in errors[3] and "UTF-8" in errors[4]
    assert "q.jsonl:2" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "the question is empty"),
        (["search", "   "], "the question is empty"),
        (["ask", "x" * 2500], "over the limit"),
        (["search", "Five Eyes", "-k", "0"], "-k must be between"),
        (["search", "Five Eyes", "-k", "-1"], "-k must be between"),
        (["search", "Five Eyes", "-k", "100000"], "-k must be between"),
        (["ask", "Five Eyes?", "--corpus", "/nonexistent/folder"], "corpus folder not found"),
    ],
)
def test_user_errors_exit_2_with_one_line(cli_env, args, message):
    result = run(cli_env, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_corpus_with_only_bad_files(cli_env, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "latin5.txt").write_bytes("Türkiye istihbarat".encode("iso-8859-9"))
    (corpus / "empty.md").write_text("")
    result = run({**cli_env, "REPORT_QA_INDEX_DIR": str(tmp_path / "idx")}, "index", "--corpus", str(corpus))
    assert result.exit_code == 2
    assert "latin5.txt: not valid UTF-8" in result.stderr and "empty.md: empty file" in result.stderr


def test_good_documents_are_indexed_and_bad_ones_named(cli_env, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text("# Notlar\n\nBeşli Göz (Five Eyes) bir istihbarat ittifakıdır. " * 5)
    (corpus / "bad.txt").write_bytes(b"\x00\x01binary")
    result = run({**cli_env, "REPORT_QA_INDEX_DIR": str(tmp_path / "idx")}, "index", "--corpus", str(corpus), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["documents"] == 1
    assert summary["skipped"] == [{"file": "bad.txt", "path": "bad.txt", "reason": summary["skipped"][0]["reason"],
                                   "code": "binary_text"}]
    assert "binary" in summary["skipped"][0]["reason"]
