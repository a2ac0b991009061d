"""A llama.cpp server on loopback, from a GGUF file, through the optional ``xllamacpp`` extra.

``xllamacpp`` embeds llama.cpp's own HTTP server (``/v1/chat/completions``, ``/v1/models``,
``/health``) in the Python process; it runs until the returned handle is dropped.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.errors import ReportQAError
from qa.ports import LOOPBACK, free_port

log = logging.getLogger(__name__)

# Enough for five passages of about 250 words each, the instructions and a short answer.
CONTEXT_TOKENS = 8192


@dataclass
class LocalServer:
    """A running llama.cpp server; keep a reference for as long as it should run."""

    url: str
    handle: Any

    def stop(self) -> None:
        """Shut the server down (xllamacpp stops it when the handle is released)."""
        self.handle = None


# More threads than this rarely speed up a small model's generation on a CPU.
MAX_DEFAULT_THREADS = 4


def default_threads(cores: int | None = None) -> int:
    """llama.cpp threads when none are given: every core but one, at most :data:`MAX_DEFAULT_THREADS`.

    The core left free is for report-qa itself (embedding questions, validating answers) on the
    same machine: llama.cpp's threads wait on each other, so one busy core slows them all (measured
    with SmolLM2 on 2 cores: 2 threads beside another job gave about 1 token/s, 1 thread 35).
    """
    available = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, min(MAX_DEFAULT_THREADS, available - 1))


def start_llama_server(gguf: Path, port: int | None = None, *, threads: int | None = None,
                       context: int = CONTEXT_TOKENS, verbosity: int = 0) -> LocalServer:
    """Load ``gguf`` and serve it on ``127.0.0.1:port`` (a free port when None).

    ``verbosity`` is llama.cpp's log threshold (0: errors and warnings only; 3: every request).

    Raises:
        ReportQAError: the ``llm`` extra is not installed, or the file is missing or not a GGUF model.
    """
    try:
        import xllamacpp
    except ImportError as exc:
        raise ReportQAError("the local LLM server needs the llm extra: pip install 'report-qa[llm]'",
                            "llm_extra_missing") from exc
    path = gguf.expanduser()
    if not path.is_file():
        raise ReportQAError(f"no GGUF file at {path}", "llm_no_gguf")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ReportQAError(f"{path} is not a GGUF model file", "llm_no_gguf")
    port = port or free_port()
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.hostnames = [LOOPBACK]
    params.port = port
    params.n_ctx = context
    params.n_parallel = 1
    params.cpuparams.n_threads = threads or default_threads()
    params.warmup = False
    params.verbosity = verbosity
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # the C++ side reports load failures as plain exceptions
        raise ReportQAError(f"llama.cpp could not load {path}: {exc}", "llm_no_gguf") from exc
    url = f"http://{LOOPBACK}:{port}/v1"
    log.info("llama.cpp serving %s at %s", path.name, url)
    return LocalServer(url, server)
