"""FAISS inner-product indexes over normalised vectors: exact when small, HNSW when large."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Up to this many vectors a flat (exact) index answers in well under a millisecond per
# thousand vectors; beyond it HNSW keeps latency flat at a small recall cost.
EXACT_MAX_VECTORS = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


def build_vector_index(vectors: np.ndarray, *, exact_max: int = EXACT_MAX_VECTORS) -> faiss.Index:
    """Build an inner-product index; ``vectors`` must be L2-normalised float32 rows."""
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise ValueError(f"expected a 2-D float32 array, got {vectors.dtype} with shape {vectors.shape}")
    dim = vectors.shape[1]
    if len(vectors) <= exact_max:
        index: faiss.Index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, ids); ids of -1 (fewer than k vectors) are dropped by callers."""
    k = max(1, min(k, index.ntotal))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
