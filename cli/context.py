"""What every command shares: the common options, settings, the engine, errors and output.

A user's mistake anywhere below (any ``ReportQAError``) becomes :class:`UserError`: one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from corpus.errors import ReportQAError
from qa import strings
from qa.answer import normalize_question
from qa.engine import Engine
from qa.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
# -k above this is a typo, not a wish: no reader looks at a thousand passages.
MAX_K = 1000


class UserError(click.ClickException):
    """A mistake in what the user asked for: one line on stderr, exit status 2."""

    exit_code = 2


def language() -> str:
    """The language of the command line's own messages: Turkish under a Turkish locale, else English."""
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "tr" if locale.lower().startswith("tr") else "en"


def message(key: str, **values: object) -> str:
    """The command line's message ``key`` in the user's language."""
    return strings.cli_text(language(), key, **values)


def settings_from(**overrides: Any) -> Settings:
    """Settings with the given CLI flags (``None`` = not given) over the environment and defaults."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UserError(message("bad_config", problems=problems)) from exc


def stage(prefix: str) -> Callable[[str], None]:
    """A progress callback that prints ``prefix: message`` on stderr."""

    def echo(text: str) -> None:
        click.echo(f"{prefix}: {text}", err=True)

    return echo


def load_engine(settings: Settings) -> Engine:
    """The engine for ``settings``, building the index first when it is missing or stale."""
    with user_errors():
        return Engine.load(settings, show_progress=sys.stderr.isatty(), on_stage=stage("index"))


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn any ``ReportQAError`` raised inside the block into a :class:`UserError`."""
    try:
        yield
    except ReportQAError as exc:
        raise UserError(str(exc)) from exc


def common_options(func: F) -> F:
    """Options every command shares: where the corpus, index and model are."""
    options = [
        click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None,
                     help="Folder of documents [env REPORT_QA_CORPUS_DIR; default: the bundled report]."),
        click.option("--index-dir", type=click.Path(path_type=Path), default=None,
                     help="Index folder [env REPORT_QA_INDEX_DIR; default: ~/.cache/report-qa/index]."),
        click.option("--model", default=None,
                     help="Embedding model name or local path [env REPORT_QA_MODEL; default: multilingual-e5-small]."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def question_options(func: F) -> F:
    """Options ``search`` and ``ask`` share: batch input, document filter and JSON output."""
    options = [
        click.option("--queries", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help='JSONL file of {"id", "question"} lines; prints one JSON line per question.'),
        click.option("--doc", "docs", multiple=True,
                     help="Only this document (file name, with or without extension); repeat for several."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON (see README for the shape)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def check_k(k: int | None) -> None:
    """Refuse a ``-k`` outside 1..MAX_K."""
    if k is not None and not 1 <= k <= MAX_K:
        raise UserError(message("bad_k", limit=MAX_K, k=k))


def check_question(question: str | None, settings: Settings) -> None:
    """Refuse a bad QUESTION before the model and index are loaded (that takes seconds)."""
    if question is not None:
        with user_errors():
            normalize_question(question, settings.max_question_chars)


def emit(obj: dict[str, Any]) -> None:
    """Print ``obj`` as one line of JSON (UTF-8, not ASCII-escaped)."""
    click.echo(json.dumps(obj, ensure_ascii=False))


def location(section: str, paragraph: int | None, page: int | None, page_label: str | None = None) -> str:
    """``section, ¶n, p. m`` for the text output; ``p. m (printed iv)`` when the page's printed label differs."""
    parts = [section or "—"]
    if paragraph is not None:
        parts.append(f"¶{paragraph}")
    if page is not None:
        printed = f" (printed {page_label})" if page_label and page_label != str(page) else ""
        parts.append(f"p. {page}{printed}")
    return ", ".join(parts)


# --- issue 10: the LLM answerer's flags and start-up probe ---
def llm_options(func: F) -> F:
    """``--llm URL`` and ``--no-llm``: generated (validated) answers, or the offline extractive ones."""
    func = click.option("--no-llm", is_flag=True, default=False,
                        help="Quote the report (extractive) even when REPORT_QA_LLM_URL is set.")(func)
    return click.option("--llm", "llm_url", default=None, metavar="URL",
                        help="OpenAI-compatible server base URL ending in /v1 [env REPORT_QA_LLM_URL]; "
                             "API key from REPORT_QA_LLM_API_KEY only.")(func)


def llm_overrides(llm_url: str | None, no_llm: bool) -> dict[str, Any]:
    """Settings overrides for ``--llm``/``--no-llm`` (empty when neither is given)."""
    if llm_url and no_llm:
        raise UserError(message("llm_and_no_llm"))
    if no_llm:
        return {"answerer": "extractive"}
    if llm_url:
        return {"llm_url": llm_url, "answerer": "llm"}
    return {}


def probe_llm(engine: Engine) -> None:
    """Ask the LLM server for its models once at start; a failure is one warning line, not an exit.

    Answers then fall back to the extractive answerer (with ``fallback_reason``) until it responds.
    """
    from qa.answerers.llm import LLMAnswerer
    from qa.llm.client import LLMError

    answerer = engine.answerer
    if not isinstance(answerer, LLMAnswerer):
        return
    try:
        model = answerer.probe()
    except LLMError as exc:
        click.echo(message("llm_unreachable", reason=exc), err=True)
        return
    logging.getLogger(__name__).info(message("llm_using", model=model, url=answerer.client.config.url))
