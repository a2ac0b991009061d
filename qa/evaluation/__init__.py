"""Retrieval and answer evaluation on a question file, with relevance judged by content.

One module per job:

* ``questions``: the question-file format and its one validated loader (also used by
  ``report-qa calibrate`` and ``report-qa bench``);
* ``relevance``: the one relevance rule (a passage holding at least half of an evidence span);
* ``metrics``: ir-measures metrics, bootstrap intervals and summaries;
* ``runner``: :func:`evaluate`, answering through the engine's answerer;
* ``reports``: text tables, CSV, TREC qrels and runs, JSON and charts;
* ``xquad``: XQuAD as a cross-lingual passage-retrieval benchmark (imported on its own).
"""

from __future__ import annotations

from qa.evaluation.metrics import (
    ANSWER_METRICS,
    MEASURES,
    METRICS,
    AnswerSummary,
    PairGap,
    Summary,
    bootstrap_ci,
    build_qrels,
    build_run,
    per_question_metrics,
    ranking_metrics,
)
from qa.evaluation.questions import (
    ALL_SPLITS,
    LANGUAGES,
    SPLITS,
    Question,
    QuestionFileError,
    default_questions_path,
    dev_question_paths,
    load_question_files,
    load_questions,
    parse_questions,
    question_pairs,
    question_texts,
    sanity_questions_path,
    select_split,
)
from qa.evaluation.relevance import (
    CorpusMismatchError,
    EvidenceMatcher,
    Occurrence,
    QuestionSet,
    cites_evidence,
    first_quote_cites,
    judge,
    load_question_set,
    prepare_questions,
    relevant_passages,
)
from qa.evaluation.reports import (
    QUESTION_COLUMNS,
    TABLE_COLUMNS,
    format_table,
    format_value,
    metrics_chart,
    render_text,
    report_chart,
    table_rows,
    write_csv,
    write_qrels,
    write_report,
    write_run,
)
from qa.evaluation.runner import (
    EvalReport,
    Outcome,
    Progress,
    RetrieverReport,
    embed_queries,
    evaluate,
    retrieval_by_language,
)
from qa.modes import EVALUATION_ORDER

# The name the web chat's Evaluation tab imports: the modes in the order evaluation reports them.
RETRIEVERS = EVALUATION_ORDER

__all__ = [
    "ALL_SPLITS",
    "ANSWER_METRICS",
    "LANGUAGES",
    "MEASURES",
    "METRICS",
    "QUESTION_COLUMNS",
    "RETRIEVERS",
    "SPLITS",
    "TABLE_COLUMNS",
    "AnswerSummary",
    "CorpusMismatchError",
    "EvalReport",
    "EvidenceMatcher",
    "Occurrence",
    "Outcome",
    "PairGap",
    "Progress",
    "Question",
    "QuestionFileError",
    "QuestionSet",
    "RetrieverReport",
    "Summary",
    "bootstrap_ci",
    "build_qrels",
    "build_run",
    "cites_evidence",
    "default_questions_path",
    "dev_question_paths",
    "embed_queries",
    "evaluate",
    "first_quote_cites",
    "format_table",
    "format_value",
    "judge",
    "load_question_files",
    "load_question_set",
    "load_questions",
    "metrics_chart",
    "parse_questions",
    "per_question_metrics",
    "prepare_questions",
    "question_pairs",
    "question_texts",
    "ranking_metrics",
    "relevant_passages",
    "render_text",
    "report_chart",
    "retrieval_by_language",
    "sanity_questions_path",
    "select_split",
    "table_rows",
    "write_csv",
    "write_qrels",
    "write_report",
    "write_run",
]
