"""Calibrate the abstention thresholds on labelled questions (the dev set by default).

Calibration measures the extractive answerer's relevance score (see
``qa.answerers.extractive``) for every question, through the engine, so it scores exactly
what ``report-qa ask`` compares with the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from corpus.errors import ReportQAError
from qa.answerers import AnswerRequest
from qa.engine import Engine
from qa.evaluation.questions import default_questions_path, load_questions, question_texts
from qa.evaluation.runner import embed_queries
from qa.language import answer_language

# The share of answerable questions that must stay answered: the threshold is the
# relevance at this quantile's complement, so 5% of answerable dev questions fall below.
KEEP_ANSWERED = 0.95
OFF_TOPIC_KIND = "off-topic"


@runtime_checkable
class ScoresRelevance(Protocol):
    """An answerer that declines below a relevance threshold, and can say a question's relevance."""

    def relevance(self, request: AnswerRequest) -> float: ...


@dataclass(frozen=True)
class Calibration:
    thresholds: dict[str, float]
    declined: dict[str, dict[str, float]]  # language -> kind -> share declined at the threshold
    counts: dict[str, dict[str, int]]


def calibrate(engine: Engine, questions_file: Path | None = None, keep: float = KEEP_ANSWERED) -> Calibration:
    """Per-language abstention thresholds from the questions in ``questions_file`` (default: the dev set).

    The threshold is the relevance below which ``1 - keep`` of the answerable questions
    fall, lowered to halfway towards the most relevant off-topic question when that one
    scores lower still.

    Raises:
        QuestionFileError: the file is unreadable or malformed (every message names its line).
        ReportQAError: the configured answerer has no relevance score to calibrate.
        ValueError: ``keep`` is not in (0, 1].
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    answerer = engine.answerer
    if not isinstance(answerer, ScoresRelevance):
        raise ReportQAError(
            f"calibration applies to the extractive answerer, which declines below a relevance threshold; "
            f"the configured answerer {answerer.name!r} has none (set REPORT_QA_ANSWERER=extractive)",
            "not_calibratable",
        )
    path = questions_file or default_questions_path()
    questions = load_questions(path)
    texts = question_texts(questions, str(path), engine.settings.max_question_chars)
    vectors = embed_queries(engine.embedder, texts.values())
    scored: dict[str, list[tuple[str, float]]] = {}
    for q in questions:
        request = engine.prepare(q.question, language=q.lang, qid=q.id, query=vectors[texts[q.id]])
        kind = "answerable" if q.answerable else q.kind or "unanswerable"
        scored.setdefault(answer_language(q.lang), []).append((kind, answerer.relevance(request)))
    thresholds: dict[str, float] = {}
    declined: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for lang, items in scored.items():
        answerable = np.array([s for k, s in items if k == "answerable"])
        if len(answerable) == 0:
            continue
        threshold = float(np.quantile(answerable, 1 - keep, method="lower"))
        off_topic = [s for k, s in items if k == OFF_TOPIC_KIND]
        if off_topic and max(off_topic) < threshold:
            # Room between the two groups: sit halfway, so paraphrased answerable questions
            # (less similar than ours) are not declined needlessly.
            threshold = (threshold + max(off_topic)) / 2
        thresholds[lang] = round(threshold, 3)
        kinds = sorted({k for k, _ in items})
        declined[lang] = {k: round(float(np.mean([s < threshold for kk, s in items if kk == k])), 3) for k in kinds}
        counts[lang] = {k: sum(1 for kk, _ in items if kk == k) for k in kinds}
    return Calibration(thresholds, declined, counts)
