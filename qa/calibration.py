"""Calibrate the abstention thresholds on labelled questions (the dev set by default)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer import relevance
from qa.engine import Engine
from qa.language import answer_language
from qa.retrieval import QueryVector

DEV_QUESTIONS = Path(__file__).resolve().parent / "data" / "dev_questions.jsonl"
# The share of answerable questions that must stay answered: the threshold is the
# relevance at this quantile's complement, so 5% of answerable dev questions fall below.
KEEP_ANSWERED = 0.95
OFF_TOPIC_KIND = "off-topic"


@dataclass(frozen=True)
class Calibration:
    thresholds: dict[str, float]
    declined: dict[str, dict[str, float]]  # language -> kind -> share declined at the threshold
    counts: dict[str, dict[str, int]]


def calibrate(engine: Engine, questions_file: Path = DEV_QUESTIONS, keep: float = KEEP_ANSWERED) -> Calibration:
    """Per-language abstention thresholds.

    The threshold is the relevance below which ``1 - keep`` of the answerable questions
    fall, lowered to halfway towards the most relevant off-topic question when that one
    scores lower still.
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    rows = [json.loads(line) for line in questions_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    retriever = engine.retriever
    vectors = engine.embedder.encode_queries([r["question"] for r in rows])
    scored: dict[str, list[tuple[str, float]]] = {}
    for row, vector in zip(rows, vectors, strict=True):
        query = QueryVector(row["question"], vector)
        hits = retriever.search(query, engine.settings.top_k)
        kind = "answerable" if row.get("answerable", True) else row.get("kind") or "unanswerable"
        scored.setdefault(answer_language(row["lang"]), []).append((kind, relevance(retriever, query, hits)))
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
