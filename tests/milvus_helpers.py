"""A real ``milvus-lite server`` on a free loopback port, for tests of the network client path."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _server_command() -> list[str]:
    """``milvus-lite server`` from the running interpreter's environment."""
    script = Path(sys.executable).with_name("milvus-lite")
    return [str(script)] if script.exists() else [shutil.which("milvus-lite") or "milvus-lite"]


@contextmanager
def milvus_lite_server(data_dir: Path) -> Iterator[str]:
    """Start ``milvus-lite server`` on 127.0.0.1 and a free port; yield its ``http://`` URI."""
    port = free_port()
    log = (data_dir.parent / f"milvus-lite-{port}.log").open("wb")
    process = subprocess.Popen(
        [*_server_command(), "server", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"milvus-lite server did not start (see {log.name})")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
