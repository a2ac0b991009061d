"""The ``report-qa`` command line (also ``python -m qa``)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from corpus import CorpusError
from index.embedder import EmbedderError
from index.store import IndexStoreError
from qa import strings
from qa.answer import QuestionError, normalize_question
from qa.bench_cli import bench_command
from qa.eval_cli import eval_command
from qa.settings import Settings

log = logging.getLogger("report_qa")
# -k above this is a typo, not a wish: no reader looks at a thousand passages.
MAX_K = 1000


class UserError(click.ClickException):
    """A mistake in what the user asked for: one line on stderr, exit status 2."""

    exit_code = 2


def _quiet_libraries() -> None:
    # Offline by default: a hub lookup would only time out. REPORT_QA_ALLOW_DOWNLOAD=1
    # lets a machine with network fetch another sentence-transformers model.
    if os.environ.get("REPORT_QA_ALLOW_DOWNLOAD") != "1":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UserError(f"invalid configuration: {problems}") from exc


def _engine(settings: Settings, *, progress: bool = True):
    from qa.engine import Engine

    def stage(message: str) -> None:
        click.echo(f"index: {message}", err=True)

    try:
        return Engine.load(settings, show_progress=progress and sys.stderr.isatty(), on_stage=stage)
    except (CorpusError, EmbedderError, IndexStoreError) as exc:
        raise UserError(str(exc)) from exc


def common_options(func: Callable) -> Callable:
    """Options every command shares: where the corpus, index and model are."""
    options = [
        click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None,
                     help="Folder of .txt/.md documents [env REPORT_QA_CORPUS_DIR; default: the bundled report]."),
        click.option("--index-dir", type=click.Path(path_type=Path), default=None,
                     help="Index folder [env REPORT_QA_INDEX_DIR; default: ~/.cache/report-qa/index]."),
        click.option("--model", default=None,
                     help="Embedding model name or local path [env REPORT_QA_MODEL; default: multilingual-e5-small]."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _check_k(k: int | None) -> None:
    if k is not None and not 1 <= k <= MAX_K:
        raise UserError(strings.BAD_K.format(limit=MAX_K, k=k))


def _read_queries(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line number, query or None, error or None) for each non-blank line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read queries file {path}: {exc.strerror}") from exc
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield number, None, "line is not valid UTF-8"
            continue
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg})"
            continue
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            yield number, None, 'expected an object like {"id": ..., "question": "..."}'
            continue
        yield number, item, None


def _emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _check_question(question: str | None, settings: Settings) -> None:
    """Refuse a bad QUESTION before the model and index are loaded (that takes seconds)."""
    if question is not None:
        try:
            normalize_question(question, settings.max_question_chars)
        except QuestionError as exc:
            raise UserError(str(exc)) from exc


def _run_batch(path: Path, handle: Callable[[str, Any], dict[str, Any]]) -> None:
    failures = 0
    for number, item, error in _read_queries(path):
        if item is not None:
            try:
                _emit(handle(item["question"], item.get("id")))
                continue
            except QuestionError as exc:
                error = str(exc)
            except Exception as exc:  # one line must not cost the answers to all the others
                log.debug("line %d of %s failed", number, path, exc_info=True)
                error = f"internal error ({type(exc).__name__}); run with -vv for details"
        failures += 1
        qid = item.get("id") if item else None
        click.echo(f"report-qa: {path}:{number}: {error}", err=True)
        _emit({"id": qid, "line": number, "error": error})
    if failures:
        raise UserError(f"{failures} line(s) of {path} could not be answered; see the errors above")


def _single_or_batch(
    question: str | None, queries: Path | None, handle: Callable[[str, Any], dict[str, Any]]
) -> dict[str, Any] | None:
    """Answer one QUESTION (returned for printing) or a whole --queries file (printed here)."""
    if queries is not None:
        _run_batch(queries, handle)
        return None
    try:
        return handle(question or "", None)
    except QuestionError as exc:
        raise UserError(str(exc)) from exc


def _location(section: str, paragraph: int | None, page: int | None) -> str:
    parts = [section or "—"]
    if paragraph is not None:
        parts.append(f"¶{paragraph}")
    if page is not None:
        parts.append(f"p. {page}")
    return ", ".join(parts)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Show more log output (-vv for debug).")
@click.version_option(package_name="report-qa")
def cli(verbose: int) -> None:
    """Ask the report "Türk Dünyasında İstihbarat Paylaşımı" questions in Turkish or English,
    with numbered citations to the exact passages. Runs fully offline."""
    _quiet_libraries()
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="report-qa: %(levelname)s: %(message)s", stream=sys.stderr)


cli.add_command(eval_command, "eval")


@cli.command()
@common_options
@click.option("--force", is_flag=True, help="Rebuild even when the index is up to date.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def index(corpus_dir: Path | None, index_dir: Path | None, model: str | None, force: bool, as_json: bool) -> None:
    """Build or update the index (passages, FAISS vectors, BM25)."""
    from index.embedder import Embedder
    from index.store import build_index, check_index

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    config = settings.index_config()
    try:
        embedder = Embedder(settings.model, config.cache_dir)
        reason = "rebuild requested" if force else check_index(config, embedder)
        if reason is None:
            summary: dict[str, Any] = {"status": "up-to-date", "index_dir": str(config.index_dir)}
        else:
            click.echo(f"index: building ({reason})", err=True)
            report = build_index(
                config, embedder, show_progress=sys.stderr.isatty(),
                on_stage=lambda m: click.echo(f"index: {m}", err=True),
            )
            summary = {
                "status": "built",
                "index_dir": str(config.index_dir),
                "documents": report.documents,
                "passages": report.passages,
                "sentences": report.sentences,
                "model": embedder.model_id,
                "skipped": [{"path": p.path, "reason": p.reason} for p in report.problems],
                "timings": {k: round(v, 3) for k, v in report.timings.items()},
            }
    except (CorpusError, EmbedderError, IndexStoreError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        _emit(summary)
        return
    if summary["status"] == "up-to-date":
        click.echo(f"Index is up to date: {config.index_dir}")
        return
    click.echo(
        f"Indexed {summary['documents']} document(s), {summary['passages']} passages, "
        f"{summary['sentences']} sentences with {summary['model']} into {config.index_dir}"
    )
    for skipped in summary["skipped"]:
        click.echo(f"  skipped {skipped['path']}: {skipped['reason']}")


@cli.command()
@click.argument("question", required=False)
@common_options
@click.option("-k", "k", type=int, default=None, help="Number of passages to return [default: 5].")
@click.option("--retriever", type=click.Choice(["hybrid", "dense", "bm25"]), default=None,
              help="Retrieval mode [env REPORT_QA_RETRIEVER; default: hybrid].")
@click.option("--queries", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help='JSONL file of {"id", "question"} lines; prints one JSON line per question.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON (see README for the shape).")
def search(question: str | None, corpus_dir: Path | None, index_dir: Path | None, model: str | None,
           k: int | None, retriever: str | None, queries: Path | None, as_json: bool) -> None:
    """Rank the report's passages for QUESTION."""
    _check_k(k)
    if question is None and queries is None:
        raise UserError(strings.EMPTY_QUESTION + " (or pass --queries FILE)")
    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir, model=model, retriever=retriever)
    _check_question(question, settings)
    engine = _engine(settings)

    def handle(text: str, qid: Any) -> dict[str, Any]:
        hits = engine.search(text, k)
        cleaned = normalize_question(text, settings.max_question_chars)
        return {"id": qid, "question": cleaned, "passages": [h.to_json() for h in hits]}

    result = _single_or_batch(question, queries, handle)
    if result is None:
        return
    if as_json:
        _emit(result)
        return
    for p in result["passages"]:
        where = _location(p["section"], p["paragraph"], p["page"])
        click.echo(f"{p['rank']}. [{p['score']:.4f}] {p['chunk_id']} — {where}")
        click.echo(f"   {p['text'][:300]}{'…' if len(p['text']) > 300 else ''}\n")


