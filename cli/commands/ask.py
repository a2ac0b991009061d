"""``report-qa ask``: a cited answer to a question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.batch import require_question, single_or_batch
from cli.context import (
    check_question,
    common_options,
    emit,
    llm_options,
    llm_overrides,
    load_engine,
    location,
    probe_llm,
    question_options,
    settings_from,
    user_errors,
)


@click.command("ask")
@click.argument("question", required=False)
@common_options
@click.option("--lang", type=click.Choice(["tr", "en"]), default=None,
              help="Answer language [default: the question's language].")
@question_options
@llm_options
def command(question: str | None, corpus_dir: Path | None, index_dir: Path | None, model: str | None,
            lang: str | None, queries: Path | None, docs: tuple[str, ...], as_json: bool, llm_url: str | None,
            no_llm: bool) -> None:
    """Answer QUESTION with numbered citations to the report."""
    require_question(question, queries)
    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model,
                             **llm_overrides(llm_url, no_llm))
    check_question(question, settings)
    engine = load_engine(settings)
    with user_errors():
        engine.documents(docs)  # an unknown --doc is one line and exit 2, before any question
    probe_llm(engine)

    def handle(text: str, qid: Any) -> dict[str, Any]:
        return engine.ask(text, language=lang, qid=qid, docs=docs).to_json()

    result = single_or_batch(question, queries, handle)
    if result is None:
        return
    if as_json:
        emit(result)
        return
    if result.get("fallback_reason"):
        click.echo(f"({result['fallback_reason']})", err=True)
    click.echo(result["answer"])
    if result["citations"]:
        click.echo("")
    for c in result["citations"]:
        click.echo(f"[{c['n']}] {c['doc']} — {location(c['section'], c['paragraph'], c['page'], c.get('page_label'))}")
        click.echo(f"    “{c['quote']}”")
    if result["declined"] == "not_in_report":  # an off-topic question gets no passages to search through
        for p in result["passages"][:3]:
            where = location(p["section"], p["paragraph"], p["page"], p.get("page_label"))
            click.echo(f"  · {p['doc']} — {where}: {p['text'][:160]}…")
