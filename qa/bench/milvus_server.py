"""A ``milvus-lite server`` on loopback for the bench: an embedded Milvus Lite file opens in one
process only, and the bench's cold-start child must reach the same collections as the bench."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.ports import free_port

STARTUP_TIMEOUT_S = 120.0


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def lite_server(data_dir: Path) -> Iterator[str]:
    """Run ``milvus-lite server`` over ``data_dir`` on 127.0.0.1 and a free port; yield its URI."""
    port = free_port()
    script = Path(sys.executable).with_name("milvus-lite")
    command = str(script) if script.exists() else shutil.which("milvus-lite") or "milvus-lite"
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir.parent / f"milvus-lite-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            [command, "server", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
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
