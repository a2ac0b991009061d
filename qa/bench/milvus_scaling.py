"""Scaling of the milvus backend: its passage collection over ``n`` synthetic vectors.

The same synthetic vectors, queries, depth (k = 50) and recall@10 as ``qa.bench.scaling``'s
FAISS runs, so the two tables compare: the collection is made exactly as
``index.backends.milvus_build`` makes one (IVF-Flat with ``index.vectors``'s cell and probe
counts above ``exact_max``, else FLAT), filled in batches, flushed and loaded; exact answers
come from a FAISS flat index over the same vectors. Memory is the resident-set growth of this
process and of any Milvus processes it started, less the FAISS reference's vectors, and the
database's size on disk.

BM25 at scale (:func:`bench_scale_milvus_bm25`) uses ``qa.bench.scaling``'s synthetic passages:
their terms' BM25 weights (``index.backends.sparse_bm25``, as the backend stores them) go into a
sparse-vector collection, and each question is one sparse inner-product search, as
``MilvusBackend.lexical`` runs it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from index.backends import BackendOptions
from index.vectors import ivf_cells
from qa.bench.machine import cycle, timed_queries
from qa.bench.synthetic import SEED, VECTOR_SIGMA, SyntheticCorpus, synthetic_vectors

DEPTH = 50  # qa.retrieval.FUSION_DEPTH: what the retriever asks each ranking for


def _tree_rss_mb() -> float:
    import psutil

    me = psutil.Process()
    return round(sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]) / 2**20, 1)


def _disk_mb(uri: str) -> float | None:
    path = Path(uri)
    if "://" in uri or not path.exists():
        return None
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 2**20, 1)


def bench_scale_milvus(
    n: int, real: np.ndarray, queries: np.ndarray, n_queries: int, options: BackendOptions, exact_max: int
) -> dict[str, Any]:
    """Build time, single-query latency, recall@10 against exact search and memory at ``n`` vectors."""
    import faiss

    from index.backends.milvus_collections import connect, create_collection, insert_entities, search_probes

    d = real.shape[1]
    client = connect(options)
    name = f"{options.milvus_prefix}_bench_{n}"
    if client.has_collection(name):
        client.drop_collection(name)
    rss0 = _tree_rss_mb()
    flat = faiss.IndexFlatIP(d)
    t0 = time.perf_counter()
    create_collection(client, name, d, n, exact_max, lexical=False, properties={})
    gen_s = 0.0

    def entities() -> Any:
        nonlocal gen_s
        start = 0
        t = time.perf_counter()
        for chunk in synthetic_vectors(real, n):
            gen_s += time.perf_counter() - t
            flat.add(chunk)
            for i, vector in enumerate(chunk):
                yield {"id": start + i, "pid": start + i, "doc": "", "vector": vector}
            start += len(chunk)
            t = time.perf_counter()

    insert_entities(client, name, entities())
    build_s = time.perf_counter() - t0 - gen_s
    rss_after = _tree_rss_mb()
    probes = search_probes(n)
    params = {"metric_type": "IP", "params": {"nprobe": probes}}

    def search(q: np.ndarray, k: int) -> list[int]:
        hits = client.search(name, data=[q.tolist()], anns_field="vector", limit=k, output_fields=["id"],
                             search_params=params, consistency_level="Strong")[0]
        return [int(hit["id"]) for hit in hits]

    latency = timed_queries(lambda q: search(q, DEPTH), cycle(list(queries), n_queries))
    _, exact_ids = flat.search(queries, 10)
    recall = float(np.mean([len(set(search(q, 10)) & set(e)) / 10 for q, e in zip(queries, exact_ids, strict=True)]))
    kind = str(client.describe_index(name, "vector").get("index_type", "?"))
    # describe_index does not report nlist: it is the one create_collection asked for
    index_name = f"Milvus IVF_FLAT{ivf_cells(n)}, nprobe {probes}" if kind == "IVF_FLAT" else f"Milvus {kind}"
    out = {
        "engine": "milvus",
        "uri": options.milvus_uri,
        "generate_s": round(gen_s, 2),
        "sigma": VECTOR_SIGMA,
        "seed": SEED,
        "exact": {
            "kind": "IndexFlatIP (FAISS, the reference for recall)",
            "latency_ms": timed_queries(lambda q: flat.search(q[None, :], DEPTH), cycle(list(queries), n_queries)),
            "memory_mb": round(flat.ntotal * d * 4 / 2**20, 1),
        },
        "approximate": {
            "name": index_name,
            "kind": kind.lower(),
            "nprobe": probes,
            "build_s": round(build_s, 2),
            "latency_ms": latency,
            "recall_at_10": round(recall, 4),
            "memory_mb": round(max(0.0, rss_after - rss0 - flat.ntotal * d * 4 / 2**20), 1),
            "disk_mb": _disk_mb(options.milvus_uri),
        },
        "rss_delta_mb": round(rss_after - rss0, 1),
        "wall_s": round(time.perf_counter() - t0, 2),
    }
    client.drop_collection(name)
    return out


def bench_scale_milvus_bm25(
    n: int, corpus: SyntheticCorpus, questions: list[str], n_queries: int, options: BackendOptions
) -> dict[str, Any]:
    """Sparse BM25 over ``n`` synthetic passages in Milvus: build time, query latency and memory."""
    from pymilvus import DataType

    from index.analysis import analyze
    from index.backends.milvus_collections import INSERT_BATCH, connect
    from index.backends.sparse_bm25 import SparseBM25

    client = connect(options)
    name = f"{options.milvus_prefix}_bench_bm25_{n}"
    if client.has_collection(name):
        client.drop_collection(name)
    rss0 = _tree_rss_mb()
    t0 = time.perf_counter()
    documents = [corpus.passage()[0] for _ in range(n)]
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bm25 = SparseBM25(documents)
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
    for start in range(0, n, INSERT_BATCH):
        batch = documents[start:start + INSERT_BATCH]
        client.insert(name, [{"id": start + i, "bm25": bm25.document(terms)} for i, terms in enumerate(batch)])
    client.flush(name)
    client.load_collection(name)
    build_s = time.perf_counter() - t0
    rss_after = _tree_rss_mb()
    params = {"metric_type": "IP"}

    def search(question: str) -> list[int]:
        query = bm25.query(analyze(question))
        if not query:
            return []
        hits = client.search(name, data=[query], anns_field="bm25", limit=DEPTH, output_fields=["id"],
                             search_params=params, consistency_level="Strong")[0]
        return [int(hit["id"]) for hit in hits]

    latency = timed_queries(search, cycle(questions, n_queries))
    # Milvus loads the sparse index as it searches, and frees the dense run's collection meanwhile:
    # the resident peak is after the searches, not after the build.
    rss_after = max(rss_after, _tree_rss_mb())
    out = {
        "engine": "milvus",
        "generate_s": round(gen_s, 2),
        "build_s": round(build_s, 2),
        "tokens": sum(map(len, documents)),
        "vocabulary": len(bm25.vocabulary),
        "latency_ms": latency,
        "memory_mb": round(rss_after - rss0, 1),  # resident growth: the sparse index and the weights
        "disk_mb": _disk_mb(options.milvus_uri),
    }
    client.drop_collection(name)
    return out
