"""The SearchBackend contract: the same checks over every registered backend.

Each backend is built from the bundled report's passages and real e5 vectors, checked
against brute-force answers computed here from the same vectors, then saved, reloaded and
checked to answer identically. A backend added to ``index.backends.registry`` runs this
suite without any change to it. ``milvus`` runs twice: on an embedded Milvus Lite file and
against a ``milvus-lite server`` on loopback (the gRPC client path used against a cluster).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from corpus import Passage
from index.backends import (
    BackendOptions,
    BackendType,
    SearchBackend,
    backend_names,
    backend_type,
    build_backend,
    open_backend,
)
from index.embedding import DEFAULT_MODEL, Embedder, EmbedderConfig, load_embedder
from index.errors import IndexStoreError

# (question, a phrase one of the 3 best passages must contain) for dense and sentence search
QUESTIONS = [
    ("Five Eyes nedir?", "Five Eyes"),
    ("1998 protokolünü hangi ülkeler imzaladı?", "1998"),
    ("What did Kazakhstan and Turkey sign in 2022?", "Kazakistan ile Türkiye"),
]
# (query, a phrase the best BM25 passage must contain)
LEXICAL = [
    ("Five Eyes", "Five Eyes"),
    ("Nahçıvan Anlaşması", "Nahçıvan"),
    ("Kazakistan Türkiye protokol", "Kazakistan"),
]
KS = (1, 3, 10, 1000)


@pytest.fixture(scope="module")
def embedder(model_cache: Path) -> Embedder:
    return load_embedder(EmbedderConfig(DEFAULT_MODEL, model_cache))


@pytest.fixture(scope="module")
def data(passages: list[Passage], embedder: Embedder) -> SimpleNamespace:
    """The report's passages, their vectors and the questions' vectors."""
    return SimpleNamespace(
        passages=passages,
        passage_vectors=embedder.encode_documents([p.embed_text for p in passages]),
        sentence_vectors=embedder.encode_documents([s.text for p in passages for s in p.sentences]),
        window_vectors=embedder.encode_documents([w for p in passages for w in p.windows]),
        sentence_rows=np.array([row for row, p in enumerate(passages) for _ in p.sentences]),
        queries=embedder.encode_queries([q for q, _ in QUESTIONS]),
    )


Pairs = dict[str, tuple[SearchBackend, SearchBackend]]
# Where each backend under test keeps its data: (registered name, how it is reached).
TARGETS = ("faiss", "milvus-lite", "milvus-server")


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory, milvus_server: str) -> dict[str, tuple[str, BackendOptions]]:
    lite = str(tmp_path_factory.mktemp("milvus-lite") / "contract.db")
    return {
        "faiss": ("faiss", BackendOptions()),
        "milvus-lite": ("milvus", BackendOptions(milvus_uri=lite, milvus_prefix="contract")),
        "milvus-server": ("milvus", BackendOptions(milvus_uri=milvus_server, milvus_prefix="contract")),
    }


@pytest.fixture(scope="module")
def pairs(
    data: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory, targets: dict[str, tuple[str, BackendOptions]]
) -> Pairs:
    """Every target: built from the vectors, and saved then reopened from disk."""
    assert {name for name, _ in targets.values()} == set(backend_names())
    out = {}
    for target, (name, options) in targets.items():
        built = build_backend(
            name, data.passages, data.passage_vectors, data.sentence_vectors, data.window_vectors,
            exact_max=50_000, options=options,
        )
        folder = tmp_path_factory.mktemp(f"backend-{target}")
        built.save(folder)
        out[target] = (built, open_backend(name, folder, options))
    return out


@pytest.fixture(params=[(target, state) for target in TARGETS for state in ("built", "reloaded")],
                ids=lambda param: "-".join(param))
def backend(request: pytest.FixtureRequest, pairs: Pairs) -> SearchBackend:
    """Every check runs on each backend freshly built and reloaded from disk."""
    target, state = request.param
    return pairs[target][state == "reloaded"]


def _assert_top_k(result: dict[int, float], everything: dict[int, float], k: int) -> None:
    """``result`` is a best-``k`` of ``everything``: right size, right scores, nothing better left out."""
    assert len(result) == min(k, len(everything))
    assert all(isinstance(row, int) for row in result)
    for row, score in result.items():
        assert score == pytest.approx(everything[row], abs=1e-5)
    left_out = [score for row, score in everything.items() if row not in result]
    if left_out and result:
        assert min(result.values()) >= max(left_out) - 1e-5


def test_implements_the_protocol(backend: SearchBackend, data: SimpleNamespace) -> None:
    assert isinstance(backend, SearchBackend)
    assert backend.size == len(data.passages)
    assert backend.passages == data.passages
    assert backend.dimension == data.passage_vectors.shape[1]


def test_describe(backend: SearchBackend, data: SimpleNamespace) -> None:
    description = backend.describe()
    assert set(description) == {"backend", "location", "passages", "sentences", "dimension"}
    assert description["backend"] in backend_names()
    assert isinstance(description["location"], str) and description["location"]
    assert description["passages"] == len(data.passages)
    assert description["sentences"] == len(data.sentence_vectors)
    assert description["dimension"] == backend.dimension


def test_centroid_is_the_normalised_mean(backend: SearchBackend, data: SimpleNamespace) -> None:
    mean = data.passage_vectors.mean(axis=0)
    assert backend.centroid.shape == (backend.dimension,) and backend.centroid.dtype == np.float32
    assert float(np.linalg.norm(backend.centroid)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(backend.centroid, mean / np.linalg.norm(mean), atol=1e-6)


@pytest.mark.parametrize("k", KS)
def test_dense(backend: SearchBackend, data: SimpleNamespace, k: int) -> None:
    for (_, phrase), query in zip(QUESTIONS, data.queries, strict=True):
        cosines = data.passage_vectors @ query
        _assert_top_k(backend.dense(query, k), {row: float(c) for row, c in enumerate(cosines)}, k)
        assert any(phrase in data.passages[row].text for row in backend.dense(query, 3))


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("search", ["sentences", "windows"])
def test_sentences_and_windows(backend: SearchBackend, data: SimpleNamespace, k: int, search: str) -> None:
    """Each passage scored by its best sentence (or sentence window) among the ``k`` best overall."""
    vectors = data.sentence_vectors if search == "sentences" else data.window_vectors
    for (_, phrase), query in zip(QUESTIONS, data.queries, strict=True):
        cosines = vectors @ query
        top = np.argsort(-cosines, kind="stable")[:k]
        expected: dict[int, float] = {}
        for i in top:
            row = int(data.sentence_rows[i])
            expected[row] = max(expected.get(row, -1.0), float(cosines[i]))
        result = getattr(backend, search)(query, k)
        assert set(result) == set(expected)
        for row, score in result.items():
            assert score == pytest.approx(expected[row], abs=1e-5)
        best = sorted(result, key=lambda row: -result[row])[:3]
        assert any(phrase in data.passages[row].text for row in best)


@pytest.mark.parametrize("k", KS)
def test_lexical(backend: SearchBackend, data: SimpleNamespace, k: int) -> None:
    for query, phrase in LEXICAL:
        result = backend.lexical(query, k)
        assert 0 < len(result) <= min(k, backend.size)
        assert all(isinstance(row, int) and score > 0 for row, score in result.items())
        best = max(result, key=lambda row: result[row])
        assert phrase in data.passages[best].text
        if k > 1:
            wider = backend.lexical(query, backend.size)
            _assert_top_k(result, wider, k)


@pytest.mark.parametrize("target", TARGETS)
def test_lexical_scores_are_the_faiss_backends(pairs: Pairs, target: str) -> None:
    """Every backend scores BM25 as bm25s does, so the fusion and the answers do not move."""
    reference = pairs["faiss"][0]
    backend = pairs[target][1]
    for query in [q for q, _ in LEXICAL] + [q for q, _ in QUESTIONS]:
        got, want = backend.lexical(query, backend.size), reference.lexical(query, reference.size)
        assert set(got) == set(want)
        for row, score in got.items():
            assert score == pytest.approx(want[row], rel=1e-5)


def test_lexical_without_a_known_term_finds_nothing(backend: SearchBackend) -> None:
    assert backend.lexical("zzqxv wplkj", 5) == {}
    assert backend.lexical("", 5) == {}


@pytest.mark.parametrize("search", ["dense", "sentences", "windows", "lexical"])
def test_k_must_be_positive(backend: SearchBackend, data: SimpleNamespace, search: str) -> None:
    argument = "Five Eyes" if search == "lexical" else data.queries[0]
    with pytest.raises(ValueError, match="k must be at least 1"):
        getattr(backend, search)(argument, 0)


def test_sentence_vectors(backend: SearchBackend, data: SimpleNamespace) -> None:
    for row, passage in enumerate(data.passages):
        got = backend.sentence_vectors(row)
        assert got.shape == (len(passage.sentences), backend.dimension)
        np.testing.assert_allclose(got, data.sentence_vectors[data.sentence_rows == row], atol=1e-6)
    with pytest.raises(IndexError):
        backend.sentence_vectors(backend.size)
    with pytest.raises(IndexError):
        backend.sentence_vectors(-1)


def test_passage_vectors(backend: SearchBackend, data: SimpleNamespace) -> None:
    rows = [3, 0, backend.size - 1]
    np.testing.assert_allclose(backend.passage_vectors(rows), data.passage_vectors[rows], atol=1e-6)
    np.testing.assert_allclose(backend.passage_vectors(range(backend.size)), data.passage_vectors, atol=1e-6)
    assert backend.passage_vectors([]).shape == (0, backend.dimension)
    with pytest.raises(IndexError):
        backend.passage_vectors([backend.size])


@pytest.mark.parametrize("target", TARGETS)
def test_reloaded_answers_exactly_as_built(pairs: Pairs, data: SimpleNamespace, target: str) -> None:
    built, reloaded = pairs[target]
    assert reloaded.passages == built.passages
    np.testing.assert_array_equal(reloaded.centroid, built.centroid)
    for query in data.queries:
        for k in KS:
            assert reloaded.dense(query, k) == built.dense(query, k)
            assert reloaded.sentences(query, k) == built.sentences(query, k)
            assert reloaded.windows(query, k) == built.windows(query, k)
    for query, _ in LEXICAL:
        assert reloaded.lexical(query, 10) == built.lexical(query, 10)
    for row in range(built.size):
        np.testing.assert_array_equal(reloaded.sentence_vectors(row), built.sentence_vectors(row))
    assert {k: v for k, v in reloaded.describe().items() if k != "location"} == {
        k: v for k, v in built.describe().items() if k != "location"
    }


@pytest.mark.parametrize("target", TARGETS)
def test_saved_files_are_the_declared_ones(
    pairs: Pairs, targets: dict[str, tuple[str, BackendOptions]], tmp_path: Path, target: str
) -> None:
    name, options = targets[target]
    kind: BackendType = backend_type(name, options)
    assert kind.name == name
    pairs[target][0].save(tmp_path)
    assert all((tmp_path / file).is_file() for file in kind.files)


def test_build_refuses_vectors_that_do_not_match(
    data: SimpleNamespace, targets: dict[str, tuple[str, BackendOptions]]
) -> None:
    for name, options in targets.values():
        vectors = (data.passage_vectors, data.sentence_vectors, data.window_vectors)
        for short in range(3):
            cut = tuple(v[1:] if i == short else v for i, v in enumerate(vectors))
            with pytest.raises(ValueError, match="vectors for"):
                build_backend(name, data.passages, *cut, exact_max=50_000, options=options)


def test_unknown_backend_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(IndexStoreError, match="unknown search backend 'elastic'; use one of faiss, milvus"):
        open_backend("elastic", tmp_path)
