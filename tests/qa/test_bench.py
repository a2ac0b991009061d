"""`report-qa bench` runs end to end on a tiny scale and emits its documented JSON keys.

Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli.commands.bench import parse_scales
from qa.bench import SyntheticCorpus, render_table, synthetic_vectors

# The keys docs/benchmarks.md documents; a renamed key breaks whoever reads the JSON.
TOP_KEYS = {"machine", "options", "model_build", "index_build", "warm", "retrieval_quality", "memory",
            "cold_start", "scaling"}
BUILD_KEYS = {"model_load_s", "clean_s", "chunk_s", "embed_s", "write_s", "total_s", "cpu_s", "passages",
              "sentences", "texts_per_s", "passages_per_s", "sentences_per_s", "backend", "index_disk_mb",
              "target_s", "met"}
COLD_KEYS = {"command", "runs", "wall_s_median", "wall_s_min", "cpu_s_median", "peak_rss_mb", "phases_median",
             "torch_imported", "transformers_imported", "top_imports", "target_s", "met"}
PHASE_KEYS = {"interpreter_s", "imports_s", "model_load_s", "index_load_s", "first_answer_s", "exit_s", "total_s"}
WARM_KEYS = {"questions", "embed_ms", "search_ms", "ask_ms", "cpu_ms_p50", "ask_parts_ms_p50",
             "search_over_embed", "ask_over_embed", "targets", "met"}
LATENCY_KEYS = {"p50", "p95", "mean", "n"}
MEMORY_KEYS = {"peak_rss_mb_after_warm", "rss_mb_after_warm", "index_disk_mb", "cold_ask_peak_rss_mb", "peak_rss_mb"}
SCALE_KEYS = {"passages", "vectors", "bm25", "met"}
VECTOR_KEYS = {"generate_s", "sigma", "seed", "exact", "approximate", "rss_delta_mb", "wall_s"}
APPROX_KEYS = {"name", "kind", "ntotal", "train_s", "build_s", "latency_ms", "recall_at_10", "memory_mb"}
BM25_KEYS = {"generate_s", "build_s", "tokens", "vocabulary", "checked_against_analyze", "latency_ms", "memory_mb",
             "rss_delta_mb", "example"}


def testparse_scales() -> None:
    assert parse_scales("10000,100k,1m") == (10_000, 100_000, 1_000_000)
    assert parse_scales(None) == ()
    with pytest.raises(Exception, match="between"):
        parse_scales("5")
    with pytest.raises(Exception, match="not a number"):
        parse_scales("many")


def test_synthetic_passages_are_new_and_tokenised_like_analyze(passages) -> None:
    from index.analysis import analyze

    corpus = SyntheticCorpus(passages, seed=7)
    originals = {p.embed_text for p in passages}
    texts = []
    for _ in range(200):
        tokens, text = corpus.passage(with_text=True)
        assert text
        assert tokens == analyze(text)
        texts.append(text)
    assert sum(t not in originals for t in texts) >= 190
    again = SyntheticCorpus(passages, seed=7)
    assert again.passage(with_text=True)[1] == texts[0]  # seeded: the same corpus every run


def test_synthetic_vectors_are_unit_and_seeded() -> None:
    rng = np.random.default_rng(0)
    real = rng.standard_normal((20, 16)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    a = np.vstack(list(synthetic_vectors(real, 250, seed=3)))
    b = np.vstack(list(synthetic_vectors(real, 250, seed=3)))
    assert a.shape == (250, 16) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)


def test_approximate_index_roundtrip(tmp_path) -> None:
    from index import vectors

    rng = np.random.default_rng(1)
    x = rng.standard_normal((3000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index = vectors.build_vector_index(x, exact_max=1000)
    assert vectors.describe_index(index)["kind"] == vectors.APPROX_KIND
    vectors.save_vector_index(index, tmp_path / "v.faiss")
    loaded = vectors.load_vector_index(tmp_path / "v.faiss")
    _scores, ids = vectors.search(loaded, x[:5], 3)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]  # every vector finds itself
    np.testing.assert_array_equal(loaded.reconstruct_n(10, 5), x[10:15])  # the answerer reads sentences back
    assert vectors.index_memory_bytes(loaded) >= 3000 * 32 * 4


def test_bench_quick_json(model_cache, tmp_path, monkeypatch) -> None:
    from cli.main import cli

    monkeypatch.setenv("REPORT_QA_CACHE_DIR", str(model_cache))
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli,
        ["bench", "--quick", "--json", "--scale", "2000", "--questions", "10", "--scale-queries", "20",
         "--index-dir", str(tmp_path / "work"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data == json.loads(out.read_text(encoding="utf-8"))
    assert data.keys() >= TOP_KEYS
    assert data["model_build"] is None  # --quick skips the one-time model build
    assert data["index_build"].keys() >= BUILD_KEYS
    assert data["index_build"]["passages"] > 0
    assert data["cold_start"].keys() >= COLD_KEYS
    assert data["cold_start"]["phases_median"].keys() >= PHASE_KEYS
    assert data["warm"].keys() >= WARM_KEYS
    for key in ("embed_ms", "search_ms", "ask_ms"):
        assert data["warm"][key].keys() >= LATENCY_KEYS
        assert data["warm"][key]["n"] == 10
    assert data["warm"]["ask_parts_ms_p50"].keys() == {
        "language", "retrieval", "select_sentences", "features", "relevance"
    }
    assert data["memory"].keys() >= MEMORY_KEYS
    assert {"hybrid", "dense", "backend"} <= data["retrieval_quality"].keys()
    [scale] = data["scaling"]
    assert scale.keys() >= SCALE_KEYS and scale["passages"] == 2000
    assert scale["vectors"].keys() >= VECTOR_KEYS
    assert scale["vectors"]["approximate"].keys() >= APPROX_KEYS
    assert 0.0 <= scale["vectors"]["approximate"]["recall_at_10"] <= 1.0
    assert scale["bm25"].keys() >= BM25_KEYS
    assert scale["bm25"]["checked_against_analyze"] > 0
    text = render_table(data)
    for label in ("index build total", "cold start to first answer", "warm: search", "warm: ask", "Scaling"):
        assert label in text


def test_bench_quick_on_milvus(model_cache, tmp_path, monkeypatch) -> None:
    """Issue 14: ``--backend milvus`` builds, serves and scales on a Milvus Lite server over the work folder."""
    from cli.main import cli

    monkeypatch.setenv("REPORT_QA_CACHE_DIR", str(model_cache))
    monkeypatch.delenv("REPORT_QA_MILVUS_URI", raising=False)
    result = CliRunner().invoke(
        cli,
        ["bench", "--quick", "--json", "--backend", "milvus", "--scale", "2000", "--questions", "5",
         "--scale-queries", "10", "--index-dir", str(tmp_path / "work")],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    # the cold-start child served the same milvus index instead of rebuilding a faiss one over it
    manifest = json.loads((tmp_path / "work" / "index" / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == "milvus"
    [scale] = data["scaling"]
    vectors = scale["vectors"]
    assert vectors["engine"] == "milvus" and vectors["uri"].startswith("http://127.0.0.1:")
    assert vectors["approximate"]["recall_at_10"] >= 0.9
    bm25 = scale["bm25"]  # the sparse BM25 collection the backend's lexical search uses
    assert bm25["engine"] == "milvus" and bm25["vocabulary"] > 100 and bm25["latency_ms"]["p50"] > 0
    assert "Scaling" in render_table(data)
