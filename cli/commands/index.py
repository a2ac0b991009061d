"""``report-qa index``: build or update the index, re-reading only new or changed files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.context import common_options, emit, message, settings_from, stage, user_errors


def run_index(settings: Any, *, force: bool, quiet: bool) -> dict[str, Any]:
    """Update the index for ``settings`` when it is stale (or ``force``), and the summary ``index --json`` prints.

    Raises:
        ReportQAError: the corpus or the index cannot be used (the caller turns it into one line).
    """
    from index.embedding import load_embedder
    from index.manifest import read_manifest
    from index.store import build_index, check_index, current_build

    config = settings.index_config()
    embedder = load_embedder(settings.embedder_config())
    reason = message("rebuild_requested") if force else check_index(config, embedder)
    on_stage = (lambda _s: None) if quiet else stage("index")
    if reason is None:
        build = current_build(config.index_dir)
        manifest = read_manifest(build) if build is not None else {}
        counts = manifest.get("counts", {})
        skipped = manifest.get("skipped", [])
        return {
            "status": "up-to-date",
            "index_dir": str(config.index_dir),
            "backend": config.backend,
            "location": config.location,
            "documents": counts.get("documents", 0),
            "passages": counts.get("passages", 0),
            "added": [], "updated": [], "removed": [],
            "unchanged": counts.get("documents", 0),
            "skipped": [{"file": s["path"], "path": s["path"], "reason": s["reason"],
                         "code": (s.get("cause") or {}).get("code")} for s in skipped],
        }
    on_stage(message("building", reason=reason))
    report = build_index(
        config, embedder, show_progress=not quiet and sys.stderr.isatty(), on_stage=on_stage, reuse=not force
    )
    return {
        "status": "built",
        "index_dir": str(config.index_dir),
        "backend": config.backend,
        "location": config.location,
        "documents": report.documents,
        "passages": report.passages,
        "sentences": report.sentences,
        "model": embedder.model_id,
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "unchanged": report.unchanged,
        # "path" is the field's old name; "file" is the issue-12 name. Both say the same.
        "skipped": [{"file": p.path, "path": p.path, "reason": p.reason, "code": p.cause.code if p.cause else None}
                    for p in report.problems],
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
    }


def echo_summary(summary: dict[str, Any], index_dir: Path) -> None:
    """The text output of ``index`` (and of ``docs add/remove``)."""
    if summary["status"] == "up-to-date":
        click.echo(message("index_fresh", path=index_dir))
        return
    click.echo(message("index_built", documents=summary["documents"], passages=summary["passages"],
                       sentences=summary["sentences"], model=summary["model"], path=index_dir))
    click.echo(message("index_changes", added=len(summary["added"]), updated=len(summary["updated"]),
                       removed=len(summary["removed"]), unchanged=summary["unchanged"]))
    for skipped in summary["skipped"]:
        click.echo(message("skipped", path=skipped["file"], reason=skipped["reason"]))


@click.command("index")
@common_options
@click.option("--force", is_flag=True, help="Re-read and re-embed every file, even when the index is up to date.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None, force: bool, as_json: bool) -> None:
    """Build or update the index: only new or changed files are read and embedded."""
    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    with user_errors():
        summary = run_index(settings, force=force, quiet=as_json)
    if as_json:
        emit(summary)
        return
    echo_summary(summary, settings.index_config().index_dir)
