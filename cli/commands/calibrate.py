"""``report-qa calibrate``: the abstention thresholds from labelled questions."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import common_options, emit, load_engine, settings_from, user_errors


@click.command("calibrate")
@common_options
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Labelled questions (JSONL) [default: the shipped dev questions].")
@click.option("--keep", type=click.FloatRange(0.5, 1.0), default=0.95, show_default=True,
              help="Share of answerable questions that must stay answered.")
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None,
            questions: Path | None, keep: float) -> None:
    """Compute the abstention thresholds from labelled questions and print them as JSON."""
    from qa.calibration import calibrate
    from qa.evaluation import default_questions_path, load_questions

    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    path = questions or default_questions_path()
    with user_errors():
        load_questions(path)  # a broken file is reported before the model loads (seconds)
    engine = load_engine(settings)
    with user_errors():
        result = calibrate(engine, path, keep)
    emit({"thresholds": result.thresholds, "declined": result.declined, "counts": result.counts,
          "env": {f"REPORT_QA_ABSTAIN_THRESHOLD_{k.upper()}": v for k, v in result.thresholds.items()}})
