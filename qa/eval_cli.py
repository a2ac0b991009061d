"""``report-qa eval``: retrieval and answer evaluation on a question file or on XQuAD.

qa/cli.py imports this module at its top, before it defines its helpers, so they are
imported here only when the command runs (see ``_EvalCommand`` for the shared options).
The evaluation modules (matplotlib, ir-measures) are imported only by ``eval`` itself, so
they do not slow down the other commands.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast, get_args

import click

from qa.settings import Retrieval, Settings

RETRIEVERS: tuple[Retrieval, ...] = tuple(sorted(get_args(Retrieval)))  # bm25, dense, hybrid
_ALL = "all"


class _EvalCommand(click.Command):
    """Takes ``--corpus``, ``--index-dir`` and ``--model`` from qa.cli's ``common_options`` on first use.

    They cannot be applied as decorators: qa.cli is only half-imported when it imports this module.
    """

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not any(p.name == "corpus_dir" for p in self.params):
            from qa.cli import common_options

            # common_options stacks decorators, which record their options in reverse order.
            holder = common_options(lambda: None)
            self.params[:0] = list(reversed(holder.__click_params__))
        return super().get_params(ctx)


def _stage(prefix: str) -> Callable[[str], None]:
    def echo(message: str) -> None:
        click.echo(f"{prefix}: {message}", err=True)

    return echo


@dataclass(frozen=True)
class _Outcome:
    """A finished evaluation: its JSON, its text report, and how to write its files."""

    json: dict[str, Any]
    text: str
    write: Callable[[Path], list[Path]]


@click.command("eval", cls=_EvalCommand)
@click.option("--questions", "questions_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSONL question file (see docs/evaluation.md) [default: the shipped dev questions].")
@click.option("--benchmark", type=click.Choice(["xquad"]), default=None,
              help="Evaluate on a public benchmark instead of a question file.")
@click.option("--retriever", type=click.Choice([*RETRIEVERS, _ALL]), default=None,
              help="Retriever to evaluate, or 'all' to compare them [env REPORT_QA_RETRIEVER; default: hybrid].")
@click.option("-k", "k", type=int, default=10, show_default=True, help="Passages retrieved per question.")
@click.option("--limit", type=int, default=None,
              help="With --benchmark: evaluate a fixed random sample of this many questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write TREC run/qrels, a per-question CSV, the JSON report and a PNG chart here.")
def eval_command(corpus_dir: Path | None, index_dir: Path | None, model: str | None, questions_file: Path | None,
                 benchmark: str | None, retriever: str | None, k: int, limit: int | None, as_json: bool,
                 out_dir: Path | None) -> None:
    """Measure retrieval (hit@1, hit@5, MRR@10, nDCG@10) and answers on test questions."""
    from qa.cli import UserError, _check_k, _settings
    from qa.evaluation import CorpusMismatchError, QuestionFileError, default_questions_path
    from qa.xquad import XquadError

    _check_k(k)
    if benchmark and questions_file:
        raise UserError("--questions and --benchmark cannot be combined")
    if limit is not None and not benchmark:
        raise UserError("--limit applies to --benchmark only")
    if limit is not None and limit < 1:
        raise UserError(f"--limit must be at least 1, got {limit}")
    if benchmark and (corpus_dir or index_dir):
        raise UserError("--corpus and --index-dir do not apply to --benchmark: it indexes its own paragraphs")
    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    modes = list(RETRIEVERS) if retriever == _ALL else [cast(Retrieval, retriever or settings.retriever)]
    try:
        if benchmark:
            outcome = _xquad(settings, modes, k, limit)
        else:
            outcome = _question_file(settings, questions_file or default_questions_path(), modes, k)
        written = outcome.write(out_dir) if out_dir else []
    except (QuestionFileError, CorpusMismatchError, XquadError) as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or out_dir}: {exc.strerror or exc}") from exc
    if as_json:
        click.echo(json.dumps(outcome.json, ensure_ascii=False))
    else:
        click.echo(outcome.text, nl=False)
    for path in written:
        click.echo(f"eval: wrote {path}", err=True)


def _question_file(settings: Settings, path: Path, modes: list[Retrieval], k: int) -> _Outcome:
    from corpus import CorpusError
    from qa.cli import UserError, _engine
    from qa.evaluation import evaluate, load_question_set, render_text, write_report

    try:
        # Validate the file (and find every span in the corpus) before loading the model.
        qset = load_question_set(path, settings.index_config().corpus_dir, settings.max_question_chars)
    except CorpusError as exc:
        raise UserError(str(exc)) from exc
    engine = _engine(settings)
    _stage("eval")(f"{len(qset.questions)} questions, retrievers: {', '.join(modes)}")
    report = evaluate(engine, qset, retrievers=modes, k=k)
    return _Outcome(report.to_json(), render_text(report), lambda out: write_report(report, out))


def _xquad(settings: Settings, modes: list[Retrieval], k: int, limit: int | None) -> _Outcome:
    from index.embedder import Embedder, EmbedderError
    from index.store import IndexStoreError
    from qa.cli import UserError
    from qa.xquad import render_xquad, run_xquad, write_xquad

    try:
        embedder = Embedder(settings.model, settings.cache_dir.expanduser())
        report = run_xquad(settings, embedder, retrievers=modes, k=k, limit=limit,
                           show_progress=sys.stderr.isatty(), on_stage=_stage("xquad"))
    except (EmbedderError, IndexStoreError) as exc:
        raise UserError(str(exc)) from exc
    return _Outcome(report.to_json(), render_xquad(report), lambda out: write_xquad(report, out))
