"""Which of the top passages' sentences to quote, and in which order (``qa.answerers.extractive``).

A sentence is scored by its similarity to the question (for an English question with a Turkish
gloss, the mean of its similarity to both), plus small tie-breakers: shared words, the passage's
rank, the answer type the question expects, the places it names, an asked table's rows and the
sentence that spells out an asked name. A broad question's answer is instead the most central
sentences of its section (:func:`key_sentences`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from corpus import Passage, Sentence
from index.analysis import analyze
from qa.places import place_conflict
from qa.retrieval import Hit, QueryVector, Retriever
from qa.signals import carries_type, defines, expected_type, table_numbers

# Sentences are drawn from this many top passages.
ANSWER_PASSAGES = 3
# A further sentence is quoted only when it scores within this margin of the best one.
SENTENCE_MARGIN = 0.02
# Small tie-breakers: a shared (stemmed) word, and the passage's retrieval rank.
LEXICAL_BONUS = 0.03
RANK_PENALTY = 0.004
# A sentence holding the kind of answer the question expects (a year for "when") moves up.
TYPE_BONUS = 0.02
# A sentence about another place than the question's (``qa.places``) loses as much as an answer of
# the expected type gains, so that the sentence about the question's place is quoted first.
PLACE_PENALTY = 0.02
# A question that names a table ("Tablo 1'de …", "In Table 2 …") is answered from that table's
# rows, which read less like the question than prose about the same things does.
TABLE_BONUS = 0.05
# Likewise, "What does INTCEN stand for?" is answered by the sentence that spells INTCEN out.
DEFINITION_BONUS = TABLE_BONUS


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
    retriever: Retriever,
    query: QueryVector,
    hits: list[Hit],
    limit: int,
    exclude: frozenset[str] = frozenset(),
    named: str | None = None,
) -> list[tuple[Hit, Sentence, float]]:
    """Score the sentences of the top passages; return the best, best first.

    A sentence that holds the kind of answer the question expects (a date for "when", …)
    gains ``TYPE_BONUS``, so the first quote is the one that answers; an answer the question
    already names (in ``named``: its text and, for an English question, its Turkish gloss) does
    not count. A sentence about another place than the question's loses ``PLACE_PENALTY``; a row
    of a table the question names ("Tablo 1'de …") gains ``TABLE_BONUS``, and a sentence that
    spells out the name whose full form is asked ("What does INTCEN stand for?") ``DEFINITION_BONUS``.
    Sentences in ``exclude`` (already quoted in the conversation) are skipped. For an English
    question with a Turkish gloss, a sentence's similarity is the mean of its similarity to the
    question and to the gloss, and the words shared with the question count over ``named`` too.
    """
    terms = set(analyze(named or query.text))
    kind = expected_type(query.text)
    tables = table_numbers(query.text)
    definition = retriever.spelled_out(query.text)
    scored: list[tuple[Hit, Sentence, float]] = []
    for hit in hits[:ANSWER_PASSAGES]:
        vectors = retriever.sentence_vectors(hit.row)
        sims = vectors @ query.vector
        if query.gloss is not None:
            # An English question's Turkish gloss is matched within one language: the mean of
            # both similarities finds the sentence that answers more often than the question's.
            sims = (sims + vectors @ query.gloss.vector) / 2
        asked_table = bool(tables) and hit.passage.kind == "table" and bool(
            tables & table_numbers(hit.passage.sentences[0].text)
        )
        for sentence, sim in zip(hit.passage.sentences, sims, strict=True):
            if not _quotable(hit.passage, sentence) or sentence.text in exclude:
                continue
            overlap = len(terms & _terms(sentence.text)) / len(terms) if terms else 0.0
            score = float(sim) + LEXICAL_BONUS * overlap - RANK_PENALTY * (hit.rank - 1)
            if kind is not None and carries_type(kind, sentence.text, named or query.text):
                score += TYPE_BONUS
            if place_conflict(named or query.text, sentence.text):
                score -= PLACE_PENALTY
            if asked_table:
                score += TABLE_BONUS
            if definition is not None and defines(sentence.text, definition.name):
                score += DEFINITION_BONUS
            scored.append((hit, sentence, score))
    scored.sort(key=lambda item: -item[2])
    if not scored:
        return []
    best = scored[0][2]
    return [item for item in scored if item[2] >= best - SENTENCE_MARGIN][:limit]


def key_sentences(retriever: Retriever, query: QueryVector, hits: list[Hit], limit: int) -> list[tuple[Hit, Sentence]]:
    """The ``limit`` most central sentences of a broad question's section (its hits), in reading order.

    Central: closest to the mean of the section's sentence vectors plus the question, so the
    sentences that carry the section's message come before its examples.
    """
    section = [h for h in hits if h.passage.section == hits[0].passage.section]
    vectors = [retriever.sentence_vectors(h.row) for h in section]
    target = np.concatenate(vectors).mean(axis=0) + query.vector
    scored = [
        (float(v @ target), hit, sentence)
        for hit, vecs in zip(section, vectors, strict=True)
        for sentence, v in zip(hit.passage.sentences, vecs, strict=True)
        if _quotable(hit.passage, sentence)
    ]
    chosen = sorted(scored, key=lambda item: -item[0])[:limit]
    return [(hit, sentence) for _, hit, sentence in sorted(chosen, key=lambda item: item[2].start)]
