"""Retrieval metrics from ir-measures, percentile-bootstrap intervals, and the summaries built on them.

Metrics are ``Success@1``, ``Success@5``, ``RR@10`` and ``nDCG@10`` (reported as hit@1, hit@5,
mrr@10, ndcg@10) over binary qrels and runs built here; 95% intervals are percentile
bootstraps over questions with a fixed seed, so reports are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ir_measures
import numpy as np
from ir_measures import RR, Qrel, ScoredDoc, Success, nDCG

# Reported name -> ir-measures measure. Success@k is "at least one relevant passage in the top k".
MEASURES = {"hit@1": Success @ 1, "hit@5": Success @ 5, "mrr@10": RR @ 10, "ndcg@10": nDCG @ 10}
METRICS = tuple(MEASURES)
ANSWER_METRICS = ("answered", "correctly_cited", "first_quote_cited")
# Unanswerable questions: declined at all, and declined with their kind's own message.
DECLINE_METRICS = ("declined", "own_message")
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20240601


def build_qrels(relevant: Mapping[str, Iterable[str]]) -> list[Qrel]:
    """Binary qrels: every relevant passage has relevance 1."""
    return [Qrel(qid, doc, 1) for qid, docs in relevant.items() for doc in sorted(docs)]


def build_run(rankings: Mapping[str, Sequence[str]]) -> list[ScoredDoc]:
    """A run from ranked chunk ids. Scores are rank-derived (n, n-1, …, 1) so evaluation
    follows our order exactly: raw fused scores can tie and trec_eval breaks ties by doc id."""
    return [
        ScoredDoc(qid, doc, float(len(docs) - i)) for qid, docs in rankings.items() for i, doc in enumerate(docs)
    ]


def per_question_metrics(qrels: Sequence[Qrel], run: Sequence[ScoredDoc]) -> dict[str, dict[str, float]]:
    """Each judged question's value of every metric, via ``ir_measures.iter_calc``.

    A question with qrels but no retrieved passage scores 0 on every metric.
    """
    names = {measure: name for name, measure in MEASURES.items()}
    values: dict[str, dict[str, float]] = {q.query_id: dict.fromkeys(METRICS, 0.0) for q in qrels}
    for metric in ir_measures.iter_calc(list(MEASURES.values()), list(qrels), list(run)):
        if metric.query_id in values:
            values[metric.query_id][names[metric.measure]] = float(metric.value)
    return values


def ranking_metrics(
    relevant: Mapping[str, Iterable[str]], rankings: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, float]]:
    """Every metric of every judged question (a key of ``relevant``) from its ranked chunk ids."""
    return per_question_metrics(
        build_qrels(relevant), build_run({qid: rankings.get(qid, ()) for qid in relevant})
    )


def bootstrap_ci(
    values: np.ndarray, *, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile-bootstrap interval of the column means of ``values`` (questions × metrics).

    Questions are resampled with replacement; the fixed seed makes reports reproducible.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or len(values) == 0:
        raise ValueError(f"bootstrap needs a non-empty questions × metrics array, got shape {values.shape}")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(samples, len(values)))
    means = values[picks].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975], axis=0)
    return low, high


@dataclass(frozen=True)
class Summary:
    """Means of per-question values over a group of questions, with 95% bootstrap intervals."""

    n: int
    means: dict[str, float] = field(default_factory=dict)
    ci95: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> Summary:
        """The summary of ``rows`` (one per question) over the values called ``names``."""
        if not rows:
            return cls(0)
        matrix = np.array([[row[name] for name in names] for row in rows], dtype=np.float64)
        low, high = bootstrap_ci(matrix)
        means = matrix.mean(axis=0)
        return cls(
            len(rows),
            {name: float(means[i]) for i, name in enumerate(names)},
            {name: (float(low[i]), float(high[i])) for i, name in enumerate(names)},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: round(value, 4) for name, value in self.means.items()}
        out["n"] = self.n
        if self.ci95:
            out["ci95"] = {name: [round(lo, 4), round(hi, 4)] for name, (lo, hi) in self.ci95.items()}
        return out


@dataclass(frozen=True)
class PairGap:
    """Paired Turkish and English questions: each side's metrics and the tr − en gap."""

    tr: Summary
    en: Summary
    gap: dict[str, float]
    gap_ci95: dict[str, tuple[float, float]]

    @classmethod
    def of(cls, rows: Sequence[tuple[Mapping[str, float], Mapping[str, float]]]) -> PairGap:
        """The gap over ``rows`` of (Turkish metrics, English metrics), one row per pair."""
        tr = Summary.of([a for a, _ in rows], METRICS)
        en = Summary.of([b for _, b in rows], METRICS)
        if not rows:
            return cls(tr, en, {}, {})
        diffs = np.array([[a[m] - b[m] for m in METRICS] for a, b in rows], dtype=np.float64)
        low, high = bootstrap_ci(diffs)
        means = diffs.mean(axis=0)
        return cls(
            tr,
            en,
            {m: float(means[i]) for i, m in enumerate(METRICS)},
            {m: (float(low[i]), float(high[i])) for i, m in enumerate(METRICS)},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.tr.n,
            "tr": self.tr.to_json(),
            "en": self.en.to_json(),
            "gap": {m: round(v, 4) for m, v in self.gap.items()},
            "gap_ci95": {m: [round(lo, 4), round(hi, 4)] for m, (lo, hi) in self.gap_ci95.items()},
        }


@dataclass(frozen=True)
class AnswerSummary:
    """Answer-side shares: answerable questions answered / correctly cited, unanswerable declined."""

    answerable: Summary
    unanswerable: Summary
    declined_by_kind: dict[str, Summary]

    def to_json(self) -> dict[str, Any]:
        return {
            "answerable": self.answerable.to_json(),
            "unanswerable": {
                **self.unanswerable.to_json(),
                "by_kind": {kind: s.to_json() for kind, s in self.declined_by_kind.items()},
            },
        }
