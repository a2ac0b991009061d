"""``--queries FILE.jsonl``: one question per line in, one JSON line per question out.

A broken line is reported (stderr and an ``{"id", "line", "error"}`` JSON line) and never
costs the answers to the other lines; the exit status is then 2.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from cli.context import UserError, emit, message, user_errors
from corpus.errors import ReportQAError
from qa.strings import BATCH_ERRORS

log = logging.getLogger("report_qa")

Handler = Callable[[str, Any], dict[str, Any]]


def read_queries(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line number, query or None, error or None) for each non-blank line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(message("bad_queries_file", path=path, reason=exc.strerror)) from exc
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield number, None, BATCH_ERRORS["utf8"]
            continue
        except json.JSONDecodeError as exc:
            yield number, None, BATCH_ERRORS["json"].format(msg=exc.msg)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            yield number, None, BATCH_ERRORS["shape"]
            continue
        yield number, item, None


def run_batch(path: Path, handle: Handler) -> None:
    """Answer every line of ``path`` with ``handle``, printing one JSON line each."""
    failures = 0
    for number, item, error in read_queries(path):
        if item is not None:
            try:
                emit(handle(item["question"], item.get("id")))
                continue
            except ReportQAError as exc:
                error = str(exc)
            except Exception as exc:  # one line must not cost the answers to all the others
                log.debug("line %d of %s failed", number, path, exc_info=True)
                error = BATCH_ERRORS["internal"].format(name=type(exc).__name__)
        failures += 1
        qid = item.get("id") if item else None
        click.echo(f"report-qa: {path}:{number}: {error}", err=True)
        emit({"id": qid, "line": number, "error": error})
    if failures:
        raise UserError(message("failed_lines", n=failures, path=path))


def require_question(question: str | None, queries: Path | None) -> None:
    """Refuse a command line with neither a QUESTION nor a --queries file."""
    if question is None and queries is None:
        raise UserError(message("no_question"))


def single_or_batch(question: str | None, queries: Path | None, handle: Handler) -> dict[str, Any] | None:
    """Answer one QUESTION (returned for printing) or a whole --queries file (printed here)."""
    if queries is not None:
        run_batch(queries, handle)
        return None
    with user_errors():
        return handle(question or "", None)
