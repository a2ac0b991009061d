"""``report-qa docs``: list the documents of the configured corpus, add files to it, remove them."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import click

from cli.commands.index import echo_summary, run_index
from cli.context import UserError, common_options, emit, message, settings_from, user_errors


def _corpus(settings: Any) -> Path:
    from corpus.loader import default_corpus_dir

    corpus = settings.index_config().corpus_dir
    if corpus == default_corpus_dir().resolve():
        raise UserError(message("docs_bundled"))
    return Path(corpus)


def _matches(corpus: Path, name: str) -> list[Path]:
    """Corpus files called ``name``: by path in the corpus, file name, or file name without extension."""
    from corpus.loader import corpus_entries

    wanted = name.strip().casefold()
    with user_errors():
        entries = corpus_entries(corpus)
    return [
        path for path, rel, _ in entries
        if wanted in (rel.casefold(), PurePosixPath(rel).name.casefold(), PurePosixPath(rel).stem.casefold())
    ]


@click.group("docs")
def group() -> None:
    """List, add and remove the documents of the corpus (--corpus DIR or REPORT_QA_CORPUS_DIR)."""


@group.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {documents: [...], skipped: [...]}.")
def list_command(corpus_dir: Path | None, index_dir: Path | None, model: str | None, as_json: bool) -> None:
    """Every document with its type, pages and passages, and every skipped file with the reason.

    Brings the index up to date first (reading only new or changed files).
    """
    from index.manifest import read_manifest
    from index.store import current_build

    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    with user_errors():
        run_index(settings, force=False, quiet=as_json)
        build = current_build(settings.index_config().index_dir)
        manifest = read_manifest(build) if build is not None else {}
    documents = [
        {
            "file": d["name"], "title": d.get("title"), "type": d.get("type"), "pages": d.get("pages"),
            "passages": d.get("passages"), "notes": d.get("notes", []), "status": "indexed",
        }
        for d in manifest.get("documents", [])
    ]
    skipped = [
        {"file": s["path"], "status": "skipped", "reason": s["reason"], "code": (s.get("cause") or {}).get("code")}
        for s in manifest.get("skipped", [])
    ]
    if as_json:
        emit({"documents": documents, "skipped": skipped})
        return
    if not documents and not skipped:
        click.echo(message("docs_none"))
    for d in documents:
        click.echo(message("doc_line", name=d["file"], type=d["type"] or "?", title=d["title"] or "",
                           pages=d["pages"] if d["pages"] is not None else "—", passages=d["passages"]))
        for note in d["notes"]:
            click.echo(f"    {note}")
    for s in skipped:
        click.echo(message("doc_skipped", name=s["file"], reason=s["reason"]))


@group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the index summary as JSON (as `index --json`).")
def add_command(files: tuple[Path, ...], corpus_dir: Path | None, index_dir: Path | None, model: str | None,
                as_json: bool) -> None:
    """Copy FILES into the corpus folder and index them (only they are read and embedded)."""
    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    corpus = _corpus(settings)
    for file in files:
        if not file.is_file():
            raise UserError(message("docs_not_file", path=file))
        if (corpus / file.name).exists():
            raise UserError(message("docs_exists", name=file.name, corpus=corpus))
    corpus.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy2(file, corpus / file.name)
        if not as_json:
            click.echo(message("docs_added", path=corpus / file.name))
    with user_errors():
        summary = run_index(settings, force=False, quiet=as_json)
    emit(summary) if as_json else echo_summary(summary, settings.index_config().index_dir)


@group.command("remove")
@click.argument("names", nargs=-1, required=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the index summary as JSON (as `index --json`).")
def remove_command(names: tuple[str, ...], corpus_dir: Path | None, index_dir: Path | None, model: str | None,
                   as_json: bool) -> None:
    """Delete the files NAMES (path, file name or name without extension) from the corpus folder and the index."""
    from corpus.loader import corpus_entries

    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    corpus = _corpus(settings)
    chosen: list[Path] = []
    for name in names:
        found = _matches(corpus, name)
        if not found:
            with user_errors():
                known = ", ".join(rel for _, rel, _ in corpus_entries(corpus))
            raise UserError(message("docs_no_match", name=name, corpus=corpus, known=known or "—"))
        chosen.extend(found)
    for path in chosen:
        path.unlink(missing_ok=True)
        if not as_json:
            click.echo(message("docs_removed", path=path))
    with user_errors():
        summary = run_index(settings, force=False, quiet=as_json)
    emit(summary) if as_json else echo_summary(summary, settings.index_config().index_dir)
