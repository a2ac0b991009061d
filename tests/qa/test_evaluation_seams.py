"""Evaluation goes through the engine's answerer, and the bench counts relevance by the same rule."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qa.bench.quality import QUALITY_METRICS, QUALITY_MODES, dev_retrieval_metrics
from qa.evaluation import default_questions_path, evaluate, load_question_set


@pytest.fixture(scope="module")
def qset(engine):
    settings = engine.settings
    return load_question_set(default_questions_path(), settings.index_config().corpus_dir,
                             settings.max_question_chars)


@pytest.fixture(scope="module")
def report(engine, qset):
    return evaluate(engine, qset, retrievers=QUALITY_MODES, k=10)


def test_evaluated_answers_are_the_answers_users_get(engine, report):
    for mode, r in report.reports.items():
        for o in r.outcomes[::7]:
            q = o.question
            asked = engine.ask(q.question, language=q.lang, qid=q.id, mode=mode)
            assert o.answer.to_json() == asked.to_json(), (mode, q.id)


def test_bench_and_eval_give_the_same_dev_retrieval_figures(engine, report):
    bench = dev_retrieval_metrics(engine)
    assert list(bench) == [str(mode) for mode in QUALITY_MODES]
    for mode in QUALITY_MODES:
        by_language = report.reports[mode].by_language
        assert set(bench[mode]) == set(by_language) == {"tr", "en"}
        for lang, summary in by_language.items():
            expected = {name: round(summary.means[name], 4) for name in QUALITY_METRICS} | {"n": summary.n}
            assert bench[mode][lang] == expected, (mode, lang)
    # Every answerable dev question is judged, not only those whose span sits inside one passage.
    answerable = sum(q.answerable for q in report.qset.questions)
    assert sum(m["n"] for m in bench["hybrid"].values()) == answerable


def test_importing_the_bench_stays_cheap():
    heavy = ("faiss", "bm25s", "qa.engine", "qa.evaluation", "ir_measures", "matplotlib")
    code = "import sys, qa.bench; print(' '.join(m for m in " + repr(heavy) + " if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
