"""Running an evaluation: search and answer every question under each retrieval mode.

Questions are embedded once, in batches; each mode then searches with the precomputed
vector and answers through the engine's configured answerer (``Engine.ask``), exactly as
``report-qa ask`` would, so the evaluated answers are the ones users get.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.embedding import Embedder
from qa.answer import Answer
from qa.answerers.extractive import NOT_IN_REPORT, OFF_TOPIC
from qa.engine import Engine
from qa.evaluation.metrics import (
    ANSWER_METRICS,
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    DECLINE_METRICS,
    METRICS,
    AnswerSummary,
    PairGap,
    Summary,
    ranking_metrics,
)
from qa.evaluation.questions import LANGUAGES, Question, question_pairs
from qa.evaluation.relevance import QuestionSet, cites_evidence, first_quote_cites, judge
from qa.modes import EVALUATION_ORDER, RetrievalMode
from qa.retrieval import Hit, QueryVector

log = logging.getLogger(__name__)

# Questions embedded per encoder call.
QUERY_BATCH = 32
# The message each kind of unanswerable question should be declined with (other kinds: not in report).
OWN_MESSAGE = {"not-in-report": NOT_IN_REPORT, "off-topic": OFF_TOPIC}

# (done, total, what is happening)
Progress = Callable[[int, int, str], None]


def embed_queries(
    embedder: Embedder, texts: Iterable[str], on_progress: Progress | None = None
) -> dict[str, QueryVector]:
    """Embed each distinct text once, in batches."""
    unique = list(dict.fromkeys(texts))
    vectors: dict[str, QueryVector] = {}
    for start in range(0, len(unique), QUERY_BATCH):
        batch = unique[start : start + QUERY_BATCH]
        for text, vector in zip(batch, embedder.encode_queries(batch), strict=True):
            vectors[text] = QueryVector(text, vector)
        if on_progress:
            on_progress(len(vectors), len(unique), "embedding questions")
    return vectors


@dataclass(frozen=True)
class Outcome:
    """One question under one retriever."""

    question: Question
    hits: tuple[Hit, ...]
    first_relevant: int | None  # rank of the first relevant passage; None when none in the top k
    metrics: dict[str, float] | None  # None for unanswerable questions
    answer: Answer
    correctly_cited: bool | None  # None for unanswerable questions
    first_quote_cited: bool | None = None  # the first quote touches an evidence span; None: unanswerable


@dataclass(frozen=True)
class RetrieverReport:
    """Every result of one retriever on one question set."""

    retriever: str
    outcomes: tuple[Outcome, ...]
    overall: Summary
    by_language: dict[str, Summary]
    by_kind: dict[str, Summary]
    answers: AnswerSummary
    answers_by_language: dict[str, AnswerSummary]
    pairs: PairGap

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_json(),
            "by_language": {lang: s.to_json() for lang, s in self.by_language.items()},
            "by_kind": {kind: s.to_json() for kind, s in self.by_kind.items()},
            "answers": {
                **self.answers.to_json(),
                "by_language": {lang: s.to_json() for lang, s in self.answers_by_language.items()},
            },
            "pairs": self.pairs.to_json(),
        }


def _answer_summary(outcomes: Sequence[Outcome]) -> AnswerSummary:
    answerable = [
        {"answered": float(o.answer.answered), "correctly_cited": float(bool(o.correctly_cited)),
         "first_quote_cited": float(bool(o.first_quote_cited))}
        for o in outcomes
        if o.question.answerable
    ]
    declined: dict[str, list[dict[str, float]]] = {}
    for o in outcomes:
        if not o.question.answerable:
            own = OWN_MESSAGE.get(o.question.group, NOT_IN_REPORT)
            declined.setdefault(o.question.group, []).append(
                {"declined": float(not o.answer.answered), "own_message": float(o.answer.declined == own)}
            )
    return AnswerSummary(
        Summary.of(answerable, ANSWER_METRICS),
        Summary.of([row for rows in declined.values() for row in rows], DECLINE_METRICS),
        {kind: Summary.of(rows, DECLINE_METRICS) for kind, rows in sorted(declined.items())},
    )


def language_summaries(
    questions: Sequence[Question], metrics: Mapping[str, Mapping[str, float]]
) -> dict[str, Summary]:
    """Per language present in ``questions``, the summary of its judged questions' ``metrics``."""
    languages = [lang for lang in LANGUAGES if any(q.lang == lang for q in questions)]
    return {
        lang: Summary.of([metrics[q.id] for q in questions if q.lang == lang and q.id in metrics], METRICS)
        for lang in languages
    }


def summarise(
    retriever: str, outcomes: Sequence[Outcome], pairs: Sequence[tuple[Question, Question]]
) -> RetrieverReport:
    """Group the per-question outcomes into overall, per-language, per-kind, answer and pair summaries."""
    judged = [o for o in outcomes if o.metrics is not None]
    by_id = {o.question.id: o for o in judged}
    metrics = {o.question.id: o.metrics for o in judged if o.metrics}
    kinds = sorted({o.question.group for o in judged})
    by_language = language_summaries([o.question for o in outcomes], metrics)
    return RetrieverReport(
        retriever=retriever,
        outcomes=tuple(outcomes),
        overall=Summary.of([o.metrics for o in judged if o.metrics], METRICS),
        by_language=by_language,
        by_kind={
            kind: Summary.of([o.metrics for o in judged if o.metrics and o.question.group == kind], METRICS)
            for kind in kinds
        },
        answers=_answer_summary(outcomes),
        answers_by_language={
            lang: _answer_summary([o for o in outcomes if o.question.lang == lang]) for lang in by_language
        },
        pairs=PairGap.of(
            [
                (by_id[tr.id].metrics or {}, by_id[en.id].metrics or {})
                for tr, en in pairs
                if tr.id in by_id and en.id in by_id
            ]
        ),
    )


