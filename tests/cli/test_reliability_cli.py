"""Bad input to the CLI and the Python API: a clear message naming the problem, never a traceback.

The CLI runs in-process (click's CliRunner) over the session's engine, so each case costs one
answer; one test runs the real ``python -m qa`` in a subprocess to check exit status and streams.
Decided behaviour:

* empty or whitespace-only, too long (100,000 characters), only punctuation or emoji → an error
  naming the problem (exit status 2 on the CLI, QuestionError in Python);
* control characters, NUL bytes, zero-width and bidi characters are replaced by spaces, mixed
  scripts are kept: the question is answered or declined, not refused;
* a --queries file is answered line by line: each broken line (invalid UTF-8, invalid JSON, not an
  object, a bad question) is reported with its line number, the others are answered, and the exit
  status is 2 when any line failed;
* -k outside 1..1000 is refused before anything is loaded.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability_helpers import PYTHON, REPO, real_index_dir, subprocess_env

from cli.context import MAX_K
from cli.main import cli
from qa import strings
from qa.answer import QuestionError
from qa.engine import Engine

TOO_LONG = "x" * 100_000
BAD_QUESTIONS = {
    "empty": ("", strings.EMPTY_QUESTION),
    "whitespace": ("   \t\n  ", strings.EMPTY_QUESTION),
    "only control characters": ("\x07\x1b\x7f\u200b", strings.EMPTY_QUESTION),
    "100,000 characters": (TOO_LONG, strings.QUESTION_TOO_LONG.format(n=100_000, limit=2000)),
    "only punctuation": ("?!… ... ¿¡ — «»", strings.NO_WORDS),
    "only emoji": ("😀🎉🔥 🇹🇷", strings.NO_WORDS),
}
ODD_BUT_FINE = {
    "mixed scripts": ("Kazakhstan Қазақстан Kazakistan?", "Kazakhstan Қазақстан Kazakistan?"),
    "control characters": ("1998\x07 protokolü\x1b[31m nedir?\x7f", "1998 protokolü [31m nedir?"),
    "zero-width and bidi": ("Türk\u200b Devletleri\u202e Teşkilatı\u2066 nedir?", "Türk Devletleri Teşkilatı nedir?"),
    "markup": ("<img src=x onerror=alert(1)> TDT nedir?", "<img src=x onerror=alert(1)> TDT nedir?"),
    "fullwidth and combining": ("Ｔu\u0308rk devletleri\u0301?", "Ｔürk devletlerí?"),  # NFC
}


@pytest.fixture
def invoke(engine, monkeypatch):
    """Run the CLI in-process over the session engine; fail on any unhandled exception."""
    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, settings, **kw: engine))

    def run(*args: str):
        result = CliRunner().invoke(cli, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"unhandled {result.exception!r}\n{result.output}") from result.exception
        assert "Traceback" not in result.output
        return result

    return run


def _answer_shape(data: dict) -> None:
    assert data["answered"] in (True, False)
    if data["answered"]:
        assert data["answer"].startswith(strings.ANSWER_LEAD[data["language"]]) and data["citations"]
    else:
        assert data["answer"] == strings.DECLINED[data["declined"]][data["language"]]
    assert data["passages"]


# --- one question on the command line -------------------------------------------------------------


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("case", list(BAD_QUESTIONS))
def test_bad_question_is_a_one_line_error_with_status_2(invoke, command, case):
    question, message = BAD_QUESTIONS[case]
    result = invoke(command, "--json", question)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize("case", list(ODD_BUT_FINE))
def test_odd_questions_are_cleaned_and_answered_or_declined(invoke, case):
    question, cleaned = ODD_BUT_FINE[case]
    result = invoke("ask", "--json", question)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question"] == cleaned
    _answer_shape(data)
    search = invoke("search", "--json", "-k", "3", question)
    assert search.exit_code == 0 and len(json.loads(search.stdout)["passages"]) == 3


@pytest.mark.parametrize("k", ["0", "-1", "100000", str(MAX_K + 1)])
def test_k_out_of_range_is_refused_before_loading(monkeypatch, k):
    monkeypatch.setattr(Engine, "load", classmethod(lambda *a, **kw: pytest.fail("engine loaded for a bad -k")))
    result = CliRunner().invoke(cli, ["search", "-k", k, "TDT nedir?"])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {strings.cli_text('en', 'bad_k', limit=MAX_K, k=int(k))}\n"


def test_k_at_the_limits(invoke, engine):
    one = json.loads(invoke("search", "--json", "-k", "1", "TDT nedir?").stdout)["passages"]
    assert [p["rank"] for p in one] == [1]
    everything = json.loads(invoke("search", "--json", "-k", str(MAX_K), "TDT nedir?").stdout)["passages"]
    assert len(everything) == len(engine.index.passages)  # fewer passages than k: all of them, ranked


def test_k_that_is_not_a_number(invoke):
    result = invoke("search", "-k", "many", "TDT nedir?")
    assert result.exit_code == 2 and "'many' is not a valid integer" in result.stderr


# --- a --queries file with broken lines ------------------------------------------------------------

GOOD_TR = "Türk Devletleri Teşkilatı ne zaman kuruldu?"
GOOD_EN = "What role does Azerbaijan play?"


def _queries_file(path: Path) -> tuple[Path, dict[int, str | None]]:
    """A batch file; returns {line number: expected error words, or None when answered}."""
    lines: list[tuple[bytes, str | None]] = [
        (json.dumps({"id": "tr", "question": GOOD_TR}).encode(), None),
        (b"", "blank"),
        (json.dumps({"id": "nul", "question": "Türk Devletleri Teşkilatı\u0000 ne zaman kuruldu?"}).encode(), None),
        (b'{"id": "raw-nul", "question": "T\x00DT"}', "not valid JSON"),
        (b'{"id": "latin-5", "question": "T\xfcrk devletleri"}', "line is not valid UTF-8"),
        (b'{"id": 6, "question": ', "not valid JSON"),
        (b'["not", "an", "object"]', "expected an object"),
        (b'{"id": "no-question"}', "expected an object"),
        (b'{"id": "number", "question": 42}', "expected an object"),
        (json.dumps({"id": "empty", "question": "  \t "}).encode(), strings.EMPTY_QUESTION),
        (json.dumps({"id": "emoji", "question": "😀🎉"}).encode(), strings.NO_WORDS),
        (json.dumps({"id": "long", "question": TOO_LONG}).encode(), "over the limit of 2000"),
        (json.dumps({"id": "en", "question": GOOD_EN}, ensure_ascii=False).encode() + b"\r", None),
        (json.dumps({"id": "mixed", "question": "Kazakhstan Қазақстан Kazakistan?"}, ensure_ascii=False).encode(),
         None),
    ]
    path.write_bytes(b"\n".join(line for line, _ in lines) + b"\n")
    return path, {n: why for n, (_, why) in enumerate(lines, start=1) if why != "blank"}


@pytest.mark.parametrize("command", ["ask", "search"])
def test_broken_lines_are_reported_and_the_others_answered(invoke, tmp_path, command):
    path, expected = _queries_file(tmp_path / "queries.jsonl")
    result = invoke(command, "--queries", str(path))
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(expected)  # one JSON line per non-blank input line, in order
    failures = 0
    for data, (number, why) in zip(out, expected.items(), strict=True):
        if why is None:
            assert "error" not in data and data["passages"], data
            if command == "ask":  # (search echoes the question as given, NUL and all, JSON-escaped)
                assert "\x00" not in data["question"]
                _answer_shape(data)
        else:
            failures += 1
            assert data["line"] == number and why in data["error"], (number, data)
            assert f"report-qa: {path}:{number}: " in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: {failures} line(s) of {path} could not be answered; see the errors above"
    )


def test_a_binary_queries_file_is_reported_line_by_line(invoke, tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_bytes(bytes(range(256)) * 4)
    result = invoke("ask", "--queries", str(path))
    assert result.exit_code == 2
    assert all("error" in json.loads(line) for line in result.stdout.splitlines())
    assert "could not be answered" in result.stderr


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_an_unreadable_queries_path_is_a_user_error(invoke, tmp_path, make):
    path = tmp_path / "queries.jsonl"
    if make == "folder":
        path.mkdir()
    result = invoke("ask", "--queries", str(path))
    assert result.exit_code == 2
    assert "cannot read queries file" in result.stderr or "is a directory" in result.stderr


def test_no_question_at_all(invoke):
    result = invoke("ask")
    assert result.exit_code == 2 and strings.EMPTY_QUESTION in result.stderr and "--queries FILE" in result.stderr


# --- the Python API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_QUESTIONS))
def test_python_api_raises_question_error(engine, case):
    question, message = BAD_QUESTIONS[case]
    with pytest.raises(QuestionError) as caught:
        engine.ask(question)
    assert str(caught.value) == message
    with pytest.raises(QuestionError):
        engine.search(question)


@pytest.mark.parametrize("question", [None, 42, b"TDT nedir?", ["TDT"]])
def test_python_api_refuses_non_text(engine, question):
    with pytest.raises(QuestionError):
        engine.ask(question)


def test_python_api_cleans_nul_bytes_and_control_characters(engine):
    answer = engine.ask("Türk Devletleri\x00 Teşkilatı\x00\x00 ne zaman\r\n kuruldu?\x1b")
    assert answer.question == "Türk Devletleri Teşkilatı ne zaman kuruldu?"
    assert answer.answered


def test_python_api_k_bounds(engine):
    assert len(engine.search(GOOD_TR, k=100_000)) == len(engine.index.passages)
    assert len(engine.search(GOOD_TR, k=1)) == 1


@pytest.mark.parametrize("k", [0, -1])
def test_python_api_refuses_k_below_one(engine, k):
    with pytest.raises(ValueError, match="k must be"):
        engine.search(GOOD_TR, k=k)


def test_python_api_lone_surrogates_are_cleaned(engine):
    """JSON allows "\\ud800"; Python then holds a lone surrogate that no tokenizer can encode."""
    assert engine.ask("Türk Devletleri\ud800 Teşkilatı ne zaman kuruldu?").question == GOOD_TR


def test_a_crashing_line_does_not_stop_the_batch(invoke, tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"id": 1, "question": "T\\ud800DT nedir?"}\n'
                    + json.dumps({"id": 2, "question": GOOD_TR}) + "\n", encoding="utf-8")
    result = invoke("ask", "--queries", str(path))
    assert result.exit_code in (0, 2)
    assert json.loads(result.stdout.splitlines()[-1])["id"] == 2


# --- the real command in a subprocess ---------------------------------------------------------------


def test_real_cli_batch_with_broken_lines(engine, settings_factory, model_cache, tmp_path):
    """`python -m qa ask --queries F`: answers on stdout, one line per problem on stderr, status 2."""
    index_dir = real_index_dir(engine, settings_factory)
    path, expected = _queries_file(tmp_path / "queries.jsonl")
    env = subprocess_env(model_cache, REPORT_QA_INDEX_DIR=str(index_dir))
    done = subprocess.run([PYTHON, "-m", "qa", "ask", "--queries", str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "index: building" not in done.stderr  # the index was reused
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [("error" in d) for d in out] == [why is not None for why in expected.values()]
    assert done.stderr.rstrip().endswith("could not be answered; see the errors above")
    for args in (["search", "-k", "0", "x"], ["ask"]):
        quick = subprocess.run([PYTHON, "-m", "qa", *args], cwd=REPO, env=env, capture_output=True, text=True,
                               timeout=600)
        assert quick.returncode == 2 and quick.stderr.startswith("Error: ") and "Traceback" not in quick.stderr


# --- the same questions in the web chat's handlers ---------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_QUESTIONS))
def test_web_chat_shows_the_problem_as_a_message(engine, case):
    from ui.app import Handlers

    question, _ = BAD_QUESTIONS[case]
    handlers = Handlers(engine)
    outputs = list(handlers.respond(question, [], "en"))
    if handlers.refusal(question) is not None:
        # Empty or over-long: refused next to the box, nothing added to the chat, no question number.
        assert len(outputs) == 1 and outputs[0][4] and all(isinstance(o, type(outputs[0][0])) for o in outputs[0][:4])
    else:
        _, chat, _, turns, _ = outputs[-1]
        assert turns[-1].error and not turns[-1].crashed
        assert 'class="rqa-error"' in chat[-1]["content"]
    html, state = handlers.search(question, 5, "hybrid", "en")
    assert state["error"] and 'class="rqa-error"' in html


@pytest.mark.parametrize("case", list(ODD_BUT_FINE))
def test_web_chat_answers_odd_questions(engine, case):
    from ui.app import Handlers

    question, _ = ODD_BUT_FINE[case]
    *_, (_, chat, _, turns, _) = Handlers(engine).respond(question, [], "tr")
    assert turns[-1].answer is not None and not turns[-1].crashed
    assert "\x00" not in chat[-1]["content"] and "\x1b" not in chat[-1]["content"]


# --- serve: security defaults ------------------------------------------------------------------------


@pytest.fixture
def serve_calls(engine, monkeypatch, isolated_home):
    """`report-qa serve` with the server replaced by a recorder (nothing listens)."""
    import ui.app

    calls: list[dict] = []
    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, settings, **kw: engine))
    monkeypatch.setattr(ui.app, "serve_app", lambda engine, **kw: calls.append(kw))
    return calls


def test_serve_binds_to_loopback_without_a_warning_by_default(serve_calls):
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert serve_calls == [{"host": "127.0.0.1", "port": 7860, "auth": None}]
    assert "warning" not in result.stderr


def test_serve_warns_when_exposed_and_takes_auth_from_the_environment(serve_calls, monkeypatch):
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert "warning: binding to 0.0.0.0 exposes the chat" in result.stderr and "--auth" in result.stderr
    monkeypatch.setenv("REPORT_QA_AUTH", "ali:s3cret:with:colons")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8080"])
    assert "warning: binding to 0.0.0.0" in result.stderr and "consider --auth" not in result.stderr
    assert serve_calls[-1] == {"host": "0.0.0.0", "port": 8080, "auth": ("ali", "s3cret:with:colons")}


@pytest.mark.parametrize("auth", ["nocolon", ":password", "user:"])
def test_serve_refuses_malformed_credentials(serve_calls, auth):
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--auth", auth])
    assert result.exit_code == 2 and "--auth must look like USER:PASSWORD" in result.stderr
    assert serve_calls == []
