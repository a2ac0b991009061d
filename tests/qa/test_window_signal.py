"""The sentence-window signal: a sentence with the next one of its passage, searched and fused.

Real e5 vectors and a real FAISS backend over three hand-written passages: one answers the
question over two sentences (neither says it alone), one restates the question without answering
it. The windows find the answer first where single sentences do not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import Passage
from corpus.models import Sentence
from index.backends.base import Vectors
from index.backends.faiss_backend import FaissBackend
from index.embedding import DEFAULT_MODEL, Embedder, EmbedderConfig, load_embedder
from index.store import LoadedIndex
from qa.modes import RetrievalMode
from qa.retrieval import Retriever
from qa.settings import Settings

QUESTION_TR = "1998 protokolüne hangi ülkeler katıldı?"
QUESTION_EN = "Which countries joined the 1998 protocol?"


def _passage(chunk_id: str, sentences: list[str]) -> Passage:
    text = " ".join(sentences)
    spans, at = [], 0
    for sentence in sentences:
        spans.append(Sentence(sentence, at, at + len(sentence)))
        at += len(sentence) + 1
    return Passage(chunk_id, "notes.md", "", 1, 1, None, None, 0, len(text), text, "text", tuple(spans))


PASSAGES = [
    _passage("spread", [  # the answer: the protocol in one sentence, who joined it in the next
        "Protokol uzun müzakerelerin ardından 1998 yılında imzalandı.",
        "Ona Azerbaycan, Kazakistan ve Kırgızistan katıldı.",
        "Toplantı iki gün sürdü.",
    ]),
    _passage("restated", ["Hangi ülkelerin 1998 protokolüne katılacağı uzun süre tartışıldı."]),
    _passage("other", [
        "Azerbaycan, Kazakistan ve Kırgızistan birçok protokole katıldı.",
        "Boru hatları genişletildi.",
        "Yatırımlar sürüyor.",
    ]),
]


class _CountingFaiss(FaissBackend):
    """The real FAISS backend, counting its window searches."""

    window_searches = 0

    def windows(self, vector: Vectors, k: int, docs: frozenset[str] | None = None) -> dict[int, float]:
        type(self).window_searches += 1
        return super().windows(vector, k, docs)


@pytest.fixture(scope="module")
def embedder(model_cache: Path) -> Embedder:
    return load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache))


@pytest.fixture(scope="module")
def backend(embedder: Embedder) -> _CountingFaiss:
    return _CountingFaiss.build(
        PASSAGES,
        embedder.encode_documents([p.embed_text for p in PASSAGES]),
        embedder.encode_documents([s.text for p in PASSAGES for s in p.sentences]),
        embedder.encode_documents([w for p in PASSAGES for w in p.windows]),
        exact_max=1_000,
    )


def _best(scores: dict[int, float]) -> str:
    return PASSAGES[max(scores, key=lambda row: scores[row])].chunk_id


def test_windows_join_each_sentence_to_the_next_of_its_passage() -> None:
    first, second, third = (s.text for s in PASSAGES[0].sentences)
    assert PASSAGES[0].windows == [f"{first} {second}", f"{second} {third}", third]
    assert PASSAGES[1].windows == [PASSAGES[1].sentences[0].text]
    assert _passage("empty", []).windows == []


def test_an_answer_spread_over_two_sentences_ranks_first_by_its_window(
    backend: _CountingFaiss, embedder: Embedder
) -> None:
    vector = embedder.encode_queries([QUESTION_TR])[0]
    # Single sentences prefer the passage that restates the question...
    assert _best(backend.sentences(vector, 9)) == "restated"
    # ...its window (the protocol, then who joined it) finds the answer.
    windows = backend.windows(vector, 9)
    assert _best(windows) == "spread"
    assert set(windows) == {0, 1, 2}


def test_the_window_search_runs_only_when_its_weight_is_positive(
    backend: _CountingFaiss, embedder: Embedder, tmp_path: Path
) -> None:
    index = LoadedIndex(tmp_path, {}, backend)

    def window_searches(question: str, settings: Settings, mode: RetrievalMode = RetrievalMode.HYBRID) -> int:
        retriever = Retriever(index, embedder, settings)
        before = _CountingFaiss.window_searches
        hits = retriever.search(retriever.embed(question), 3, mode)
        searched = _CountingFaiss.window_searches - before
        assert all((h.window is not None) == bool(searched) for h in hits)
        assert all(set(h.to_json()) == {"rank", "score", "chunk_id", "doc", "section", "page", "page_label",
                                         "paragraph", "text"} for h in hits)
        return searched

    defaults = Settings()
    assert defaults.weight_window_en == 0.0 and defaults.weight_window > 0
    assert window_searches(QUESTION_EN, defaults) == 0  # English: no window search at all
    assert window_searches(QUESTION_TR, defaults) == 1
    assert window_searches(QUESTION_EN, Settings(weight_window_en=1.0)) == 1
    assert window_searches(QUESTION_EN, Settings(weight_window_en=None)) == 1  # None: as Turkish
    assert window_searches(QUESTION_TR, Settings(weight_window=0.0)) == 0
    assert window_searches(QUESTION_TR, defaults, RetrievalMode.DENSE) == 0
