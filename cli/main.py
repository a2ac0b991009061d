"""The ``report-qa`` click group. Every command is registered here, in one list."""

from __future__ import annotations

import logging
import os
import sys

import click

from cli.commands import ask, bench, calibrate, docs, index, llm, search, serve
from cli.commands import eval as eval_
from qa.settings import Settings

# Every command of report-qa; `--help` lists them alphabetically.
COMMANDS: tuple[click.Command, ...] = (
    index.command,
    search.command,
    ask.command,
    serve.command,
    eval_.command,
    bench.command,
    calibrate.command,
    llm.command,  # issue 10: report-qa llm serve
    docs.group,
)


def _quiet_libraries(allow_download: bool) -> None:
    # Offline by default: a hub lookup would only time out. REPORT_QA_ALLOW_DOWNLOAD=1
    # lets a machine with network fetch another sentence-transformers model.
    if not allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _allow_download() -> bool:
    try:
        return Settings().allow_download
    except ValueError:  # a broken setting is reported by the command that reads it
        return False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Show more log output (-vv for debug).")
@click.version_option(package_name="report-qa")
def cli(verbose: int) -> None:
    """Ask the report "Türk Dünyasında İstihbarat Paylaşımı" questions in Turkish or English,
    with numbered citations to the exact passages. Runs fully offline."""
    _quiet_libraries(_allow_download())
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="report-qa: %(levelname)s: %(message)s", stream=sys.stderr)


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """The ``report-qa`` console script."""
    cli(prog_name="report-qa")
