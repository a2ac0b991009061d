"""``report-qa llm serve``: a local llama.cpp server for generated answers (the ``llm`` extra)."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from cli.context import user_errors


@click.group("llm")
def command() -> None:
    """A local LLM for generated, validated answers (needs: pip install 'report-qa[llm]')."""


@command.command("serve")
@click.option("--gguf", "gguf", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="A GGUF model file (e.g. a small instruct model).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Loopback port to listen on.")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="CPU threads [default: every core but one, at most 4].")
@click.option("--context", type=click.IntRange(512, 131072), default=8192, show_default=True,
              help="Context size in tokens (passages + question + answer).")
def serve(gguf: Path, port: int, threads: int | None, context: int) -> None:
    """Run llama.cpp on 127.0.0.1:PORT with GGUF; stop with Ctrl-C.

    Then: report-qa ask --llm http://127.0.0.1:PORT/v1 "…" (or REPORT_QA_LLM_URL for `serve`).
    """
    from qa.llm.local import start_llama_server

    with user_errors():
        server = start_llama_server(gguf, port, threads=threads, context=context)
    click.echo(f"llama.cpp is serving {gguf.name} at {server.url}")
    click.echo(f"use it with: report-qa ask --llm {server.url} \"…\"  (or REPORT_QA_LLM_URL={server.url})")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.stop()
