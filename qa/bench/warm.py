"""Warm latency: embedding one query, search and ask on a loaded engine, and where ask's time goes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.bench.machine import TARGETS, ms, percentiles

if TYPE_CHECKING:
    from qa.engine import Engine


def bench_warm(engine: Engine, questions: list[str]) -> dict[str, Any]:
    """p50/p95 of embedding one query, search and ask over ``questions`` (a warm engine)."""
    from qa.answer import normalize_question
    from qa.answerers.extractive import ExtractiveAnswerer, relevance
    from qa.answerers.selection import select_sentences
    from qa.language import answer_language, detect_language

    retriever = engine.retriever
    settings = engine.settings
    for q in questions[:5]:  # warm caches, thread pools, lazy models (language identifier)
        engine.ask(q)
    embed, search, ask = [], [], []
    cpu_embed, cpu_search, cpu_ask = [], [], []
    clock, cpu = time.perf_counter, time.process_time
    for q in questions:
        text = normalize_question(q, settings.max_question_chars)
        t, c = clock(), cpu()
        retriever.embed(text)
        embed.append(clock() - t)
        cpu_embed.append(cpu() - c)
        t, c = clock(), cpu()
        engine.search(q)
        search.append(clock() - t)
        cpu_search.append(cpu() - c)
        t, c = clock(), cpu()
        engine.ask(q)
        ask.append(clock() - t)
        cpu_ask.append(cpu() - c)
    # Where ask's time goes beyond embedding: the steps of Engine.prepare and the extractive answerer.
    parts: dict[str, list[float]] = {
        k: [] for k in ("language", "retrieval", "select_sentences", "features", "relevance")
    }
    answerer = engine.answerer if isinstance(engine.answerer, ExtractiveAnswerer) else None
    for q in questions[: min(len(questions), 100)]:
        text = normalize_question(q, settings.max_question_chars)
        t = clock()
        answer_language(detect_language(text))
        parts["language"].append(clock() - t)
        query = retriever.embed(text)
        t = clock()
        hits = retriever.search(query, settings.top_k)
        parts["retrieval"].append(clock() - t)
        t = clock()
        chosen = select_sentences(retriever, query, hits, settings.answer_sentences)
        parts["select_sentences"].append(clock() - t)
        if answerer is not None and chosen:
            # The answerability features; for a question expecting a date, name or number, this
            # embeds the best sentence's clauses (``clause_gap``).
            request = engine.prepare(text, query=query)
            t = clock()
            answerer.features(request, chosen, answerer.named(request))
            parts["features"].append(clock() - t)
        t = clock()
        relevance(retriever, query)
        parts["relevance"].append(clock() - t)
    e, s, a = percentiles(embed), percentiles(search), percentiles(ask)
    search_over_embed = round(s["p50"] / e["p50"], 3)
    ask_over_embed = round(a["p50"] / e["p50"], 3)
    return {
        "questions": len(questions),
        "embed_ms": e,
        "search_ms": s,
        "ask_ms": a,
        "cpu_ms_p50": {
            "embed": ms(float(np.median(cpu_embed))),
            "search": ms(float(np.median(cpu_search))),
            "ask": ms(float(np.median(cpu_ask))),
        },
        "ask_parts_ms_p50": {k: ms(float(np.median(v))) for k, v in parts.items() if v},
        "search_over_embed": search_over_embed,
        "ask_over_embed": ask_over_embed,
        "targets": {"search_over_embed": TARGETS["search_over_embed"], "ask_over_embed": TARGETS["ask_over_embed"]},
        "met": {
            "search_over_embed": bool(search_over_embed <= TARGETS["search_over_embed"]),
            "ask_over_embed": bool(ask_over_embed <= TARGETS["ask_over_embed"]),
        },
    }
