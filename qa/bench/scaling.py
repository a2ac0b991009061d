"""Scaling: exact and approximate FAISS search and bm25s over synthetic corpora of ``n`` passages."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.bench.machine import TARGETS, cycle, rss_mb, timed_iter, timed_queries
from qa.bench.synthetic import SEED, VECTOR_SIGMA, SyntheticCorpus, synthetic_vectors

if TYPE_CHECKING:
    from qa.engine import Engine


def bench_scale_vectors(
    n: int, real: np.ndarray, queries: np.ndarray, n_queries: int, kind: str | None
) -> dict[str, Any]:
    """Exact vs approximate FAISS search over ``n`` synthetic vectors."""
    import faiss

    from index import vectors

    d = real.shape[1]
    rss0 = rss_mb()
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(d)
    approx_kind = kind or vectors.APPROX_KIND
    approx = None
    gen_s = 0.0
    approx_add_s = 0.0
    train_s = 0.0
    for chunk in timed_iter(synthetic_vectors(real, n)):
        vecs, dt = chunk
        gen_s += dt
        flat.add(vecs)
        if approx is None:
            t = time.perf_counter()
            approx = vectors.new_approximate_index(d, n, kind=approx_kind)
            vectors.train_index(approx, vecs)
            train_s = time.perf_counter() - t
        t = time.perf_counter()
        approx.add(vecs)
        approx_add_s += time.perf_counter() - t
    assert approx is not None
    vectors.configure_search(approx)
    total_s = time.perf_counter() - t0
    rss_after = rss_mb()
    flat_bytes = flat.ntotal * d * 4
    approx_bytes = vectors.index_memory_bytes(approx)

    qs = cycle(list(queries), n_queries)
    depth = 50  # qa.retrieval.FUSION_DEPTH: what the retriever asks for
    # vectors.search: what the retriever calls (one query at a time)
    exact_lat = timed_queries(lambda q: vectors.search(flat, q[None, :], depth), qs)
    approx_lat = timed_queries(lambda q: vectors.search(approx, q[None, :], depth), qs)
    _, exact_ids = flat.search(queries, 10)
    _, approx_ids = approx.search(queries, 10)
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(approx_ids, exact_ids, strict=True)]))
    out = {
        "generate_s": round(gen_s, 2),
        "sigma": VECTOR_SIGMA,
        "seed": SEED,
        "exact": {
            "kind": "IndexFlatIP",
            "latency_ms": exact_lat,
            "memory_mb": round(flat_bytes / 2**20, 1),
        },
        "approximate": {
            **vectors.describe_index(approx),
            "train_s": round(train_s, 2),
            "build_s": round(train_s + approx_add_s, 2),
            "latency_ms": approx_lat,
            "recall_at_10": round(recall, 4),
            "memory_mb": round(approx_bytes / 2**20, 1),
        },
        "rss_delta_mb": round(rss_after - rss0, 1),
        "wall_s": round(total_s, 2),
    }
    return out


def bench_scale_bm25(n: int, corpus: SyntheticCorpus, questions: list[str], n_queries: int) -> dict[str, Any]:
    """bm25s over ``n`` synthetic passages: build time, memory and query latency."""
    import bm25s

    from index.analysis import analyze
    from index.bm25 import BM25_B, BM25_K1

    rss0 = rss_mb()
    t0 = time.perf_counter()
    vocab: dict[str, int] = {}
    get = vocab.get
    docs: list[list[int]] = []
    checked = 0
    n_tokens = 0
    for i in range(n):
        with_text = i < 200
        tokens, text = corpus.passage(with_text=with_text)
        if with_text:  # the word-by-word tokens are exactly analyze(text)
            if tokens != analyze(text or ""):
                raise AssertionError(f"synthetic tokens differ from analyze() for passage {i}")
            checked += 1
        tokens = tokens or ["∅"]  # as index.bm25.BM25Index.build does for a passage without terms
        ids = [get(t, -1) for t in tokens]
        if -1 in ids:
            for j, tok in enumerate(tokens):
                if ids[j] == -1:
                    ids[j] = vocab.setdefault(tok, len(vocab))
        n_tokens += len(ids)
        docs.append(ids)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    retriever.index((docs, vocab), create_empty_token=False, show_progress=False)
    build_s = time.perf_counter() - t0
    del docs
    scores = retriever.scores
    index_bytes = int(scores["data"].nbytes + scores["indices"].nbytes + scores["indptr"].nbytes)
    rss_after = rss_mb()
    depth = 50

    def top(question: str) -> np.ndarray:
        # index.bm25.BM25Index.top, inlined on the bare bm25s retriever
        toks = [t for t in analyze(question) if t in retriever.vocab_dict]
        if not toks:
            return np.zeros(0, dtype=np.int64)
        s = np.asarray(retriever.get_scores(toks), dtype=np.float32)
        ids = np.argpartition(-s, depth - 1)[:depth]
        return ids[np.argsort(-s[ids], kind="stable")]

    latency = timed_queries(top, cycle(questions, n_queries))
    example = corpus.passage(with_text=True)[1]
    return {
        "generate_s": round(gen_s, 2),
        "build_s": round(build_s, 2),
        "tokens": n_tokens,
        "vocabulary": len(vocab),
        "checked_against_analyze": checked,
        "latency_ms": latency,
        "memory_mb": round(index_bytes / 2**20, 1),
        "rss_delta_mb": round(rss_after - rss0, 1),
        "example": (example or "")[:300],
    }


def bench_scale(
    n: int, engine: Engine, query_vectors: np.ndarray, questions: list[str], n_queries: int, ann: str | None
) -> dict[str, Any]:
    """Vector and BM25 scaling over ``n`` synthetic passages made from ``engine``'s index."""
    import gc

    backend = engine.index.backend
    rows = range(backend.size)
    # Every passage vector, then every sentence vector, passage by passage.
    real = np.vstack([backend.passage_vectors(rows), *(backend.sentence_vectors(row) for row in rows)])
    real = real.astype(np.float32)
    out: dict[str, Any] = {"passages": n}
    settings = engine.settings
    corpus = SyntheticCorpus(backend.passages, seed=SEED + n)
    if settings.backend == "milvus":  # issue 14: the milvus backend's own collections
        from index.vectors import EXACT_MAX_VECTORS
        from qa.bench.milvus_scaling import bench_scale_milvus, bench_scale_milvus_bm25

        options = settings.backend_options()
        options = replace(options, milvus_prefix=f"{options.milvus_prefix}_bench")
        out["vectors"] = bench_scale_milvus(n, real, query_vectors, n_queries, options, EXACT_MAX_VECTORS)
        gc.collect()
        out["bm25"] = bench_scale_milvus_bm25(n, corpus, questions, n_queries, options)
    else:
        out["vectors"] = bench_scale_vectors(n, real, query_vectors, n_queries, ann)
        gc.collect()
        out["bm25"] = bench_scale_bm25(n, corpus, questions, n_queries)
    gc.collect()
    approx = out["vectors"]["approximate"]
    out["met"] = {
        "recall_at_10": bool(approx["recall_at_10"] >= TARGETS["recall_at_10"]),
        "approx_p50_ms": bool(approx["latency_ms"]["p50"] <= TARGETS["approx_p50_ms_1m"]),
        "vector_index_memory": bool(approx["memory_mb"] / 1024 <= TARGETS["vector_index_gb_1m"]),
    }
    return out
