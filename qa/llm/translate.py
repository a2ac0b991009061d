"""Does retrieving English questions also through an LLM's Turkish translation lift English MRR?

The idea (issue 10): an English question is translated into Turkish by the same LLM, both are
retrieved, and the two rankings are fused by reciprocal rank. It is kept in the answer path only
if it lifts English MRR@10 on the dev questions; this module measures that, on the tune split
(choose) and the test split (report):

    python -m qa.llm.translate --llm http://127.0.0.1:8080/v1

It is not wired into the answerer: the one measured run (SmolLM2, which answers instead of
translating) lowered English MRR@10 on both splits (docs/llm.md).
"""

from __future__ import annotations

import argparse
from typing import Any

from qa.engine import Engine
from qa.evaluation.questions import dev_question_paths
from qa.evaluation.relevance import judge, load_question_set
from qa.llm.client import LLMClient, LLMConfig
from qa.llm.prompts import translation_messages
from qa.llm.script import run

DEPTH = 10


def translate(client: LLMClient, model: str, question: str) -> str:
    """The LLM's Turkish translation of ``question`` (first line only; the question itself if empty)."""
    text = client.chat(translation_messages(question), model, max_tokens=80).text.strip()
    return (text.splitlines() or [question])[0].strip() or question


def fused(engine: Engine, question: str, translation: str, k: int = DEPTH) -> list[str]:
    """Chunk ids ranked by reciprocal-rank fusion of the question's and the translation's rankings."""
    scores: dict[str, float] = {}
    for text in (question, translation):
        for hit in engine.search(text, k=k):
            cid = hit.passage.chunk_id
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (engine.settings.rrf_k + hit.rank)
    return sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]


def _mrr(ranked: list[str], relevant: frozenset[str]) -> float:
    return next((1.0 / i for i, cid in enumerate(ranked[:DEPTH], start=1) if cid in relevant), 0.0)


def measure(engine: Engine, client: LLMClient) -> dict[str, Any]:
    """English MRR@10 with and without the fused translation, per split, with the translations."""
    s = engine.settings
    qset = load_question_set(dev_question_paths(), s.corpus_dir.expanduser().resolve(), s.max_question_chars)
    relevant = judge(qset, engine.retriever.backend.passages)
    model = client.resolve_model()
    out: dict[str, Any] = {"model": model}
    rows: dict[str, list[tuple[float, float]]] = {"tune": [], "test": []}
    translations = {}
    for q in qset.questions:
        if q.lang != "en" or not q.answerable:
            continue
        text = qset.texts[q.id]
        translations[q.id] = translation = translate(client, model, text)
        plain = [h.passage.chunk_id for h in engine.search(text, k=DEPTH)]
        rows[q.split].append((_mrr(plain, relevant[q.id]), _mrr(fused(engine, text, translation), relevant[q.id])))
    for split, pairs in rows.items():
        n = len(pairs)
        out[split] = {"questions": n, "mrr_at_10": round(sum(a for a, _ in pairs) / n, 3) if n else None,
                      "mrr_at_10_fused": round(sum(b for _, b in pairs) / n, 3) if n else None}
    out["translations"] = translations
    return out


def report() -> dict[str, Any]:
    """:func:`measure` with the LLM named by ``--llm`` on the command line (the script's output)."""
    from qa.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", required=True, help="OpenAI-compatible base URL ending in /v1")
    args = parser.parse_args()
    settings = Settings(llm_url=args.llm, answerer="extractive")
    return measure(Engine.load(settings), LLMClient(LLMConfig.from_settings(settings)))


if __name__ == "__main__":
    run("qa.llm.translate", report)
