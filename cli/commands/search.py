"""``report-qa search``: the ranked passages for a question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.batch import require_question, single_or_batch
from cli.context import (
    check_k,
    check_question,
    common_options,
    emit,
    load_engine,
    location,
    question_options,
    settings_from,
    user_errors,
)
from qa.answer import normalize_question
from qa.modes import RetrievalMode


@click.command("search")
@click.argument("question", required=False)
@common_options
@click.option("-k", "k", type=int, default=None, help="Number of passages to return [default: 5].")
@click.option("--retriever", type=click.Choice(RetrievalMode.names()), default=None,
              help="Retrieval mode [env REPORT_QA_RETRIEVER; default: hybrid].")
@question_options
def command(question: str | None, corpus_dir: Path | None, index_dir: Path | None, model: str | None,
            k: int | None, retriever: str | None, queries: Path | None, docs: tuple[str, ...], as_json: bool) -> None:
    """Rank the report's passages for QUESTION."""
    check_k(k)
    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model, retriever=retriever)
    require_question(question, queries)
    check_question(question, settings)
    engine = load_engine(settings)
    with user_errors():
        engine.documents(docs)  # an unknown --doc is one line and exit 2, before any question

    def handle(text: str, qid: Any) -> dict[str, Any]:
        hits = engine.search(text, k, docs=docs)
        cleaned = normalize_question(text, settings.max_question_chars)
        return {"id": qid, "question": cleaned, "passages": [h.to_json() for h in hits]}

    result = single_or_batch(question, queries, handle)
    if result is None:
        return
    if as_json:
        emit(result)
        return
    for p in result["passages"]:
        where = location(p["section"], p["paragraph"], p["page"], p.get("page_label"))
        click.echo(f"{p['rank']}. [{p['score']:.4f}] {p['doc']} — {where} ({p['chunk_id']})")
        click.echo(f"   {p['text'][:300]}{'…' if len(p['text']) > 300 else ''}\n")
