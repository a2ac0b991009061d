"""Start the real web chat on a free loopback port for the UI tests; hand-made answer parts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(engine) -> Iterator[str]:
    """Serve ``build_app(engine)`` on 127.0.0.1 and yield its URL; close it afterwards."""
    from ui.app import build_app

    demo = build_app(engine)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def citation(n: int, quote: str, text: str, chunk: str = "doc-001", **extra) -> dict:
    """A citation as ``ask --json`` has it, quoting ``quote`` from the passage ``text``."""
    start = text.index(quote)
    return {"n": n, "chunk_id": chunk, "doc": "report.txt", "section": "GİRİŞ", "page": 2, "paragraph": 3,
            "quote": quote, "quote_start": start, "quote_end": start + len(quote), "text": text, **extra}


def passage(rank: int, text: str, **extra) -> dict:
    """A ranked passage as ``search --json`` has it."""
    return {"rank": rank, "score": 0.5 / rank, "chunk_id": f"doc-{rank:03d}", "doc": "report.txt",
            "section": "SONUÇ", "page": rank, "paragraph": rank, "text": text, **extra}
