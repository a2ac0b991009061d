"""End to end with the real model and a real FAISS index: retrieval, cited answers, abstention."""

from __future__ import annotations

import re

import pytest

from index.store import check_index, ensure_index
from qa import strings
from qa.answer import QuestionError

PROTOCOL_TR = "Türk Dilli Devletler İstihbarat Servisleri Konferansı hangi tarihte kuruldu?"
PROTOCOL_EN = "On what date was the conference of the intelligence services of Turkic-speaking states founded?"


def _citation_numbers(answer: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer)}


def test_index_summary_and_manifest(engine):
    summary = engine.index.summary
    assert summary["documents"] == 1
    assert summary["passages"] == len(engine.index.passages) >= 20
    manifest = engine.index.manifest
    assert manifest["model"]["model_id"] == "intfloat/multilingual-e5-small"
    assert len(manifest["model"]["fingerprint"]) == 64
    assert manifest["chunker"] == engine.settings.chunker.to_dict()
    assert len(manifest["corpus_sha256"]) == 64
    assert {"faiss-cpu", "bm25s", "sentence-transformers"} <= set(manifest["libraries"])
    assert "passages.faiss" in manifest["files"]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_finds_the_protocol_passage(engine, mode):
    hits = engine.search(PROTOCOL_TR, k=5, mode=mode)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("20 Mayıs 1998" in h.passage.text for h in hits[:3])


def test_cross_lingual_search(engine):
    hits = engine.search(PROTOCOL_EN, k=5)
    assert any("20 Mayıs 1998" in h.passage.text for h in hits[:3])


def test_turkish_answer_is_cited(engine):
    answer = engine.ask(PROTOCOL_TR)
    assert answer.answered and answer.language == "tr"
    assert answer.answer.startswith(strings.ANSWER_LEAD["tr"])
    assert "20 Mayıs 1998" in answer.answer
    assert _citation_numbers(answer.answer) == {c.n for c in answer.citations}
    for citation in answer.citations:
        data = citation.to_json()
        assert data["text"][data["quote_start"] : data["quote_end"]] == data["quote"]
        assert data["quote"] in answer.answer


def test_english_answer_frames_turkish_quotes(engine):
    answer = engine.ask(PROTOCOL_EN)
    assert answer.answered and answer.language == "en"
    assert answer.answer.startswith(strings.ANSWER_LEAD["en"])
    assert "20 May 1998" in answer.answer  # the date rendered in English
    assert _citation_numbers(answer.answer) <= {c.n for c in answer.citations}


def test_language_can_be_overridden(engine):
    answer = engine.ask(PROTOCOL_EN, language="tr")
    assert answer.language == "tr" and answer.answer.startswith(strings.ANSWER_LEAD["tr"])


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Mercimek çorbası nasıl yapılır?", "tr"),
        ("Who won the 2018 football World Cup?", "en"),
        ("What is the best recipe for chocolate cake?", "en"),
    ],
)
def test_off_topic_questions_are_declined(engine, question, lang):
    answer = engine.ask(question)
    assert not answer.answered and answer.declined == "off_topic"
    assert answer.answer == strings.OFF_TOPIC[lang]
    assert answer.citations == []
    assert answer.passages, "the closest passages are still shown"


@pytest.mark.parametrize("question", ["", "   \n\t ", "?!… ...", "x" * 2001])
def test_bad_questions_raise_a_clear_error(engine, question):
    with pytest.raises(QuestionError):
        engine.ask(question)


def test_control_characters_are_cleaned(engine):
    answer = engine.ask("Five\x00 Eyes\u200b nedir?\x07")
    assert answer.question == "Five Eyes nedir?"


def test_stale_index_is_detected_and_rebuilt(engine, settings_factory):
    index_dir = engine.index.path.parent.parent
    other = settings_factory(index_dir=index_dir, chunk_target_words=120)
    reason = check_index(other.index_config(), engine.embedder)
    assert reason is not None and "chunker" in reason
    rebuilt = ensure_index(other.index_config(), engine.embedder)
    assert rebuilt.manifest["chunker"]["target_words"] == 120
    assert check_index(other.index_config(), engine.embedder) is None
