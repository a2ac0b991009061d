"""``report-qa bench --llm URL``: the time report-qa adds around an LLM server's own.

Per question, timed separately: retrieval (``Engine.prepare``: clean, detect, embed, search),
building the prompt, the server's streamed completion (request sent → last byte, and → first
token), and validation. "Added" is retrieval + prompt + validation: everything but the server.
Time to first token in the chat is retrieval + prompt + the server's own first-token time, so the
chat adds retrieval + prompt to it (the chat shows a token as soon as it is queued).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.errors import ReportQAError
from qa.answerers.llm import LLMAnswerer
from qa.engine import Engine
from qa.evaluation.questions import default_questions_path, load_questions
from qa.llm.prompts import answer_messages

# The targets: what we add per answer, and to the first token, at the median.
ADDED_P50_MS = 50.0
FIRST_TOKEN_ADDED_P50_MS = 100.0


@dataclass(frozen=True)
class Timing:
    retrieval: float
    prompt: float
    server: float
    server_first_token: float
    validation: float

    @property
    def added(self) -> float:
        return self.retrieval + self.prompt + self.validation

    @property
    def first_token_added(self) -> float:
        return self.retrieval + self.prompt


def _ms(values: list[float]) -> dict[str, float]:
    arr = np.array(values) * 1000
    return {"p50": round(float(np.percentile(arr, 50)), 1), "p95": round(float(np.percentile(arr, 95)), 1)}


def time_one(engine: Engine, answerer: LLMAnswerer, question: str) -> Timing:
    """Time one answer's stages (see the module docstring)."""
    t0 = time.perf_counter()
    request = engine.prepare(question)
    t1 = time.perf_counter()
    hits = request.hits[: engine.settings.llm_passages]
    messages = answer_messages(request.text, request.language, hits)
    t2 = time.perf_counter()
    completion = answerer.client.chat(messages, answerer.model or answerer.probe())
    t3 = time.perf_counter()
    answerer.validator.validate(completion.text, hits, request.language).compose()
    t4 = time.perf_counter()
    first = completion.first_token_s if completion.first_token_s is not None else completion.total_s
    return Timing(t1 - t0, t2 - t1, t3 - t2, first, t4 - t3)


def run_llm_bench(engine: Engine, n_questions: int) -> dict[str, Any]:
    """Time ``n_questions`` answerable dev questions (after one warm-up) through the configured LLM.

    Raises:
        ReportQAError: no LLM is configured, or the server fails (the bench does not fall back).
    """
    answerer = engine.answerer
    if not isinstance(answerer, LLMAnswerer):
        raise ReportQAError("bench --llm needs an LLM server: pass --llm URL or set REPORT_QA_LLM_URL", "llm_unset")
    model = answerer.probe()
    questions = [q.question for q in load_questions(default_questions_path()) if q.answerable][:n_questions]
    time_one(engine, answerer, questions[0])  # warm-up: prompt cache, first embedding
    timings = [time_one(engine, answerer, q) for q in questions]
    added = _ms([t.added for t in timings])
    first_added = _ms([t.first_token_added for t in timings])
    return {
        "model": model,
        "url": answerer.client.config.url,
        "questions": len(timings),
        "retrieval_ms": _ms([t.retrieval for t in timings]),
        "prompt_ms": _ms([t.prompt for t in timings]),
        "validation_ms": _ms([t.validation for t in timings]),
        "server_ms": _ms([t.server for t in timings]),
        "server_first_token_ms": _ms([t.server_first_token for t in timings]),
        "added_ms": added,
        "first_token_added_ms": first_added,
        "targets": {"added_p50_ms": ADDED_P50_MS, "first_token_added_p50_ms": FIRST_TOKEN_ADDED_P50_MS,
                    "met": added["p50"] <= ADDED_P50_MS and first_added["p50"] <= FIRST_TOKEN_ADDED_P50_MS},
    }


def render_llm_bench(result: dict[str, Any]) -> str:
    rows = [("retrieval", "retrieval_ms"), ("prompt", "prompt_ms"), ("validation", "validation_ms"),
            ("added (ours)", "added_ms"), ("server", "server_ms"), ("server first token", "server_first_token_ms"),
            ("first token added (ours)", "first_token_added_ms")]
    lines = [f"LLM overhead: {result['model']} at {result['url']}, {result['questions']} questions"]
    lines += [f"  {label:<26} p50 {result[key]['p50']:>9.1f} ms   p95 {result[key]['p95']:>9.1f} ms"
              for label, key in rows]
    t = result["targets"]
    lines.append(f"  targets: added p50 ≤ {t['added_p50_ms']:g} ms, first token added p50 ≤ "
                 f"{t['first_token_added_p50_ms']:g} ms: {'met' if t['met'] else 'NOT met'}")
    return "\n".join(lines) + "\n"
