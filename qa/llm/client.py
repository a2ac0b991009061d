"""A streaming client for any OpenAI-compatible chat server (llama.cpp, Ollama, vLLM, hosted APIs).

Built on ``httpx`` (installed with gradio, so no new dependency) rather than the ``openai``
package: we need explicit connect/read timeouts, a total deadline and a token bound around one
server-sent-event stream, and no hidden retries (the ``openai`` client retries by default, which
multiplies a hang). Every failure becomes one :class:`LLMError` whose message names the server and
the problem and never holds the API key.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from corpus.errors import ReportQAError
from qa.settings import Settings

log = logging.getLogger(__name__)

TokenCallback = Callable[[str], None]


class LLMError(ReportQAError):
    """The LLM server is down, slow, refuses us or sends something that is not a chat stream.

    ``code``: ``llm_down``, ``llm_timeout``, ``llm_auth``, ``llm_http``, ``llm_garbage`` or ``llm_cut``.
    """


@dataclass(frozen=True)
class LLMConfig:
    """Where the server is and how long and how much we allow it."""

    url: str
    model: str | None = None
    api_key: str | None = None
    connect_timeout: float = 3.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    max_tokens: int = 400
    temperature: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig:
        if not settings.llm_url:
            raise ReportQAError("no LLM server is configured: set REPORT_QA_LLM_URL or pass --llm URL", "llm_unset")
        return cls(
            url=settings.llm_url.rstrip("/"),
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            connect_timeout=settings.llm_connect_timeout,
            read_timeout=settings.llm_read_timeout,
            total_timeout=settings.llm_total_timeout,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
        )

    def __repr__(self) -> str:  # never show the key
        return f"LLMConfig(url={self.url!r}, model={self.model!r})"


@dataclass(frozen=True)
class Completion:
    """A finished (or token-bounded) streamed answer and its timings in seconds."""

    text: str
    model: str
    finish_reason: str | None
    first_token_s: float | None
    total_s: float


class LLMClient:
    """Talks to one server; thread-safe (one ``httpx.Client`` with a connection pool)."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        headers = {"Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        self._http = httpx.Client(headers=headers, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def _fail(self, exc: httpx.HTTPError) -> LLMError:
        url = self.config.url
        if isinstance(exc, httpx.ConnectTimeout):
            return LLMError(f"the LLM server at {url} did not accept a connection within "
                            f"{self.config.connect_timeout:g} s", "llm_timeout")
        if isinstance(exc, httpx.TimeoutException):
            return LLMError(f"the LLM server at {url} sent nothing for {self.config.read_timeout:g} s", "llm_timeout")
        if isinstance(exc, httpx.ConnectError):
            return LLMError(f"cannot reach the LLM server at {url}: is it running?", "llm_down")
        if isinstance(exc, httpx.RemoteProtocolError):
            return LLMError(f"the LLM server at {url} closed the connection mid-answer", "llm_cut")
        return LLMError(f"the LLM server at {url} failed: {type(exc).__name__}", "llm_down")

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise LLMError(f"the LLM server at {self.config.url} refused our credentials (HTTP {status}): "
                           "check REPORT_QA_LLM_API_KEY", "llm_auth")
        if status >= 400:
            raise LLMError(f"the LLM server at {self.config.url} answered HTTP {status}", "llm_http")

    def models(self) -> list[str]:
        """The model ids the server lists at ``/models`` (the start-up probe).

        Raises:
            LLMError: the server is unreachable, refuses us or lists no model.
        """
        try:
            response = self._http.get(f"{self.config.url}/models")
            self._check_status(response)
            data = response.json()
        except httpx.HTTPError as exc:
            raise self._fail(exc) from exc
        except ValueError as exc:
            raise LLMError(f"{self.config.url}/models is not JSON: is the URL an OpenAI-compatible base "
                           "ending in /v1?", "llm_garbage") from exc
        items = data.get("data") if isinstance(data, dict) else None
        ids = [m["id"] for m in items or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
        if not ids:
            raise LLMError(f"{self.config.url}/models lists no model: is the URL an OpenAI-compatible base "
                           "ending in /v1?", "llm_garbage")
        return ids

    def resolve_model(self) -> str:
        """The configured model, or the server's first; probes the server either way.

        Raises:
            LLMError: see :meth:`models`.
        """
        ids = self.models()
        return self.config.model or ids[0]

    def chat(self, messages: list[dict[str, str]], model: str, on_token: TokenCallback | None = None,
             max_tokens: int | None = None) -> Completion:
        """Stream one chat completion, calling ``on_token`` with each piece of text as it arrives.

        Bounded three ways: ``read_timeout`` between tokens, ``total_timeout`` in all, and
        ``max_tokens`` pieces (sent to the server and enforced here too, for servers that ignore it).

        Raises:
            LLMError: the server failed, timed out, cut the stream or sent something that is not SSE.
        """
        limit = max_tokens or self.config.max_tokens
        body = {"model": model, "messages": messages, "stream": True, "max_tokens": limit,
                "temperature": self.config.temperature}
        start = time.perf_counter()
        deadline = start + self.config.total_timeout
        pieces: list[str] = []
        first: float | None = None
        finish: str | None = None
        try:
            with self._http.stream("POST", f"{self.config.url}/chat/completions", json=body) as response:
                self._check_status(response)
                for delta, reason in self._events(response):
                    if delta:
                        if first is None:
                            first = time.perf_counter() - start
                        pieces.append(delta)
                        if on_token is not None:
                            on_token(delta)
                    finish = reason or finish
                    if finish is not None and finish != "":
                        break
                    if len(pieces) >= limit:
                        finish = "length"
                        break
                    if time.perf_counter() > deadline:
                        raise LLMError(f"the LLM server at {self.config.url} took over "
                                       f"{self.config.total_timeout:g} s for one answer", "llm_timeout")
        except httpx.HTTPError as exc:
            raise self._fail(exc) from exc
        if finish is None:
            raise LLMError(f"the LLM server at {self.config.url} ended the answer stream midway", "llm_cut")
        return Completion("".join(pieces), model, finish, first, time.perf_counter() - start)

    def _events(self, response: httpx.Response) -> Iterator[tuple[str, str | None]]:
        """(text delta, finish reason) per SSE ``data:`` event; ``[DONE]`` ends with reason ``stop``."""
        kind = response.headers.get("content-type", "")
        if "text/event-stream" not in kind:
            raise LLMError(f"the LLM server at {self.config.url} did not stream (content-type {kind or 'none'!r})",
                           "llm_garbage")
        for line in response.iter_lines():
            if not line.startswith("data:"):
                # Blank separators, ": keep-alive" comments, "event:" lines: nothing to add, but
                # the caller still checks its deadline (a server may send only keep-alives).
                yield "", None
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                yield "", "stop"
                return
            try:
                event = json.loads(payload)
                choice = event["choices"][0] if event.get("choices") else None
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise LLMError(f"the LLM server at {self.config.url} sent a malformed event", "llm_garbage") from exc
            if choice is None:
                continue  # usage-only events
            if not isinstance(choice, dict):
                raise LLMError(f"the LLM server at {self.config.url} sent a malformed event", "llm_garbage")
            delta = choice.get("delta") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            yield (content if isinstance(content, str) else ""), choice.get("finish_reason")