@cli.command()
@click.argument("question", required=False)
@common_options
@click.option("--lang", type=click.Choice(["tr", "en"]), default=None,
              help="Answer language [default: the question's language].")
@click.option("--queries", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help='JSONL file of {"id", "question"} lines; prints one JSON line per question.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON (see README for the shape).")
def ask(question: str | None, corpus_dir: Path | None, index_dir: Path | None, model: str | None,
        lang: str | None, queries: Path | None, as_json: bool) -> None:
    """Answer QUESTION with numbered citations to the report."""
    if question is None and queries is None:
        raise UserError(strings.EMPTY_QUESTION + " (or pass --queries FILE)")
    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    _check_question(question, settings)
    engine = _engine(settings)

    def handle(text: str, qid: Any) -> dict[str, Any]:
        return engine.ask(text, language=lang, qid=qid).to_json()

    result = _single_or_batch(question, queries, handle)
    if result is None:
        return
    if as_json:
        _emit(result)
        return
    click.echo(result["answer"])
    if result["citations"]:
        click.echo("")
    for c in result["citations"]:
        click.echo(f"[{c['n']}] {c['doc']} — {_location(c['section'], c['paragraph'], c['page'])}")
        click.echo(f"    “{c['quote']}”")
    if not result["answered"]:
        for p in result["passages"][:3]:
            where = _location(p["section"], p["paragraph"], p["page"])
            click.echo(f"  · {p['chunk_id']} — {where}: {p['text'][:160]}…")


@cli.command()
@common_options
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback exposes the chat to the network.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
@click.option("--auth", default=None, metavar="USER:PASSWORD",
              help="Require a login (Gradio's login page; API clients pass the same credentials) "
                   "[env REPORT_QA_AUTH].")
def serve(corpus_dir: Path | None, index_dir: Path | None, model: str | None,
          host: str, port: int, auth: str | None) -> None:
    """Open the web chat (Gradio) on http://HOST:PORT. Never creates a public share link."""
    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    auth = auth or os.environ.get("REPORT_QA_AUTH")
    credentials = None
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise UserError("--auth must look like USER:PASSWORD")
        credentials = (user, password)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"report-qa: warning: binding to {host} exposes the chat to other machines"
            + ("" if credentials else "; consider --auth USER:PASSWORD"),
            err=True,
        )
    engine = _engine(settings)
    from ui.app import serve_app

    serve_app(engine, host=host, port=port, auth=credentials)


@cli.command()
@common_options
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Labelled questions (JSONL) [default: the shipped dev questions].")
@click.option("--keep", type=click.FloatRange(0.5, 1.0), default=0.95, show_default=True,
              help="Share of answerable questions that must stay answered.")
def calibrate(corpus_dir: Path | None, index_dir: Path | None, model: str | None,
              questions: Path | None, keep: float) -> None:
    """Compute the abstention thresholds from labelled questions and print them as JSON."""
    from qa.calibration import DEV_QUESTIONS
    from qa.calibration import calibrate as run

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir, model=model)
    result = run(_engine(settings), questions or DEV_QUESTIONS, keep)
    _emit({"thresholds": result.thresholds, "declined": result.declined, "counts": result.counts,
           "env": {f"REPORT_QA_ABSTAIN_THRESHOLD_{k.upper()}": v for k, v in result.thresholds.items()}})


cli.add_command(bench_command, "bench")


def main() -> None:
    cli(prog_name="report-qa")
