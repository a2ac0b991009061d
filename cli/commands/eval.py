"""``report-qa eval``: retrieval and answer evaluation on a question file or on XQuAD.

The evaluation modules (matplotlib, ir-measures) are imported only when the command runs,
so they do not slow down the other commands.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cli.context import (
    UserError,
    check_k,
    common_options,
    llm_options,
    llm_overrides,
    load_engine,
    message,
    probe_llm,
    settings_from,
    stage,
    user_errors,
)
from qa.modes import EVALUATION_ORDER, RetrievalMode
from qa.settings import Settings

ALL = "all"


@dataclass(frozen=True)
class _Outcome:
    """A finished evaluation: its JSON, its text report, and how to write its files."""

    json: dict[str, Any]
    text: str
    write: Callable[[Path], list[Path]]


@click.command("eval")
@common_options
@click.option("--questions", "questions_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSONL question file (see docs/evaluation.md) [default: the shipped dev questions].")
@click.option("--benchmark", type=click.Choice(["xquad"]), default=None,
              help="Evaluate on a public benchmark instead of a question file.")
@click.option("--retriever", type=click.Choice([*(m.value for m in EVALUATION_ORDER), ALL]), default=None,
              help="Retriever to evaluate, or 'all' to compare them [env REPORT_QA_RETRIEVER; default: hybrid].")
@click.option("-k", "k", type=int, default=10, show_default=True, help="Passages retrieved per question.")
@click.option("--limit", type=int, default=None,
              help="With --benchmark: evaluate a fixed random sample of this many questions.")
@click.option("--split", type=click.Choice(["tune", "test", "all"]), default="all", show_default=True,
              help="Dev questions of the tune split (what weights and thresholds are fitted on), the test "
                   "split (what is reported), or all.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write TREC run/qrels, a per-question CSV, the JSON report and a PNG chart here.")
@click.option("--answerer", default=None,
              help="Answerer to evaluate: extractive or llm (generated; needs --llm URL or REPORT_QA_LLM_URL) "
                   "[default: llm when an LLM URL is set, else extractive].")
@llm_options
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None, questions_file: Path | None,
            benchmark: str | None, retriever: str | None, k: int, limit: int | None, split: str, as_json: bool,
            out_dir: Path | None, answerer: str | None, llm_url: str | None, no_llm: bool) -> None:
    """Measure retrieval (hit@1, hit@5, MRR@10, nDCG@10) and answers on test questions."""
    from qa.evaluation import dev_question_paths

    check_k(k)
    if benchmark and questions_file:
        raise UserError(message("questions_and_benchmark"))
    if limit is not None and not benchmark:
        raise UserError(message("limit_needs_benchmark"))
    if limit is not None and limit < 1:
        raise UserError(message("limit_positive", limit=limit))
    if benchmark and (corpus_dir or index_dir):
        raise UserError(message("benchmark_own_index"))
    overrides = llm_overrides(llm_url, no_llm)
    if answerer:
        overrides["answerer"] = answerer
    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model, **overrides)
    modes = list(EVALUATION_ORDER) if retriever == ALL else [RetrievalMode(retriever or settings.retriever)]
    with user_errors():
        if benchmark:
            outcome = _xquad(settings, modes, k, limit)
        else:
            paths = [questions_file] if questions_file else list(dev_question_paths())
            outcome = _question_file(settings, paths, modes, k, split)
        try:
            written = outcome.write(out_dir) if out_dir else []
        except OSError as exc:
            raise UserError(message("cannot_write", path=exc.filename or out_dir, reason=exc.strerror or exc)) from exc
    if as_json:
        click.echo(json.dumps(outcome.json, ensure_ascii=False))
    else:
        click.echo(outcome.text, nl=False)
    for path in written:
        click.echo(message("wrote", path=path), err=True)


def _question_file(settings: Settings, paths: list[Path], modes: list[RetrievalMode], k: int,
                   split: str) -> _Outcome:
    from qa.evaluation import evaluate, load_question_set, render_text, write_report

    # Validate the file (and find every span in the corpus) before loading the model.
    qset = load_question_set(paths[0] if len(paths) == 1 else paths, settings.index_config().corpus_dir,
                             settings.max_question_chars, split=split)
    engine = load_engine(settings)
    stage("eval")(message("eval_started", n=len(qset.questions), modes=", ".join(modes)))
    probe_llm(engine)
    report = evaluate(engine, qset, retrievers=modes, k=k)
    data, text = report.to_json(), render_text(report)
    data["config"]["split"] = split
    if engine.answerer.name == "llm":  # issue 10: how the generated answers fared
        from qa.evaluation.generated import generated_summary, render_generated

        first = next(iter(report.reports.values()))
        data["generated"] = generated_summary(engine, first.outcomes)
        text += render_generated(data["generated"])
    return _Outcome(data, text, lambda out: write_report(report, out))


def _xquad(settings: Settings, modes: list[RetrievalMode], k: int, limit: int | None) -> _Outcome:
    from index.embedding import load_embedder
    from qa.evaluation.xquad import render_xquad, run_xquad, write_xquad

    embedder = load_embedder(settings.embedder_config())
    report = run_xquad(settings, embedder, retrievers=modes, k=k, limit=limit,
                       show_progress=sys.stderr.isatty(), on_stage=stage("xquad"))
    return _Outcome(report.to_json(), render_xquad(report), lambda out: write_xquad(report, out))
