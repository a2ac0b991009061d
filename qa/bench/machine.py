"""What the bench runs on and how it measures: machine description, targets, timing and memory helpers."""

from __future__ import annotations

import math
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

# Targets from the performance issue; the bench reports each as met or not.
TARGETS = {
    "search_over_embed": 1.3,
    "ask_over_embed": 2.0,
    "cold_start_s": 6.0,
    "index_build_s": 15.0,
    "approx_p50_ms_1m": 20.0,
    "recall_at_10": 0.95,
    "vector_index_gb_1m": 3.0,
}
_LIBRARIES = (
    "torch", "sentence-transformers", "transformers", "onnxruntime", "onnx", "faiss-cpu", "bm25s", "numpy",
)


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded to the microsecond."""
    return round(seconds * 1000.0, 3)


def percentiles(samples: Iterable[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of durations given in seconds."""
    values = sorted(samples)
    if not values:
        return {"p50": math.nan, "p95": math.nan, "mean": math.nan, "n": 0}
    return {
        "p50": ms(float(np.percentile(values, 50))),
        "p95": ms(float(np.percentile(values, 95))),
        "mean": ms(statistics.fmean(values)),
        "n": len(values),
    }


def timed_queries(fn: Callable[[T], object], queries: list[T]) -> dict[str, float]:
    """Latency percentiles of ``fn`` over ``queries``, one call at a time."""
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t)
    return percentiles(times)


def timed_iter(it: Iterable[T]) -> Iterator[tuple[T, float]]:
    """Each item of ``it`` with the seconds it took to produce."""
    iterator = iter(it)
    while True:
        t = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item, time.perf_counter() - t


def cycle(items: list[T], n: int) -> list[T]:
    """``n`` items, repeating ``items`` from the start as often as needed."""
    return [items[i % len(items)] for i in range(n)]


def rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def dir_bytes(path: Path) -> int:
    """Total size of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """CPU, cores, RAM, Python, platform, library versions and the load average now."""
    import psutil

    from index.store import library_versions

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": library_versions(_LIBRARIES),
        "load_average": load_average(),
    }
