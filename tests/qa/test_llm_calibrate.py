"""qa.llm.calibrate: the LLM support threshold shipped is the one the tune split gives, and the
measurement scripts' runner (qa.llm.script) prints JSON or a one-line error."""

from __future__ import annotations

import json

import pytest

from corpus.errors import ReportQAError
from qa.llm.calibrate import MAX_UNSUPPORTED_KEPT, Pairs, best_threshold, collect
from qa.llm.script import run
from qa.settings import Settings


def test_the_threshold_is_the_lowest_that_lets_at_most_the_allowed_share_of_unsupported_pairs_through():
    pairs = Pairs(supported=[0.9, 0.85, 0.8], unsupported=[0.7, 0.75, 0.78, 0.8, 0.82, 0.86, 0.6, 0.65, 0.7, 0.72])
    # 0.8 lets 3 of 10 unsupported through (0.8, 0.82, 0.86): exactly the 30 % allowed; 0.78 lets 4.
    assert MAX_UNSUPPORTED_KEPT == 0.3
    assert best_threshold(pairs) == 0.8
    # Candidates are the observed similarities: at 0.85 only 0.86 of the unsupported passes.
    assert best_threshold(pairs, max_unsupported=0.1) == 0.85


def test_no_pairs_is_an_error():
    with pytest.raises(ValueError, match="no pairs"):
        best_threshold(Pairs([], []))


def test_the_shipped_support_threshold_is_what_the_tune_split_gives(engine):
    tune = collect(engine, "tune")
    assert len(tune.supported) > 100 and len(tune.unsupported) > 1000
    assert best_threshold(tune) == pytest.approx(Settings.model_fields["llm_support_threshold"].default, abs=1e-9)


def test_the_runner_prints_the_report_as_json(capsys):
    run("qa.llm.example", lambda: {"threshold": 0.8, "note": "çok iyi"})
    out = capsys.readouterr().out
    assert json.loads(out) == {"threshold": 0.8, "note": "çok iyi"}
    assert "çok" in out  # readable, not \u-escaped


def test_the_runner_turns_a_report_qa_error_into_a_one_line_exit(capsys):
    def broken() -> dict[str, object]:
        raise ReportQAError("cannot reach the LLM server at http://127.0.0.1:9/v1: is it running?")

    with pytest.raises(SystemExit) as info:
        run("qa.llm.example", broken)
    assert info.value.code == "qa.llm.example: cannot reach the LLM server at http://127.0.0.1:9/v1: is it running?"
    assert capsys.readouterr().out == ""
