"""One contract, run over every registered answerer (the registry decides which run).

An answerer that needs a service the test session cannot start is skipped by name, not by
silence: each must be listed in ``NEEDS_A_SERVER`` with the test file that covers it instead.
"""

from __future__ import annotations

import re

import pytest

from qa import strings
from qa.answerers import answerer_names, make_answerer

QUESTIONS = [
    ("tr", "1998 protokolünü hangi ülkeler imzaladı?"),
    ("tr", "Kazakistan ile Türkiye 2022'de ne imzaladı?"),
    ("en", "When was the conference of the intelligence services of Turkic-speaking states founded?"),
    ("en", "How do I bake sourdough bread at home?"),
    (None, "<b>x</b><script>alert(1)</script>"),  # no language to detect
]
# Answerers covered by their own server-backed tests rather than this offline contract run.
NEEDS_A_SERVER: dict[str, str] = {}
# Answerers that run here against a real server: the fixture giving their settings overrides.
SERVER_SETTINGS = {"llm": "llama_settings"}  # a real llama.cpp (xllamacpp) serving SmolLM2


@pytest.fixture(scope="module", params=answerer_names())
def answerer(request, engine):
    name = request.param
    if name in NEEDS_A_SERVER:
        pytest.skip(f"{name} needs a model server; covered by {NEEDS_A_SERVER[name]}")
    settings = engine.settings
    if name in SERVER_SETTINGS:
        settings = settings.model_copy(update=request.getfixturevalue(SERVER_SETTINGS[name]))
    return make_answerer(name, engine.retriever, settings)


@pytest.mark.parametrize(("lang", "question"), QUESTIONS)
def test_answer_contract(answerer, engine, lang, question):
    request = engine.prepare(question)
    answer = answerer.answer(request)
    assert answer.question == request.text
    assert answer.fallback_reason is None, answer.fallback_reason  # a real server answered
    assert answer.language == request.language
    if lang is not None:
        assert answer.language == lang
    assert [h.passage.chunk_id for h in answer.passages] == [h.passage.chunk_id for h in request.hits]
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    if not answer.answered:
        assert answer.answer == strings.DECLINED[answer.declined][answer.language]
        assert answer.citations == []
        return
    assert answer.citations, "an answer without a citation"
    assert sorted(set(numbers)) == [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    hit_ids = {h.passage.chunk_id for h in request.hits}
    for citation in answer.citations:
        assert citation.passage.chunk_id in hit_ids
        assert citation.sentence in citation.passage.sentences
        data = citation.to_json()
        assert data["text"][data["quote_start"] : data["quote_end"]] == data["quote"]


def test_off_topic_is_declined(answerer, engine):
    answer = answerer.answer(engine.prepare("How do I bake sourdough bread at home?"))
    assert not answer.answered and answer.declined == "off_topic"


def test_unknown_answerer_is_a_user_error(engine):
    from corpus.errors import ReportQAError

    with pytest.raises(ReportQAError, match="unknown answerer 'nope'"):
        make_answerer("nope", engine.retriever, engine.settings)
