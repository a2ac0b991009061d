"""FAISS inner-product indexes over normalised vectors: exact when small, approximate when large.

Up to ``EXACT_MAX_VECTORS`` the index is flat (exact). Beyond it the default approximate
index is ``APPROX_KIND``; the choice and its parameters come from ``report-qa bench
--scale`` on a 2-core machine (docs/benchmarks.md, docs/scaling.md):

* ``ivf-flat``: an inverted file of ``nlist ~ 4*sqrt(n)`` k-means cells holding the float
  vectors; a query scans the ``nprobe`` nearest cells exactly (``max(128, nlist/16)``). Cheap to build (k-means on
  a sample, then one assignment pass), 4*d bytes per vector plus 8 for its id, and the
  recall/latency trade-off is one number (``nprobe``).
* ``hnsw``: HNSW graph over float vectors. Fast and accurate on real embeddings, but
  slow to build on 2 cores at a million vectors and 4*d + 8*M bytes per vector.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# The "type: ignore[attr-defined]"s below: SWIG attributes that faiss's bundled stubs omit.

# Up to this many vectors a flat (exact) index answers in well under a millisecond per
# thousand vectors; beyond it an approximate index keeps latency flat at a small recall cost.
EXACT_MAX_VECTORS = 50_000
APPROX_KINDS = ("ivf-flat", "hnsw")
APPROX_KIND = "ivf-flat"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
# IVF: cells per sqrt(vector); cells scanned per query; k-means sample and passes. On the
# bench's synthetic vectors 128 probes give recall@10 0.955 at 100k (1,264 cells) but 0.939
# at 1M (4,000 cells); a 1/16 share of the cells (250 at 1M) is needed there (docs/benchmarks.md).
IVF_CELLS_PER_SQRT = 4
IVF_MIN_PROBES = 128
IVF_PROBE_SHARE = 1 / 16
IVF_TRAIN_PER_CELL = 24
IVF_KMEANS_ITERATIONS = 10
# Batches larger than this are searched with all OpenMP threads; smaller ones on one.
SEARCH_PARALLEL_MIN_QUERIES = 8


def ivf_cells(n: int) -> int:
    return max(1, min(65536, int(IVF_CELLS_PER_SQRT * math.sqrt(max(n, 1)))))


def ivf_probes(nlist: int) -> int:
    return max(1, min(nlist, max(IVF_MIN_PROBES, round(nlist * IVF_PROBE_SHARE))))


def new_approximate_index(dim: int, n: int, *, kind: str | None = None) -> faiss.Index:
    """An empty approximate inner-product index sized for about ``n`` vectors (train it, then add)."""
    kind = kind or APPROX_KIND
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index
    if kind != "ivf-flat":
        raise ValueError(f"unknown approximate index kind {kind!r}; use one of {', '.join(APPROX_KINDS)}")
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, ivf_cells(n), faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = IVF_KMEANS_ITERATIONS
    ivf.cp.min_points_per_centroid = min(ivf.cp.min_points_per_centroid, IVF_TRAIN_PER_CELL)
    ivf.own_fields = True
    quantizer.this.disown()  # type: ignore[attr-defined]
    return ivf


def _ivf_of(index: faiss.Index) -> faiss.IndexIVF | None:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def train_index(index: faiss.Index, sample: np.ndarray) -> None:
    """Train an approximate index on a sample of the vectors (no-op for indexes that need none)."""
    if index.is_trained:
        return
    ivf = _ivf_of(index)
    if ivf is not None and len(sample) > IVF_TRAIN_PER_CELL * ivf.nlist:
        rng = np.random.default_rng(0)
        sample = sample[np.sort(rng.choice(len(sample), IVF_TRAIN_PER_CELL * ivf.nlist, replace=False))]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))


def configure_search(index: faiss.Index) -> faiss.Index:
    """Set the search-time parameters (not all are stored in the file).

    An IVF index also gets an array direct map (8 bytes per vector), so that
    ``reconstruct_n`` works on it as on a flat index: the FAISS backend reads a passage's
    sentence vectors back that way (``FaissBackend.sentence_vectors``).
    """
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    ivf = _ivf_of(index)
    if ivf is not None:
        ivf.nprobe = ivf_probes(ivf.nlist)
        if ivf.direct_map.type != faiss.DirectMap.Array:  # type: ignore[attr-defined]
            ivf.set_direct_map_type(faiss.DirectMap.Array)  # type: ignore[attr-defined]
    return index


def build_vector_index(
    vectors: np.ndarray, *, exact_max: int = EXACT_MAX_VECTORS, kind: str | None = None
) -> faiss.Index:
    """Build an inner-product index; ``vectors`` must be L2-normalised float32 rows."""
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise ValueError(f"expected a 2-D float32 array, got {vectors.dtype} with shape {vectors.shape}")
    dim = vectors.shape[1]
    if len(vectors) <= exact_max:
        index: faiss.Index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    index = new_approximate_index(dim, len(vectors), kind=kind)
    train_index(index, vectors)
    index.add(vectors)
    return configure_search(index)


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    return configure_search(faiss.read_index(str(path)))


def search(
    index: faiss.Index, queries: np.ndarray, k: int, ids: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, ids), among the vector ids ``ids`` when given; ids of -1 (fewer than k
    vectors) are dropped by callers.

    A few queries run on one OpenMP thread: waking a second thread costs more than it
    saves for one query, and much more on a busy machine (docs/benchmarks.md). Concurrent
    users are served by concurrent calls, each on its own thread (the OpenMP setting is
    per calling thread).
    """
    k = max(1, min(k, index.ntotal))
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    params = None
    if ids is not None:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))
        params = faiss.SearchParameters()
        params.sel = selector  # the local ``selector`` keeps the SWIG object alive until the search returns
    if len(queries) > SEARCH_PARALLEL_MIN_QUERIES:
        return index.search(queries, k, params=params)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(queries, k, params=params)
    finally:
        faiss.omp_set_num_threads(threads)


