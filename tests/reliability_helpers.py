"""Helpers for the reliability tests: a fast stand-in embedder, index snapshots, subprocess env."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: the Embedder interface without a model.

    Index integrity does not depend on what the vectors mean, only on them being the same
    for the same text, so these tests build indexes in milliseconds and need no torch.
    """

    def __init__(self, model_id: str = "test/hashed-words", fingerprint: str = "v1", dimension: int = 64) -> None:
        self.model_id = model_id
        self.fingerprint = fingerprint
        self.dimension = dimension
        self.backend = "fake"

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()) or ["∅"]:
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dimension] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else 1.0 / np.sqrt(self.dimension)
        return out

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str], batch_size: int = 32, *, show_progress: bool = False) -> np.ndarray:
        return self._encode(texts)

    def describe(self) -> dict[str, str | int]:
        return {"model_id": self.model_id, "fingerprint": self.fingerprint, "dimension": self.dimension,
                "backend": self.backend}


PROBE_QUESTIONS = (
    "1998 protokolü hangi ülkeler tarafından imzalandı?",
    "Türk Devletleri Teşkilatı ne zaman kuruldu?",
    "What role does Azerbaijan play in intelligence sharing?",
)


def search_snapshot(index, embedder, k: int = 5) -> str:
    """Every probe question's hybrid/dense/bm25 results over ``index``, as canonical JSON."""
    from qa.retrieval import Retriever
    from qa.settings import Settings

    retriever = Retriever(index, embedder, Settings())
    results = {
        f"{mode}:{q}": [h.to_json() for h in retriever.search(retriever.embed(q), k, mode)]
        for q in PROBE_QUESTIONS
        for mode in ("hybrid", "dense", "bm25")
    }
    return json.dumps(results, ensure_ascii=False, sort_keys=True)


def copy_report(dest: Path) -> Path:
    """A corpus folder holding a copy of the bundled report."""
    from corpus import default_corpus_dir

    dest.mkdir(parents=True, exist_ok=True)
    for path in default_corpus_dir().iterdir():
        if path.is_file():
            shutil.copyfile(path, dest / path.name)
    return dest


def subprocess_env(model_cache: Path, **extra: str) -> dict[str, str]:
    """Environment for a report-qa subprocess: offline, the test model cache, no stray settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_QA_")}
    env.update(
        REPORT_QA_CACHE_DIR=str(model_cache),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join([str(REPO), str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    env.update(extra)
    return env


PYTHON = sys.executable


_REAL_INDEXES: dict[str, object] = {}


def real_index_dir(engine, settings_factory) -> Path:
    """A real-model index of the bundled report in its own folder, built once per test session.

    The session ``engine``'s own index folder is not used: other tests rebuild it with other settings.
    """
    from index.store import ensure_index

    if "dir" not in _REAL_INDEXES:
        settings = settings_factory()
        ensure_index(settings.index_config(), engine.embedder)
        _REAL_INDEXES["dir"] = settings.resolved_index_dir
    return _REAL_INDEXES["dir"]  # type: ignore[return-value]
