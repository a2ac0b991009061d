"""Shared fixtures. Heavy ones (model, index) are session-scoped and built once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus import CleanDocument, Passage, chunk_document, default_corpus_dir, load_corpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
REPORT_NAME = "turk-dunyasinda-istihbarat-paylasimi.txt"


@pytest.fixture(scope="session")
def report() -> CleanDocument:
    return load_corpus(default_corpus_dir()).documents[0]


@pytest.fixture(scope="session")
def passages(report: CleanDocument) -> list[Passage]:
    return chunk_document(report)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model cache shared by the test session (the rebuilt e5 model lives here).

    REPORT_QA_TEST_CACHE reuses a cache across runs (the Makefile sets it under .venv).
    """
    shared = os.environ.get("REPORT_QA_TEST_CACHE")
    return Path(shared) if shared else tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def settings_factory(model_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    from qa.settings import Settings

    def make(**overrides) -> Settings:
        overrides.setdefault("index_dir", tmp_path_factory.mktemp("index"))
        return Settings(cache_dir=model_cache, **overrides)

    return make


@pytest.fixture(scope="session")
def engine(settings_factory):
    """The real default model over a real FAISS index of the bundled report."""
    from qa.engine import Engine

    return Engine.load(settings_factory())


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every user path (cache, index) inside a temp dir; clear REPORT_QA_* settings."""
    for key in list(os.environ):
        if key.startswith("REPORT_QA_") and key != "REPORT_QA_TEST_CACHE":
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


# --- issue 10: LLM answers ---
@pytest.fixture(scope="session")
def llama_server():
    """A REAL llama.cpp server (xllamacpp) on a free loopback port, running SmolLM2-135M-Instruct."""
    from llm_helpers import smollm2_gguf

    from qa.llm.local import start_llama_server

    server = start_llama_server(smollm2_gguf(), threads=2, context=4096)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llm_engine(engine):
    """An engine like ``engine`` (same model and index) whose answerer talks to ``settings.llm_url``."""
    from qa.answerers import make_answerer
    from qa.engine import Engine

    def make(**overrides):
        settings = engine.settings.model_copy(update=overrides)
        answerer = make_answerer(settings.effective_answerer, engine.retriever, settings)
        return Engine(settings, engine.embedder, engine.index, engine.retriever, answerer)

    return make


@pytest.fixture(scope="session")
def llama_settings(llama_server) -> dict:
    """Settings overrides that answer through ``llama_server``.

    SmolLM2 on a CPU shared with other work: few passages and tokens, and patience.
    """
    return {"llm_url": llama_server.url, "answerer": "llm", "llm_passages": 2, "llm_max_tokens": 48,
            "llm_read_timeout": 600.0, "llm_total_timeout": 900.0}
