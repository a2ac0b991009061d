"""Milvus's RRFRanker (dense + BM25 in one hybrid_search) against our client-side fusion, on the dev questions.

Run from the repository root after indexing with the milvus backend (docs/milvus.md):

    REPORT_QA_BACKEND=milvus REPORT_QA_MILVUS_URI=/tmp/x.db python docs/milvus/rrf_check.py

It reads the backend's collection and BM25 weights through its internals (``MilvusBackend.state``
and private attributes): it is a measurement, not part of report-qa.
"""

from collections.abc import Callable

from pymilvus import AnnSearchRequest, RRFRanker

from index.analysis import analyze
from qa.engine import Engine
from qa.evaluation.questions import default_questions_path
from qa.evaluation.relevance import judge, load_question_set
from qa.retrieval import _rrf
from qa.settings import Settings

settings = Settings()
engine = Engine.load(settings)
backend = engine.index.backend
qset = load_question_set(default_questions_path(), settings.index_config().corpus_dir, settings.max_question_chars)
relevant = judge(qset, backend.passages)
questions = [q for q in qset.questions if q.id in relevant]


def metrics(rank: Callable[[str], list[int]]) -> dict[str, tuple[float, float, float]]:
    """hit@1, hit@5 and MRR@10 per language over the answerable questions."""
    sums: dict[str, list[float]] = {}
    for q in questions:
        ids = [backend.passages[row].chunk_id for row in rank(q.question)][:10]
        rr = next((1 / (i + 1) for i, chunk in enumerate(ids) if chunk in relevant[q.id]), 0.0)
        s = sums.setdefault(q.lang, [0.0, 0.0, 0.0, 0.0])
        s[0] += rr == 1.0
        s[1] += rr >= 0.2
        s[2] += rr
        s[3] += 1
    return {lang: (round(s[0] / s[3], 3), round(s[1] / s[3], 3), round(s[2] / s[3], 3)) for lang, s in sums.items()}


def ours(text: str) -> list[int]:
    return [hit.row for hit in engine.retriever.search(engine.retriever.embed(text), 10)]


def ours_two_signals(text: str) -> list[int]:
    """Our fusion of what RRFRanker can express: dense and BM25 of one collection, equal weights."""
    vector = engine.retriever.embed(text).vector
    fused = _rrf([(backend.dense(vector, backend.size), 1.0), (backend.lexical(text, backend.size), 1.0)],
                 settings.rrf_k)
    return sorted(fused, key=lambda row: (-fused[row], row))


def milvus_rrf(text: str) -> list[int]:
    vector = engine.retriever.embed(text).vector.tolist()
    requests = [AnnSearchRequest([vector], "vector", {"metric_type": "IP"}, limit=backend.size)]
    sparse = backend.state.bm25.query(analyze(text))  # type: ignore[attr-defined]
    if sparse:
        requests.append(AnnSearchRequest([sparse], "bm25", {"metric_type": "IP"}, limit=backend.size))
    hits = backend._client.hybrid_search(  # type: ignore[attr-defined]
        backend._passage_collection, requests, RRFRanker(settings.rrf_k), limit=10, output_fields=["id"]  # type: ignore[attr-defined]
    )[0]
    return [backend.state.rows[int(hit["id"])] for hit in hits]  # type: ignore[attr-defined]  # Milvus ids -> rows


print("ours, dense + sentence + BM25, weights 1/1/0.5:", metrics(ours))
print("ours, dense + BM25, equal weights:", metrics(ours_two_signals))
print("Milvus hybrid_search + RRFRanker, dense + BM25:", metrics(milvus_rrf))
same = sum(ours_two_signals(q.question)[:10] == milvus_rrf(q.question) for q in questions)
print(f"same top-10 order, ours (two signals) vs RRFRanker: {same} of {len(questions)}")
