"""The bench's "dev retrieval" figures: hit@5 and MRR@10 per language on the dev questions.

They are the figures ``report-qa eval`` reports as ``by_language``: the same relevance rule
(a passage holding at least half of an evidence span, ``qa.evaluation.relevance``), the
same searches and the same ir-measures metrics, here without answering.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.modes import RetrievalMode

if TYPE_CHECKING:
    from qa.engine import Engine

QUALITY_MODES = (RetrievalMode.HYBRID, RetrievalMode.DENSE)
QUALITY_METRICS = ("hit@5", "mrr@10")


def dev_retrieval_metrics(
    engine: Engine, modes: Sequence[RetrievalMode] = QUALITY_MODES, k: int = 10
) -> dict[str, dict[str, dict[str, float]]]:
    """Per mode and language: hit@5 and MRR@10 (rounded to 4 places) and the number of questions.

    Raises:
        QuestionFileError: the dev questions do not match the engine's corpus.
    """
    from qa.evaluation import default_questions_path, load_question_set, retrieval_by_language

    settings = engine.settings
    qset = load_question_set(default_questions_path(), settings.index_config().corpus_dir,
                             settings.max_question_chars)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for mode, by_language in retrieval_by_language(engine, qset, modes, k).items():
        out[str(mode)] = {
            lang: {name: round(summary.means[name], 4) for name in QUALITY_METRICS} | {"n": summary.n}
            for lang, summary in by_language.items()
            if summary.n
        }
    return out
