"""Extractive, cited answers: pick the sentences that answer, frame them in the question's language."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache


from corpus import Passage, Sentence
from corpus.errors import ReportQAError
from index.analysis import analyze
from qa import strings
from qa.language import answer_language, detect_language
from qa.retrieval import Hit, QueryVector, Retriever
from qa.settings import CENTROID_WEIGHT

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


_MARKUP_RE = re.compile(r"<[^<>]*>")


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


# A raw question longer than this many times the limit is refused before it is cleaned.
RAW_LENGTH_FACTOR = 4


class QuestionError(ReportQAError, ValueError):
    """The question cannot be asked as it is; the message says why.

    ``code`` ("empty", "too_long", "no_words") lets a UI show the message in its own language.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code)


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    sentence: Sentence

    def to_json(self) -> dict:
        p = self.passage
        return {
            "n": self.n,
            "chunk_id": p.chunk_id,
            "doc": p.doc,
            "section": p.section,
            "page": p.page,
            "paragraph": p.paragraph,
            "quote": self.sentence.text,
            "quote_start": self.sentence.start - p.start,
            "quote_end": self.sentence.end - p.start,
            "text": p.text,
        }


@dataclass
class Answer:
    question: str
    language: str
    answered: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    id: str | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "language": self.language,
            "answered": self.answered,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "passages": [h.to_json() for h in self.passages],
        }


def normalize_question(question: str, max_chars: int) -> str:
    """Clean a raw question or raise QuestionError naming the problem.

    Control and format characters (NUL, escapes, zero-width and bidi marks) and lone surrogates
    (JSON allows "\\ud800"; no tokenizer can encode it) become spaces.
    """
    if not isinstance(question, str):
        raise QuestionError(strings.EMPTY_QUESTION, "empty")
    if len(question) > RAW_LENGTH_FACTOR * max_chars:
        # Far too long even before cleaning: refuse without walking megabytes of text.
        raise QuestionError(strings.QUESTION_TOO_LONG.format(n=len(question), limit=max_chars), "too_long")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in question)
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if not text:
        raise QuestionError(strings.EMPTY_QUESTION, "empty")
    if len(text) > max_chars:
        raise QuestionError(strings.QUESTION_TOO_LONG.format(n=len(text), limit=max_chars), "too_long")
    if not _has_words(text):
        raise QuestionError(strings.NO_WORDS, "no_words")
    return text


def _english_dates(text: str) -> list[str]:
    out = []
    for day, month, year in _DATE_RE.findall(text):
        english = strings.TURKISH_MONTHS_EN[month.replace("I", "ı").replace("İ", "i").lower()]
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
        sentences = hit.passage.sentences
        sims = retriever.sentence_vectors(hit.row) @ query.vector
        for sentence, sim in zip(sentences, sims, strict=True):
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


def _compose(language: str, quotes: list[tuple[int, Sentence]]) -> str:
    if language == "tr":
        body = " ".join(f"{s.text} [{n}]" for n, s in quotes)
        return f"{strings.ANSWER_LEAD['tr']} {body}"
    body = " ".join(f"“{s.text}” [{n}]" for n, s in quotes)
    text = f"{strings.ANSWER_LEAD['en']} {body}"
    dates = [d for _, s in quotes for d in _english_dates(s.text)]
    if dates:
        text += " " + strings.DATES_NOTE_EN.format(dates="; ".join(dict.fromkeys(dates)))
    return text


def answer_question(
    retriever: Retriever,
    question: str,
    *,
    language: str | None = None,
    k: int | None = None,
    qid: str | None = None,
) -> Answer:
    """Answer ``question`` from the index, or decline with the CANNOT_ANSWER sentinel.

    Raises:
        QuestionError: the question is empty, too long or has no words.
    """
    settings = retriever.settings
    text = normalize_question(question, settings.max_question_chars)
    detected = detect_language(text)
    lang = answer_language(language or detected)
    query = retriever.embed(text)
    hits = retriever.search(query, k or settings.top_k)
    if not _has_words(_MARKUP_RE.sub(" ", text)):
        # Nothing but markup ("<img src=x …>"): no question to answer, only passages to show.
        return Answer(text, lang, False, strings.CANNOT_ANSWER[lang], [], hits, qid)
    chosen = select_sentences(retriever, query, hits, settings.answer_sentences)
    if not chosen or relevance(retriever, query, hits) < settings.abstain_threshold(detected):
        return Answer(text, lang, False, strings.CANNOT_ANSWER[lang], [], hits, qid)
    chosen.sort(key=lambda item: (item[0].rank, item[1].start))
    citations = [Citation(n, hit.passage, sentence) for n, (hit, sentence, _) in enumerate(chosen, start=1)]
    answer = _compose(lang, [(c.n, c.sentence) for c in citations])
    return Answer(text, lang, True, answer, citations, hits, qid)
