"""How generated (LLM) answers fare on a question set: ``report-qa eval --answerer llm``.

- answered / declined by kind;
- citation recall and precision in the style of ALCE (Gao et al., 2023), with our validator
  (``qa.llm.validate``) as the judge instead of an NLI model, over everything the model wrote
  before validation: recall = sentences supported by their citations / sentences written;
  precision = citations that alone support their sentence / citations written;
- the share of written sentences that validation dropped;
- language match: answered answers written in the question's language;
- agreement with the reference answer (a question's optional ``answer``): mean e5 cosine
  similarity between the validated answer and the reference, and the share above
  ``AGREEMENT_AT``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from qa.engine import Engine
from qa.evaluation.runner import Outcome
from qa.language import detect_language

# A generated answer "agrees" with the reference when their e5 similarity reaches this.
AGREEMENT_AT = 0.85
_MARKER_RE = re.compile(r"\s*\[\d+\]")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def generated_summary(engine: Engine, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The generated-answer figures over ``outcomes`` (one retriever's)."""
    by_kind: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = by_kind.setdefault(o.question.group, {"questions": 0, "answered": 0, "declined": 0, "fallback": 0})
        row["questions"] += 1
        row["answered" if o.answer.answered else "declined"] += 1
        row["fallback"] += o.answer.fallback_reason is not None
    stats = [o.answer.generation for o in outcomes if o.answer.generation is not None]
    sentences = sum(s.sentences for s in stats)
    answered = [o for o in outcomes if o.answer.answered and o.answer.answerer == "llm"]
    texts = [_MARKER_RE.sub("", o.answer.answer) for o in answered]
    matched = sum(detect_language(t) == o.question.lang for t, o in zip(texts, answered, strict=True))
    referenced = [(t, o.question.answer) for t, o in zip(texts, answered, strict=True) if o.question.answer]
    agreement: dict[str, Any] = {"questions": len(referenced), "mean_similarity": None, "agree": None}
    if referenced:
        vectors = engine.retriever.embed_many([t for t, _ in referenced] + [r for _, r in referenced if r])
        n = len(referenced)
        sims = np.sum(vectors[:n] * vectors[n:], axis=1)
        agreement = {"questions": n, "mean_similarity": round(float(sims.mean()), 3),
                     "agree": round(float((sims >= AGREEMENT_AT).mean()), 3), "at": AGREEMENT_AT}
    return {
        "model": next((o.answer.model for o in outcomes if o.answer.model), None),
        "by_kind": by_kind,
        "generated_answers": len(stats),
        "fallbacks": sum(o.answer.fallback_reason is not None for o in outcomes),
        "sentences_written": sentences,
        "citation_recall": _share(sum(s.supported for s in stats), sentences),
        "citation_precision": _share(sum(s.supporting for s in stats), sum(s.citations for s in stats)),
        "dropped_share": _share(sentences - sum(s.supported for s in stats), sentences),
        "language_match": _share(matched, len(answered)),
        "reference_agreement": agreement,
    }


def render_generated(summary: dict[str, Any]) -> str:
    """The figures as text, after the retrieval report."""
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{100 * value:.1f}%"

    lines = [f"\nGenerated answers ({summary['model'] or 'no model answered'}):"]
    for kind, row in sorted(summary["by_kind"].items()):
        lines.append(f"  {kind:<16} {row['answered']:>3} answered, {row['declined']:>3} declined "
                     f"({row['fallback']} fell back) of {row['questions']}")
    lines.append(f"  sentences written {summary['sentences_written']}, dropped {pct(summary['dropped_share'])}")
    lines.append(f"  citation recall {pct(summary['citation_recall'])}, "
                 f"precision {pct(summary['citation_precision'])} (validator as judge)")
    lines.append(f"  language match {pct(summary['language_match'])}")
    ref = summary["reference_agreement"]
    if ref["questions"]:
        lines.append(f"  reference agreement: mean similarity {ref['mean_similarity']}, "
                     f"{pct(ref['agree'])} ≥ {ref['at']} ({ref['questions']} answers with a reference)")
    return "\n".join(lines) + "\n"
