"""``report-qa index``: build or update the index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.context import common_options, emit, message, settings_from, stage, user_errors


@click.command("index")
@common_options
@click.option("--force", is_flag=True, help="Rebuild even when the index is up to date.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None, force: bool, as_json: bool) -> None:
    """Build or update the index (passages, FAISS vectors, BM25)."""
    import sys

    from index.embedding import load_embedder
    from index.store import build_index, check_index

    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    config = settings.index_config()
    with user_errors():
        embedder = load_embedder(settings.embedder_config())
        reason = message("rebuild_requested") if force else check_index(config, embedder)
        if reason is None:
            summary: dict[str, Any] = {"status": "up-to-date", "index_dir": str(config.index_dir)}
            summary |= {"backend": config.backend, "location": config.location}
        else:
            stage("index")(message("building", reason=reason))
            report = build_index(config, embedder, show_progress=sys.stderr.isatty(), on_stage=stage("index"))
            summary = {
                "status": "built",
                "index_dir": str(config.index_dir),
                "backend": config.backend,
                "location": config.location,
                "documents": report.documents,
                "passages": report.passages,
                "sentences": report.sentences,
                "model": embedder.model_id,
                "skipped": [{"path": p.path, "reason": p.reason} for p in report.problems],
                "timings": {k: round(v, 3) for k, v in report.timings.items()},
            }
    if as_json:
        emit(summary)
        return
    if summary["status"] == "up-to-date":
        click.echo(message("index_fresh", path=config.index_dir))
        return
    click.echo(message("index_built", documents=summary["documents"], passages=summary["passages"],
                       sentences=summary["sentences"], model=summary["model"], path=config.index_dir))
    for skipped in summary["skipped"]:
        click.echo(message("skipped", path=skipped["path"], reason=skipped["reason"]))