def index_memory_bytes(index: faiss.Index) -> int:
    """Bytes the index holds in memory (vectors, codes, graph links, ids, centroids)."""
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexFlatCodes):
        return int(index.ntotal * index.code_size)
    if isinstance(index, faiss.IndexHNSW):
        hnsw = index.hnsw
        links = hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + hnsw.levels.size() * 4  # type: ignore[attr-defined]
        return int(index_memory_bytes(index.storage) + links)
    ivf = _ivf_of(index)
    if ivf is not None:
        per_vector = ivf.code_size + 8  # code + 64-bit id in its inverted list
        if ivf.direct_map.type == faiss.DirectMap.Array:  # type: ignore[attr-defined]
            per_vector += 8
        return int(ivf.ntotal * per_vector + index_memory_bytes(ivf.quantizer))
    return int(faiss.serialize_index(index).nbytes)


def describe_index(index: faiss.Index) -> dict[str, Any]:
    """Name and search parameters of an index, for benchmarks and logs."""
    index = faiss.downcast_index(index)
    out: dict[str, Any] = {"ntotal": int(index.ntotal)}
    if isinstance(index, faiss.IndexFlat):
        out.update(name="Flat (exact)", kind="flat")
    elif isinstance(index, faiss.IndexHNSW):
        neighbours = index.hnsw.nb_neighbors(1)  # type: ignore[attr-defined]
        out.update(name=f"HNSW{neighbours},ef{index.hnsw.efSearch}", kind="hnsw",
                   ef_search=int(index.hnsw.efSearch), ef_construction=int(index.hnsw.efConstruction))
    else:
        ivf = _ivf_of(index)
        if ivf is not None:
            out.update(name=f"IVF{ivf.nlist},Flat,nprobe{ivf.nprobe}", kind="ivf-flat",
                       nlist=int(ivf.nlist), nprobe=int(ivf.nprobe))
        else:
            out.update(name=type(index).__name__, kind="other")
    return out
