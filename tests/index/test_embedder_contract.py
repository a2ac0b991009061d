"""The Embedder contract: the same checks over every registered embedding backend and the test fake.

A backend registered in ``index.embedding.factory`` without an entry in ``EXPECTED`` fails
``test_every_registered_backend_is_covered``, so a new backend cannot skip this suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from reliability_helpers import FakeEmbedder

from index.embedding import (
    DEFAULT_MODEL,
    Embedder,
    EmbedderConfig,
    EmbedderError,
    embedder_backends,
    load_embedder,
)


@dataclass(frozen=True)
class Expected:
    """What a backend name must give: the backend it reports, whether prompts apply, and how
    close a text's vector encoded alone stays to the one encoded in a batch."""

    backend: str
    prompts: bool
    batch_cosine: float = 0.999999  # padding may move the last float bits, never more


EXPECTED = {
    "auto": Expected("onnx", prompts=True),  # the default e5 model runs on ONNX
    "onnx": Expected("onnx", prompts=True),
    # Dynamic int8 quantisation scales activations per batch, so the batch moves vectors a
    # little (measured: cosine 0.992-0.998); one reason it is not the default.
    "onnx-int8": Expected("onnx-int8", prompts=True, batch_cosine=0.99),
    "torch": Expected("torch", prompts=True),
    "fake": Expected("fake", prompts=False),  # tests/reliability_helpers.FakeEmbedder: hashed words, no prompts
}
TEXTS = [
    "Türk Devletleri Teşkilatı 2009 Nahçıvan Anlaşması ile kuruldu.",
    "İstihbarat paylaşımı, 1998 yılında imzalanan protokol ile kurumsal bir zemine oturmuştur.",
    "Intelligence sharing among the Turkic states rests on mutual trust.",
    "kısa",
    "Five Eyes " * 400,  # longer than the model's 512 tokens: truncated, not refused
]
QUESTION = "1998 protokolünü hangi ülkeler imzaladı?"
ANSWER, OFF_TOPIC = 1, 3  # rows of TEXTS: the passage that answers QUESTION, and one that does not


def test_every_registered_backend_is_covered() -> None:
    assert set(embedder_backends()) <= set(EXPECTED)


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def embedder(request: pytest.FixtureRequest, model_cache: Path) -> Embedder:
    name: str = request.param
    if name == "fake":
        return FakeEmbedder()
    return load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache, backend=name))


def test_implements_the_protocol(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert isinstance(embedder.model_id, str) and embedder.model_id
    assert isinstance(embedder.fingerprint, str) and embedder.fingerprint
    assert isinstance(embedder.dimension, int) and embedder.dimension > 0


def test_describe(embedder: Embedder, request: pytest.FixtureRequest) -> None:
    expected = EXPECTED[request.node.callspec.params["embedder"]]
    assert embedder.describe() == {
        "model_id": embedder.model_id,
        "fingerprint": embedder.fingerprint,
        "dimension": embedder.dimension,
        "backend": expected.backend,
    }
    assert embedder.backend == expected.backend


@pytest.mark.parametrize("kind", ["queries", "documents"])
def test_shape_dtype_and_normalisation(embedder: Embedder, kind: str) -> None:
    encode = embedder.encode_queries if kind == "queries" else embedder.encode_documents
    vectors = encode(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dimension)
    assert vectors.dtype == np.float32 and vectors.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encode([]).shape == (0, embedder.dimension)


def test_deterministic_and_independent_of_the_batch(embedder: Embedder, request: pytest.FixtureRequest) -> None:
    expected = EXPECTED[request.node.callspec.params["embedder"]]
    first = embedder.encode_documents(TEXTS)
    np.testing.assert_array_equal(embedder.encode_documents(TEXTS), first)
    np.testing.assert_array_equal(embedder.encode_documents(TEXTS[::-1])[::-1], first)  # same batches, reordered
    alone = np.vstack([embedder.encode_documents([text]) for text in TEXTS])
    assert float((alone * first).sum(axis=1).min()) >= expected.batch_cosine


def test_query_and_document_prompts(embedder: Embedder, request: pytest.FixtureRequest) -> None:
    expected = EXPECTED[request.node.callspec.params["embedder"]]
    queries = embedder.encode_queries(TEXTS[:3])
    documents = embedder.encode_documents(TEXTS[:3])
    cosines = (queries * documents).sum(axis=1)
    if expected.prompts:  # e5: "query: " vs "passage: " before the same text
        assert float(cosines.max()) < 0.999
        assert float(cosines.min()) > 0.8  # the same text still, seen through another prompt
    else:
        np.testing.assert_array_equal(queries, documents)


def test_a_question_is_closest_to_its_answer(embedder: Embedder) -> None:
    question = embedder.encode_queries([QUESTION])[0]
    documents = embedder.encode_documents(TEXTS)
    assert documents[ANSWER] @ question > documents[OFF_TOPIC] @ question


@pytest.fixture(scope="module")
def onnx_and_torch(model_cache: Path) -> tuple[Embedder, Embedder]:
    return (
        load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache, backend="onnx")),
        load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache, backend="torch")),
    )


def test_onnx_gives_the_vectors_torch_gives(onnx_and_torch: tuple[Embedder, Embedder]) -> None:
    """The hand-written ONNX graph matches sentence-transformers, so the two share one index."""
    onnx, torch = onnx_and_torch
    assert onnx.fingerprint == torch.fingerprint and onnx.dimension == torch.dimension
    for a, b in ((onnx.encode_documents(TEXTS), torch.encode_documents(TEXTS)),
                 (onnx.encode_queries([QUESTION, *TEXTS]), torch.encode_queries([QUESTION, *TEXTS]))):
        assert a.shape == b.shape
        assert float((a * b).sum(axis=1).min()) >= 0.99999


def test_int8_has_its_own_fingerprint(model_cache: Path, onnx_and_torch: tuple[Embedder, Embedder]) -> None:
    """int8 vectors differ from fp32 ones: an index built with one is never searched with the other."""
    int8 = load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache, backend="onnx-int8"))
    assert int8.fingerprint != onnx_and_torch[0].fingerprint
    cosines = (int8.encode_documents(TEXTS) * onnx_and_torch[0].encode_documents(TEXTS)).sum(axis=1)
    assert 0.95 < float(cosines.min()) < 0.99999


def test_unknown_backend_names_the_choices(model_cache: Path) -> None:
    with pytest.raises(EmbedderError, match="unknown embedding backend 'gpu'; use one of auto, onnx"):
        load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache, backend="gpu"))


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_refuses_a_model_it_cannot_run(model_cache: Path, tmp_path: Path, backend: str) -> None:
    """A folder that is not a BERT sentence-transformers model: the error says why, no fallback."""
    (tmp_path / "config.json").write_text('{"model_type": "t5"}', encoding="utf-8")
    with pytest.raises(EmbedderError, match=f"the {backend} backend cannot run .*not a sentence-transformers folder"):
        load_embedder(EmbedderConfig(str(tmp_path), model_cache, backend=backend))


def test_threads_must_be_positive(model_cache: Path) -> None:
    with pytest.raises(ValueError, match="threads must be at least 1"):
        EmbedderConfig(DEFAULT_MODEL, model_cache, threads=0)
