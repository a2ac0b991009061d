"""Cold start: ``python -m qa ask --json QUESTION`` in fresh interpreters, and where its time goes."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from qa.bench.machine import TARGETS

if TYPE_CHECKING:
    from qa.settings import Settings

# The CLI sits above qa: it is found, as `python -m qa` finds it, through the console script.
_LOAD_CLI = (
    "from importlib.metadata import entry_points\n"
    "(script,) = entry_points(group='console_scripts', name='report-qa')\n"
    "script.load()\n"
)

# Runs in a fresh interpreter: the steps of `report-qa ask`, timestamped. Engine.load loads
# the model and then the index; the index load is timed by loading it once more after the
# answer (the files are as cached as the first time), and the model load is the rest.
_PHASES_SCRIPT = r"""
import json, sys, time
t0 = time.time()
""" + _LOAD_CLI + r"""
from index.store import load_index
from qa.engine import Engine
from qa.settings import Settings
t_imports = time.time()
settings = Settings()
engine = Engine.load(settings)
t_loaded = time.time()
answer = engine.ask(sys.argv[2])
t_answer = time.time()
peak = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
t = time.time()
load_index(settings.index_config(), engine.embedder)
index_s = time.time() - t
print(json.dumps({
    "spawn": float(sys.argv[1]), "start": t0, "imports": t_imports, "loaded": t_loaded, "index_s": index_s,
    "answer": t_answer, "answered": answer.answered,
    "torch_imported": "torch" in sys.modules, "transformers_imported": "transformers" in sys.modules,
    "peak_rss_mb": peak,
}))
"""


def child_env(settings: Settings) -> dict[str, str]:
    """This process's environment with ``settings`` spelled out as REPORT_QA_* variables, offline."""
    env = dict(os.environ)
    env["REPORT_QA_INDEX_DIR"] = str(settings.resolved_index_dir)
    env["REPORT_QA_CACHE_DIR"] = str(settings.cache_dir.expanduser())
    env["REPORT_QA_CORPUS_DIR"] = str(settings.corpus_dir.expanduser())
    env["REPORT_QA_MODEL"] = settings.model
    env["REPORT_QA_EMBED_BACKEND"] = settings.embed_backend
    env["REPORT_QA_EMBED_SPIN"] = "1" if settings.embed_spin else "0"
    if settings.embed_threads is None:
        env.pop("REPORT_QA_EMBED_THREADS", None)
    else:
        env["REPORT_QA_EMBED_THREADS"] = str(settings.embed_threads)
    # issue 14: the same search backend (the token, environment-only, is inherited as it is)
    env["REPORT_QA_BACKEND"] = settings.backend
    env["REPORT_QA_MILVUS_URI"] = settings.backend_options().milvus_uri
    env["REPORT_QA_MILVUS_PREFIX"] = settings.milvus_prefix
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
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


def top_imports(env: dict[str, str], limit: int = 10) -> list[dict[str, Any]]:
    """The slowest top-level packages imported by `python -m qa`, from -X importtime."""
    cmd = [sys.executable, "-X", "importtime", "-c", _LOAD_CLI + "import qa.engine\n"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    own = {"qa", "index", "corpus", "ui", "cli", "encodings", "site"}
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if not m or "." in m.group(3) or m.group(3) in own or m.group(3).startswith("_"):
            continue
        # a package's first (outermost) import, with what it pulls in
        totals[m.group(3)] = max(totals.get(m.group(3), 0), int(m.group(2)))
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:limit]
    return [{"package": k, "ms": round(v / 1000, 1)} for k, v in top]


def bench_cold_start(settings: Settings, question: str, runs: int) -> dict[str, Any]:
    """Wall time of `python -m qa ask --json QUESTION` against the built index, and its phases."""
    env = child_env(settings)
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
        load_s = t["loaded"] - t["imports"]
        index_s = min(t["index_s"], load_s)
        phases.append({
            "interpreter_s": t["start"] - t["spawn"],
            "imports_s": t["imports"] - t["start"],
            "model_load_s": load_s - index_s,
            "index_load_s": index_s,
            "first_answer_s": t["answer"] - t["loaded"],
            # The second index load ran after the answer: it is not part of `ask`.
            "exit_s": wall - (t["answer"] - t["spawn"]) - t["index_s"],
            "total_s": wall - t["index_s"],
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
        "top_imports": top_imports(env),
        "target_s": TARGETS["cold_start_s"],
        "met": bool(wall_median <= TARGETS["cold_start_s"]),
    }
