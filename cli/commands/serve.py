"""``report-qa serve``: the web chat."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import (
    UserError,
    common_options,
    llm_options,
    llm_overrides,
    load_engine,
    message,
    probe_llm,
    settings_from,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASSWORD`` → (user, password); None when no login is wanted."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise UserError(message("bad_auth"))
    return user, password


@click.command("serve")
@common_options
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback exposes the chat to the network.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
@click.option("--auth", default=None, metavar="USER:PASSWORD",
              help="Require a login (Gradio's login page; API clients pass the same credentials) "
                   "[env REPORT_QA_AUTH].")
@llm_options
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None,
            host: str, port: int, auth: str | None, llm_url: str | None, no_llm: bool) -> None:
    """Open the web chat (Gradio) on http://HOST:PORT. Never creates a public share link."""
    settings = settings_from(corpus_dir=corpus_dir, index_dir=index_dir, model=model, auth=auth,
                             **llm_overrides(llm_url, no_llm))
    credentials = parse_auth(settings.auth.get_secret_value() if settings.auth else None)
    if host not in LOOPBACK:
        click.echo(message("exposed", host=host) + ("" if credentials else message("exposed_no_auth")), err=True)
    engine = load_engine(settings)
    probe_llm(engine)
    from ui.app import serve_app

    serve_app(engine, host=host, port=port, auth=credentials)
