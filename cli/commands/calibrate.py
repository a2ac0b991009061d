"""``report-qa calibrate``: fit the decline decisions on the tune split and print tune and test figures."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from cli.context import UserError, common_options, emit, load_engine, message, settings_from, user_errors


@click.command("calibrate")
@common_options
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Labelled questions (JSONL) [default: every shipped dev question file].")
@click.option("--keep", type=click.FloatRange(0.5, 1.0), default=None,
              help="Share of answerable tune questions that must stay answered [default: 0.93, "
                   "qa.calibration.KEEP_ANSWERED, chosen by cross-validation on tune].")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the fitted answerability model (JSON) here; point REPORT_QA_ANSWERABILITY_MODEL at it.")
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None,
            questions: Path | None, keep: float | None, out_file: Path | None) -> None:
    """Fit the off-topic thresholds and the answerability model on the tune split; print both splits' figures.

    Only the tune split is fitted on: the "test" figures are out of sample.
    """
    from qa.calibration import KEEP_ANSWERED, calibrate
    from qa.evaluation import dev_question_paths, load_question_files, load_questions

    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    with user_errors():
        # A broken file is reported before the model loads (seconds).
        load_questions(questions) if questions else load_question_files(dev_question_paths())
    engine = load_engine(settings)
    with user_errors():
        result = calibrate(engine, questions, KEEP_ANSWERED if keep is None else keep)
    if out_file:
        try:
            result.model.save(out_file)
        except OSError as exc:
            raise UserError(message("cannot_write", path=out_file, reason=exc.strerror or exc)) from exc
    emit({"thresholds": result.thresholds, "model": result.model.to_json(), "declined": result.declined,
          "counts": result.counts,
          "cv": {"l2": result.l2, **(asdict(result.cv) if result.cv else {})},
          "env": {f"REPORT_QA_ABSTAIN_THRESHOLD_{k.upper()}": v for k, v in result.thresholds.items()}})
