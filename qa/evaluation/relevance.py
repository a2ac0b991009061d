"""The one relevance rule, shared by ``report-qa eval``, the web chat's Evaluation tab and the bench.

A passage is relevant to a question when, for one of the question's evidence spans, it holds
at least ``ceil(L / 2)`` characters of one occurrence of that span in the cleaned document
text, where ``L`` is the span's length after normalisation (NFC, all whitespace removed,
Turkish casefolding). A span wholly inside a passage therefore counts; a span cut by a chunk
boundary counts for the passage holding at least half of it. Passages carry ``start``/``end``
offsets into their document's cleaned text, so matching is exact character-range intersection.

An answer cites correctly when a cited passage is relevant or a quoted sentence shares a
character with an evidence span.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus import Passage, Sentence, load_corpus
from corpus.errors import ReportQAError
from index.analysis import turkish_casefold
from qa.answer import Answer
from qa.evaluation.questions import (
    ALL_SPLITS,
    Question,
    QuestionFileError,
    load_question_files,
    load_questions,
    question_text,
    select_split,
)


class CorpusMismatchError(ReportQAError, ValueError):
    """The index's passages do not come from the documents the evidence was located in."""


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and Turkish-casefolded, with each kept character's offset in ``text``.

    Characters are folded one at a time so every output character maps back to exactly
    one input offset (a character that folds to two keeps the same offset twice).
    """
    chars: list[str] = []
    offsets: list[int] = []
    for i, c in enumerate(text):
        if c.isspace():
            continue
        for folded in turkish_casefold(c):
            chars.append(folded)
            offsets.append(i)
    return "".join(chars), offsets


def normalise_span(span: str) -> str:
    """An evidence span as it is searched for: NFC, then :func:`normalise`."""
    return normalise(unicodedata.normalize("NFC", span))[0]


def _excerpt(text: str, limit: int = 60) -> str:
    """A one-line excerpt for error messages."""
    flat = " ".join(text.split())
    return f"“{flat[:limit]}…”" if len(flat) > limit else f"“{flat}”"


@dataclass(frozen=True)
class Occurrence:
    """One place an evidence span occurs: the document offsets of its normalised characters."""

    doc: str
    offsets: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.offsets)

    def overlap(self, start: int, end: int) -> int:
        """How many of the span's normalised characters lie in ``[start, end)`` of the document."""
        return bisect_left(self.offsets, end) - bisect_left(self.offsets, start)

    def held_by(self, passage: Passage) -> bool:
        """The relevance rule: ``passage`` holds at least half (rounded up) of this occurrence."""
        return passage.doc == self.doc and self.overlap(passage.start, passage.end) >= math.ceil(len(self) / 2)

    def touches(self, doc: str, sentence: Sentence) -> bool:
        """``sentence`` shares at least one non-whitespace character with this occurrence."""
        return doc == self.doc and self.overlap(sentence.start, sentence.end) > 0


