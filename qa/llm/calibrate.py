"""Calibrate the support threshold of ``qa.llm.validate`` on the dev questions' tune split.

No dev file holds generated claims with support labels, so the question stands in for a claim
about its answer (the same cross-lingual situation: an English or Turkish sentence against
Turkish passage sentences). For each tune question, each retrieved passage gives one pair
(question, the passage's best sentence): supported when the passage holds the question's evidence
(the relevance rule of ``qa.evaluation.relevance``), unsupported otherwise, and every passage
retrieved for an unanswerable question is unsupported. Precision first: the threshold is the
lowest similarity at which at most ``MAX_UNSUPPORTED_KEPT`` of the tune split's unsupported pairs
pass (dropping a true sentence costs less than keeping an unsupported one; the figure check is
the second guard). The figures printed for the test split are the ones to quote.

Run: ``python -m qa.llm.calibrate`` (same REPORT_QA_* settings as ``report-qa``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.engine import Engine
from qa.evaluation.questions import dev_question_paths
from qa.evaluation.relevance import judge, load_question_set
from qa.llm.script import run

# Share of unsupported (question, passage) pairs the threshold may let through on the tune split.
MAX_UNSUPPORTED_KEPT = 0.3


@dataclass(frozen=True)
class Pairs:
    supported: list[float]
    unsupported: list[float]


def _rates(pairs: Pairs, threshold: float) -> tuple[float, float]:
    tpr = float(np.mean([s >= threshold for s in pairs.supported])) if pairs.supported else 0.0
    fpr = float(np.mean([s >= threshold for s in pairs.unsupported])) if pairs.unsupported else 0.0
    return tpr, fpr


def collect(engine: Engine, split: str) -> Pairs:
    """Best-sentence similarities of (question, retrieved passage) pairs in ``split``."""
    s = engine.settings
    qset = load_question_set(dev_question_paths(), s.corpus_dir.expanduser().resolve(), s.max_question_chars,
                             split=split)
    relevant = judge(qset, engine.retriever.backend.passages)
    pairs = Pairs([], [])
    for q in qset.questions:
        request = engine.prepare(qset.texts[q.id])
        for hit in request.hits[: s.llm_passages]:
            sim = float((engine.retriever.sentence_vectors(hit.row) @ request.query.vector).max())
            good = q.answerable and hit.passage.chunk_id in relevant.get(q.id, frozenset())
            (pairs.supported if good else pairs.unsupported).append(sim)
    return pairs


def best_threshold(pairs: Pairs, max_unsupported: float = MAX_UNSUPPORTED_KEPT) -> float:
    """The lowest similarity at which at most ``max_unsupported`` of the unsupported pairs pass."""
    for t in sorted(set(pairs.supported) | set(pairs.unsupported)):
        if _rates(pairs, t)[1] <= max_unsupported:
            return round(t, 3)
    raise ValueError("no pairs to calibrate on")


def report() -> dict[str, object]:
    """The threshold chosen on tune, with its figures on both splits (the script's output)."""
    from qa.settings import Settings

    engine = Engine.load(Settings())
    tune, test = collect(engine, "tune"), collect(engine, "test")
    threshold = best_threshold(tune)
    out: dict[str, object] = {"threshold": threshold, "env": {"REPORT_QA_LLM_SUPPORT_THRESHOLD": threshold}}
    for name, pairs in (("tune", tune), ("test", test)):
        tpr, fpr = _rates(pairs, threshold)
        out[name] = {"supported_pairs": len(pairs.supported), "unsupported_pairs": len(pairs.unsupported),
                     "kept_supported": round(tpr, 3), "kept_unsupported": round(fpr, 3)}
    return out


if __name__ == "__main__":
    run("qa.llm.calibrate", report)
