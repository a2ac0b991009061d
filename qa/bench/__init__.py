"""``report-qa bench``: measure build, cold start, warm latency, memory and scaling on this machine.

Everything here measures; nothing asserts a time. The result is one JSON-able dict
(documented in docs/benchmarks.md) that ``render_table`` prints as text tables.

One module per job: ``machine`` (machine description, targets, timing and memory helpers),
``build`` (model and index build), ``coldstart`` (fresh ``python -m qa ask`` processes),
``warm`` (latency on a loaded engine), ``quality`` (dev retrieval, by ``qa.evaluation``'s
relevance rule), ``synthetic`` (the scaling corpus), ``scaling`` (FAISS and BM25 at scale),
``render`` (tables) and ``runner`` (a whole run).

Heavy modules (faiss, bm25s, the engine, the evaluation) are imported inside the functions
that need them, so ``import qa.bench`` stays cheap (the CLI imports it for ``--help``).
"""

from __future__ import annotations

from qa.bench.render import render_table
from qa.bench.runner import SCALE_QUERIES, BenchOptions, run_bench
from qa.bench.synthetic import SyntheticCorpus, synthetic_vectors

__all__ = ["SCALE_QUERIES", "BenchOptions", "SyntheticCorpus", "render_table", "run_bench", "synthetic_vectors"]