class EvidenceMatcher:
    """Finds evidence spans in cleaned documents, ignoring whitespace and case."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self._docs = {name: normalise(text) for name, text in documents.items()}

    def locate(self, span: str) -> list[Occurrence]:
        """Every occurrence of ``span`` in every document (none for an empty span)."""
        needle = normalise_span(span)
        found: list[Occurrence] = []
        if not needle:
            return found
        for name, (haystack, offsets) in self._docs.items():
            i = haystack.find(needle)
            while i >= 0:
                found.append(Occurrence(name, tuple(offsets[i : i + len(needle)])))
                i = haystack.find(needle, i + 1)
        return found


def relevant_passages(occurrences: Iterable[Occurrence], passages: Sequence[Passage]) -> frozenset[str]:
    """Chunk ids of the passages that hold at least half of some occurrence."""
    occurrences = list(occurrences)
    return frozenset(p.chunk_id for p in passages if any(o.held_by(p) for o in occurrences))


@dataclass(frozen=True)
class QuestionSet:
    """Validated questions with their evidence located in the corpus and their search text."""

    source: str
    questions: tuple[Question, ...]
    documents: Mapping[str, str]
    evidence: Mapping[str, tuple[Occurrence, ...]]  # question id -> every occurrence of every span
    texts: Mapping[str, str]  # question id -> the normalised text that is searched and answered


def prepare_questions(
    questions: Sequence[Question], documents: Mapping[str, str], source: str, max_question_chars: int
) -> QuestionSet:
    """Locate every evidence span and normalise every question.

    Raises:
        QuestionFileError: a span that occurs nowhere in the corpus, or a question the
            engine would refuse; each message names the line and the question id.
    """
    matcher = EvidenceMatcher(documents)
    problems: list[str] = []
    evidence: dict[str, tuple[Occurrence, ...]] = {}
    texts: dict[str, str] = {}
    for q in questions:
        found: list[Occurrence] = []
        for n, span in enumerate(q.evidence, start=1):
            occurrences = matcher.locate(span)
            if not occurrences:
                problems.append(
                    f"{source}:{q.line}: question {q.id}: evidence span {n} is not in the corpus: {_excerpt(span)}"
                )
            found += occurrences
        evidence[q.id] = tuple(found)
        try:
            texts[q.id] = question_text(q, source, max_question_chars)
        except QuestionFileError as exc:
            problems += exc.problems
    if problems:
        raise QuestionFileError(problems)
    return QuestionSet(source, tuple(questions), dict(documents), evidence, texts)


def load_question_set(
    path: Path | Sequence[Path],
    corpus_dir: Path,
    max_question_chars: int,
    source: str | None = None,
    split: str = ALL_SPLITS,
) -> QuestionSet:
    """Read, validate and locate a question file (or several, as one set) against ``corpus_dir``.

    ``split`` keeps only the ``tune`` or ``test`` questions (``all``: every question).

    Raises:
        QuestionFileError: see ``load_questions`` and ``prepare_questions``.
        CorpusError: the corpus cannot be loaded.
        ValueError: an unknown split.
    """
    if isinstance(path, Path):
        source = source or str(path)
        questions = load_questions(path, source)
    else:
        source = source or " + ".join(p.name for p in path)
        questions = load_question_files(path)
    questions = select_split(questions, split)
    documents = {doc.name: doc.text for doc in load_corpus(corpus_dir).documents}
    return prepare_questions(questions, documents, source, max_question_chars)


def judge(qset: QuestionSet, passages: Sequence[Passage]) -> dict[str, frozenset[str]]:
    """Relevant chunk ids per answerable question.

    Raises:
        CorpusMismatchError: the passages do not come from the question set's documents.
        QuestionFileError: an answerable question with no passage holding half of a span.
    """
    for p in passages:
        text = qset.documents.get(p.doc)
        if text is None or text[p.start : p.end] != p.text:
            raise CorpusMismatchError(
                f"passage {p.chunk_id} does not match document {p.doc!r}: the corpus changed after "
                "the index was built; run `report-qa index` and evaluate again"
            )
    relevant: dict[str, frozenset[str]] = {}
    problems = []
    for q in qset.questions:
        if not q.answerable:
            continue
        relevant[q.id] = relevant_passages(qset.evidence[q.id], passages)
        if not relevant[q.id]:
            problems.append(
                f"{qset.source}:{q.line}: question {q.id}: no passage holds at least half of an evidence "
                "span (spans that lie in headings are not indexed)"
            )
    if problems:
        raise QuestionFileError(problems)
    return relevant


def first_quote_cites(answer: Answer, evidence: Iterable[Occurrence]) -> bool:
    """Whether the answer's first quoted sentence touches an evidence span: the quote that answers comes first."""
    first = answer.citations[0] if answer.citations else None
    return first is not None and any(o.touches(first.passage.doc, first.sentence) for o in evidence)


def cites_evidence(answer: Answer, relevant: frozenset[str], evidence: Iterable[Occurrence]) -> bool:
    """An answer cites correctly when a cited passage is relevant or a quoted sentence touches a span."""
    evidence = list(evidence)
    return any(
        c.passage.chunk_id in relevant or any(o.touches(c.passage.doc, c.sentence) for o in evidence)
        for c in answer.citations
    )