@dataclass(frozen=True)
class EvalReport:
    """An evaluation of one question set under one or more retrievers."""

    qset: QuestionSet
    k: int
    relevant: dict[str, frozenset[str]]
    reports: dict[str, RetrieverReport]
    config: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """One retriever: its report at the top level. Several: nested under ``retrievers``."""
        if len(self.reports) == 1:
            (report,) = self.reports.values()
            return {"config": self.config, **report.to_json()}
        return {"config": self.config, "retrievers": {name: r.to_json() for name, r in self.reports.items()}}


def _search(engine: Engine, qset: QuestionSet, vectors: Mapping[str, QueryVector], question: Question,
            mode: RetrievalMode, k: int) -> tuple[Hit, ...]:
    return tuple(engine.retriever.search(vectors[qset.texts[question.id]], k, mode))


def _chunk_ids(searched: Mapping[str, Sequence[Hit]]) -> dict[str, list[str]]:
    return {qid: [h.passage.chunk_id for h in hits] for qid, hits in searched.items()}


def evaluate(
    engine: Engine,
    qset: QuestionSet,
    *,
    retrievers: Sequence[RetrievalMode | str] = EVALUATION_ORDER,
    k: int = 10,
    on_progress: Progress | None = None,
) -> EvalReport:
    """Search and answer every question under each retriever, embedding each question once.

    Raises:
        QuestionFileError, CorpusMismatchError: see ``judge``.
        ValueError: ``k`` is below 1, or a retriever is not a retrieval mode.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    modes = [RetrievalMode(mode) for mode in retrievers]
    relevant = judge(qset, engine.index.passages)
    pairs = question_pairs(qset.questions)
    vectors = embed_queries(engine.embedder, qset.texts.values(), on_progress)
    total = len(qset.questions) * len(modes)
    reports: dict[str, RetrieverReport] = {}
    for r, mode in enumerate(modes):
        searched: dict[str, tuple[Hit, ...]] = {}
        answers: dict[str, Answer] = {}
        for i, q in enumerate(qset.questions, start=1):
            searched[q.id] = _search(engine, qset, vectors, q, mode, k)
            # The same call as `report-qa ask`, with the vector computed above.
            answers[q.id] = engine.ask(
                q.question, language=q.lang, qid=q.id, mode=mode, query=vectors[qset.texts[q.id]]
            )
            if on_progress:
                on_progress(r * len(qset.questions) + i, total, f"{mode}: searching and answering")
        metrics = ranking_metrics(relevant, _chunk_ids(searched))
        outcomes = []
        for q in qset.questions:
            hits = searched[q.id]
            rel = relevant.get(q.id, frozenset())
            outcomes.append(
                Outcome(
                    question=q,
                    hits=hits,
                    first_relevant=next((h.rank for h in hits if h.passage.chunk_id in rel), None),
                    metrics=metrics.get(q.id),
                    answer=answers[q.id],
                    correctly_cited=cites_evidence(answers[q.id], rel, qset.evidence[q.id]) if q.answerable else None,
                    first_quote_cited=first_quote_cites(answers[q.id], qset.evidence[q.id]) if q.answerable else None,
                )
            )
        reports[mode] = summarise(mode, outcomes, pairs)
        log.info("evaluated %s on %d questions", mode, len(outcomes))
    config = {
        "questions": qset.source,
        "n_questions": len(qset.questions),
        "n_answerable": len(relevant),
        "retrievers": [str(mode) for mode in modes],
        "k": k,
        "model": engine.embedder.model_id,
        "passages": len(engine.index.passages),
        "answer_top_k": engine.settings.top_k,
        "bootstrap": {"samples": BOOTSTRAP_SAMPLES, "seed": BOOTSTRAP_SEED, "level": 0.95},
    }
    return EvalReport(qset, k, relevant, reports, config)


def retrieval_by_language(
    engine: Engine, qset: QuestionSet, modes: Sequence[RetrievalMode], k: int = 10
) -> dict[RetrievalMode, dict[str, Summary]]:
    """Per mode and language, the retrieval summary :func:`evaluate` reports as ``by_language``.

    The same relevance rule, searches and metrics, without answering: the bench's "dev
    retrieval" figures.
    """
    relevant = judge(qset, engine.index.passages)
    vectors = embed_queries(engine.embedder, qset.texts.values())
    out: dict[RetrievalMode, dict[str, Summary]] = {}
    for mode in modes:
        searched = {q.id: _search(engine, qset, vectors, q, mode, k) for q in qset.questions}
        out[mode] = language_summaries(qset.questions, ranking_metrics(relevant, _chunk_ids(searched)))
    return out
