"""``report-qa bench``: the click command (the measurements live in qa.bench)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.context import F, load_engine, message, settings_from, user_errors
from index.backends import backend_names

# The largest scale the bench accepts: a million passages fits in memory on a 24 GiB machine.
MAX_SCALE = 2_000_000


def parse_scales(value: str | None) -> tuple[int, ...]:
    """``10k,100000,1m`` → (10000, 100000, 1000000); each between 100 and MAX_SCALE."""
    if not value:
        return ()
    out = []
    for part in value.replace("_", "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        factor = 1
        if part[-1] in "km":
            factor = 1000 if part[-1] == "k" else 1_000_000
            part = part[:-1]
        try:
            n = int(float(part) * factor)
        except ValueError:
            raise click.BadParameter(message("scale_not_number", part=part)) from None
        if not 100 <= n <= MAX_SCALE:
            raise click.BadParameter(message("scale_range", limit=MAX_SCALE, n=n))
        out.append(n)
    return tuple(out)


def _options(func: F) -> F:
    """--corpus and --model as in the other commands; --index-dir is the bench's own work folder."""
    options = [
        click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None,
                     help="Folder of .txt/.md documents [env REPORT_QA_CORPUS_DIR; default: the bundled report]."),
        click.option("--index-dir", type=click.Path(path_type=Path), default=None,
                     help="Work folder for the bench's own index build [default: a temporary folder]; "
                          "never your real index."),
        click.option("--model", default=None,
                     help="Embedding model name or local path [env REPORT_QA_MODEL; default: multilingual-e5-small]."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("bench")
@_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--scale", "scale", default=None, metavar="N,...",
              help="Also measure synthetic corpora of these many passages (e.g. 10000,100000,1000000).")
@click.option("--quick", is_flag=True,
              help="A fast smoke run: 20 warm questions, 1 cold start, 50 scaling queries, no model-build timing.")
@click.option("--questions", "n_questions", type=click.IntRange(1, 100_000), default=None,
              help="Warm-latency questions (the dev questions, repeated) [default: 200; --quick: 20].")
@click.option("--cold-runs", type=click.IntRange(1, 20), default=None,
              help="Cold-start runs (median reported) [default: 3; --quick: 1].")
@click.option("--scale-queries", type=click.IntRange(10, 10_000), default=None,
              help="Queries per scaling measurement [default: 200; --quick: 50].")
@click.option("--ann", type=click.Choice(["ivf-flat", "hnsw"]), default=None,
              help="Approximate index for the scaling runs [default: index.vectors.APPROX_KIND].")
@click.option("--skip-model-build", is_flag=True, help="Do not time the one-time model build.")
@click.option("--backend", type=click.Choice(backend_names()), default=None,
              help="Search backend to measure [env REPORT_QA_BACKEND; milvus: a milvus-lite server over the "
                   "work folder unless REPORT_QA_MILVUS_URI is a server].")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the JSON result to this file.")
@click.option("--llm", "llm_url", default=None, metavar="URL",
              help="Instead: time what report-qa adds around this OpenAI-compatible LLM server (retrieval, "
                   "prompt, validation; time to first token) on your index.")
@click.option("--llm-questions", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Questions timed with --llm.")
@click.option("--documents", is_flag=True,
              help="Instead: PDF extraction pages/s, a 300-page PDF build, embedding throughput and the cost "
              "of changing one file in a 50-document corpus (needs the dev extra's fpdf2).")
def command(corpus_dir: Path | None, index_dir: Path | None, model: str | None, as_json: bool,
                  scale: str | None, quick: bool, n_questions: int | None, cold_runs: int | None,
                  scale_queries: int | None, ann: str | None, skip_model_build: bool, backend: str | None,
                  out_path: Path | None, llm_url: str | None, llm_questions: int, documents: bool) -> None:
    """Measure index build, cold start, warm latency, memory and scaling on this machine.

    The report's index is rebuilt in a temporary folder (or under --index-dir); the model
    cache is reused. Timings depend on what else the machine runs:
    the load average is printed before and after.
    """
    from qa.bench import SCALE_QUERIES, BenchOptions, render_table, run_bench

    if llm_url:  # issue 10
        _llm_bench(corpus_dir, model, llm_url, llm_questions, as_json, out_path)
        return
    scales = parse_scales(scale)
    opts = BenchOptions(
        scales=scales,
        questions=n_questions or (20 if quick else 200),
        cold_runs=cold_runs or (1 if quick else 3),
        quick=quick,
        model_build=not (quick or skip_model_build),
        scale_queries=scale_queries or (50 if quick else SCALE_QUERIES),
        ann=ann,
        work_dir=index_dir,
    )
    settings = settings_from(corpus_dir=corpus_dir, model=model, backend=backend)

    def log(message: str) -> None:
        click.echo(f"bench: {message}", err=True)

    with user_errors():
        if documents:
            result = _documents_bench(settings, index_dir, log)
        else:
            result = run_bench(settings, opts, log=log if sys.stderr.isatty() or not as_json else (lambda _m: None))
    text = json.dumps(result, ensure_ascii=False, indent=None if as_json else 2)
    if out_path is not None:
        out_path.write_text(text + "\n", encoding="utf-8")
    click.echo(text if as_json or documents else render_table(result))


def _llm_bench(corpus_dir: Path | None, model: str | None, url: str, n: int, as_json: bool,
               out_path: Path | None) -> None:
    from qa.bench.llm import render_llm_bench, run_llm_bench

    settings = settings_from(corpus_dir=corpus_dir, model=model, llm_url=url, answerer="llm")
    engine = load_engine(settings)
    with user_errors():
        result = run_llm_bench(engine, n)
    text = json.dumps(result, ensure_ascii=False)
    if out_path is not None:
        out_path.write_text(text + "\n", encoding="utf-8")
    click.echo(text if as_json else render_llm_bench(result), nl=as_json)


def _documents_bench(settings: Any, work_dir: Path | None, log: Callable[[str], None]) -> dict[str, Any]:
    """``bench --documents`` (qa.bench.documents) in ``work_dir`` or a temporary folder."""
    import tempfile

    from index.embedding import load_embedder
    from qa.bench.documents import bench_documents
    from qa.bench.machine import machine_info

    embedder = load_embedder(settings.embedder_config())
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        return {"machine": machine_info(), **bench_documents(settings, embedder, Path(tmp), log)}
