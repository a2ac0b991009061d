"""The extractive answerer: quote the report's own sentences that answer, each with its ``[n]``.

Offline and deterministic. Sentences of the top passages are scored against the question
(precomputed sentence vectors plus a small bonus for shared stems); the best one and any within
``SENTENCE_MARGIN`` of it are quoted. The answer is declined when the question's relevance (best
sentence similarity + ``CENTROID_WEIGHT`` × similarity to the corpus centroid) is below the
question language's calibrated threshold.
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus import Passage, Sentence
from index.analysis import analyze, turkish_casefold
from qa import strings
from qa.answer import MARKUP_RE, Answer, Citation, has_words
from qa.answerers.base import AnswerRequest
from qa.retrieval import Hit, QueryVector, Retriever
from qa.settings import CENTROID_WEIGHT, Settings

# Sentences are drawn from this many top passages.
ANSWER_PASSAGES = 3
# A further sentence is quoted only when it scores within this margin of the best one.
SENTENCE_MARGIN = 0.02
# Small tie-breakers: a shared (stemmed) word, and the passage's retrieval rank.
LEXICAL_BONUS = 0.03
RANK_PENALTY = 0.004
_DATE_RE = re.compile(
    r"\b(\d{1,2})\s+(" + "|".join(strings.TURKISH_MONTHS_EN) + r")\s+(\d{4})\b", re.IGNORECASE
)


def _english_dates(text: str) -> list[str]:
    out = []
    for day, month, year in _DATE_RE.findall(text):
        english = strings.TURKISH_MONTHS_EN[turkish_casefold(month)]
        out.append(f"{int(day)} {english} {year}")
    return out


def _quotable(passage: Passage, sentence: Sentence) -> bool:
    """Table captions and column-name lines say nothing on their own."""
    if passage.kind != "table":
        return True
    return sentence.start not in (passage.sentences[0].start, passage.sentences[1].start)


@lru_cache(maxsize=16384)
def _terms(text: str) -> frozenset[str]:
    """Analysed terms of a passage sentence; cached, as the same sentences recur across questions."""
    return frozenset(analyze(text))


def select_sentences(
    retriever: Retriever, query: QueryVector, hits: list[Hit], limit: int
) -> list[tuple[Hit, Sentence, float]]:
    """Score the sentences of the top passages; return the best, best first."""
    terms = set(analyze(query.text))
    scored: list[tuple[Hit, Sentence, float]] = []
    for hit in hits[:ANSWER_PASSAGES]:
        sims = retriever.sentence_vectors(hit.row) @ query.vector
        for sentence, sim in zip(hit.passage.sentences, sims, strict=True):
            if not _quotable(hit.passage, sentence):
                continue
            overlap = len(terms & _terms(sentence.text)) / len(terms) if terms else 0.0
            score = float(sim) + LEXICAL_BONUS * overlap - RANK_PENALTY * (hit.rank - 1)
            scored.append((hit, sentence, score))
    scored.sort(key=lambda item: -item[2])
    if not scored:
        return []
    best = scored[0][2]
    return [item for item in scored if item[2] >= best - SENTENCE_MARGIN][:limit]


def relevance(retriever: Retriever, query: QueryVector, hits: list[Hit]) -> float:
    """How well the report covers the question; compared with the abstention threshold."""
    vecs = [retriever.sentence_vectors(h.row) for h in hits[:ANSWER_PASSAGES]]
    best = max((float((v @ query.vector).max()) for v in vecs), default=0.0)
    return best + CENTROID_WEIGHT * float(retriever.centroid @ query.vector)


def compose(language: str, quotes: list[tuple[int, Sentence]]) -> str:
    """The answer text: the quotes with their ``[n]``, framed in ``language``."""
    if language == "tr":
        body = " ".join(f"{s.text} [{n}]" for n, s in quotes)
        return f"{strings.ANSWER_LEAD['tr']} {body}"
    body = " ".join(f"“{s.text}” [{n}]" for n, s in quotes)
    text = f"{strings.ANSWER_LEAD['en']} {body}"
    dates = [d for _, s in quotes for d in _english_dates(s.text)]
    if dates:
        text += " " + strings.DATES_NOTE_EN.format(dates="; ".join(dict.fromkeys(dates)))
    return text


class ExtractiveAnswerer:
    """Quotes the report's sentences; the offline default."""

    name = "extractive"

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    def relevance(self, request: AnswerRequest) -> float:
        """The abstention score of ``request`` (see the module docstring)."""
        return relevance(self.retriever, request.query, request.hits)

    def decline(self, request: AnswerRequest) -> Answer:
        """The sentinel answer in the request's language, with the hits as the closest passages."""
        lang = request.language
        return Answer(request.text, lang, False, strings.CANNOT_ANSWER[lang], [], request.hits, request.qid)

    def answer(self, request: AnswerRequest) -> Answer:
        if not has_words(MARKUP_RE.sub(" ", request.text)):
            # Nothing but markup ("<img src=x …>"): no question to answer, only passages to show.
            return self.decline(request)
        chosen = select_sentences(self.retriever, request.query, request.hits, self.settings.answer_sentences)
        if not chosen or self.relevance(request) < self.settings.abstain_threshold(request.detected):
            return self.decline(request)
        chosen.sort(key=lambda item: (item[0].rank, item[1].start))
        citations = [Citation(n, hit.passage, sentence) for n, (hit, sentence, _) in enumerate(chosen, start=1)]
        text = compose(request.language, [(c.n, c.sentence) for c in citations])
        return Answer(request.text, request.language, True, text, citations, request.hits, request.qid)
