"""Per-document updates of a Milvus index: in place, searching as a fresh build would, never half served.

Real Milvus Lite throughout (an embedded file, and a ``milvus-lite server`` on loopback for
the network client path); the store decides between update and build as it does for users.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pymilvus import MilvusClient
from reliability_helpers import PROBE_QUESTIONS, FakeEmbedder, copy_report

import index.backends.milvus_build as milvus_build
from index.backends import BackendOptions, open_backend
from index.backends.milvus_backend import MilvusBackend
from index.errors import StaleIndexError
from index.store import IndexConfig, LoadedIndex, build_index, current_build, ensure_index, load_index
from qa.modes import RetrievalMode
from qa.retrieval import Retriever
from qa.settings import Settings

NOTE_A = """# Ortak istihbarat notu

1998 protokolü Azerbaycan, Kazakistan, Kırgızistan, Özbekistan ve Türkiye arasında istihbarat
paylaşımını düzenledi. Taraflar yıllık toplantılarda tehdit değerlendirmelerini paylaştı.

Türk Devletleri Teşkilatı bünyesinde ortak bir analiz merkezi kurulması önerildi.
"""
NOTE_A_CHANGED = NOTE_A.replace("ortak bir analiz merkezi", "ortak bir siber güvenlik merkezi")
NOTE_B = """# Azerbaijan briefing

Azerbaijan shares intelligence on regional threats with Turkey through a joint working group.
Baku hosted the group's first meeting, where liaison officers agreed on secure channels.
"""


def _config(tmp_path: Path, uri: str, prefix: str, *, name: str = "index", corpus: str = "corpus") -> IndexConfig:
    return IndexConfig(
        corpus_dir=tmp_path / corpus, index_dir=tmp_path / name, cache_dir=tmp_path / "cache", model="test",
        backend="milvus", options=BackendOptions(milvus_uri=uri, milvus_prefix=prefix),
    )


def _corpus(folder: Path, notes: dict[str, str]) -> None:
    if not folder.is_dir():
        copy_report(folder)
    for name in {p.name for p in folder.glob("*.md")} - set(notes):
        (folder / name).unlink()
    for name, text in notes.items():
        (folder / name).write_text(text, encoding="utf-8")


def _milvus(index: LoadedIndex) -> MilvusBackend:
    assert isinstance(index.backend, MilvusBackend)
    return index.backend


def _rankings(index: LoadedIndex) -> dict[str, Any]:
    """Every probe question's passages, best first, by each retriever (and the dense scores) and by
    each vector signal alone (sentences, windows: every passage's best score, searched over all of
    them so that ties at a cut-off cannot differ)."""
    embedder = FakeEmbedder()
    retriever = Retriever(index, embedder, Settings())
    out: dict[str, Any] = {}
    for question in (*PROBE_QUESTIONS, "Baku liaison officers", "siber güvenlik merkezi"):
        vector = retriever.embed(question).vector
        for signal in ("sentences", "windows"):
            scores = getattr(index.backend, signal)(vector, index.backend.describe()["sentences"])
            out[f"{signal}:{question}"] = {
                index.passages[row].chunk_id: pytest.approx(score, abs=1e-5) for row, score in scores.items()
            }
        for mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE, RetrievalMode.BM25):
            hits = retriever.search(retriever.embed(question), 8, mode)
            out[f"{mode}:{question}"] = [h.passage.chunk_id for h in hits]
            if mode == "dense":
                out[f"scores:{question}"] = [pytest.approx(h.score, abs=1e-5) for h in hits]
    return out


def _ids_of(index: LoadedIndex, doc: str) -> list[int]:
    backend = _milvus(index)
    return [backend.state.ids[row] for row, p in enumerate(index.passages) if p.doc == doc]


def _count(uri: str, collection: str, doc: str | None = None) -> int:
    where = f'doc == "{doc}"' if doc else ""
    rows = MilvusClient(uri).query(collection, filter=where, output_fields=["count(*)"], consistency_level="Strong")
    return int(rows[0]["count(*)"])


@pytest.fixture(params=["lite", "server"])
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "server":
        return str(request.getfixturevalue("milvus_server"))
    return str(tmp_path / "lite.db")


def test_documents_are_added_changed_and_removed_in_place(tmp_path: Path, uri: str) -> None:
    prefix = f"upd_{tmp_path.name[-12:].replace('-', '_')}"
    config = _config(tmp_path, uri, prefix)
    embedder = FakeEmbedder()
    _corpus(config.corpus_dir, {"a.md": NOTE_A})
    build_index(config, embedder)
    first = load_index(config, embedder)
    names = _milvus(first).state.names
    report = next(p.doc for p in first.passages if p.doc not in {"a.md", "b.md"})
    report_ids = _ids_of(first, report)

    _corpus(config.corpus_dir, {"a.md": NOTE_A_CHANGED, "b.md": NOTE_B})
    done = build_index(config, embedder)
    assert (done.added, done.updated, done.unchanged) == (["b.md"], ["a.md"], 1)
    second = load_index(config, embedder)
    assert _milvus(second).state.names == names  # the same collections, changed in place
    assert _ids_of(second, report) == report_ids  # the report's entities were not rewritten
    assert set(_ids_of(second, "a.md")).isdisjoint(_ids_of(first, "a.md"))
    assert _count(uri, names[0]) == len(second.passages)
    assert _count(uri, names[1]) == sum(len(p.sentences) for p in second.passages)  # each with its window
    assert any("siber güvenlik" in p.text for p in second.passages)

    # It searches as a build from scratch of the same corpus does, and as the faiss backend does.
    fresh = _config(tmp_path, uri, prefix + "_fresh", name="fresh")
    build_index(fresh, embedder, reuse=False)
    faiss = replace(fresh, backend="faiss", index_dir=tmp_path / "faiss")
    build_index(faiss, embedder)
    expected = _rankings(load_index(fresh, embedder))
    assert _rankings(second) == expected
    assert _rankings(load_index(faiss, embedder)) == expected

    _corpus(config.corpus_dir, {"a.md": NOTE_A_CHANGED})
    assert build_index(config, embedder).removed == ["b.md"]
    third = load_index(config, embedder)
    assert _milvus(third).state.names == names
    assert _count(uri, names[0], "b.md") == _count(uri, names[1], "b.md") == 0
    assert _count(uri, names[0]) == len(third.passages) == len(first.passages)
    assert not [p for p in third.passages if p.doc == "b.md"]


def test_an_update_killed_halfway_is_never_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = str(tmp_path / "lite.db")
    config = _config(tmp_path, uri, "killed")
    embedder = FakeEmbedder()
    _corpus(config.corpus_dir, {"a.md": NOTE_A})
    build_index(config, embedder)
    names = _milvus(load_index(config, embedder)).state.names

    def killed(*_args: object) -> None:
        raise KeyboardInterrupt  # new passages inserted, old ones not yet deleted

    monkeypatch.setattr(milvus_build, "delete_ids", killed)
    _corpus(config.corpus_dir, {"a.md": NOTE_A_CHANGED, "b.md": NOTE_B})
    with pytest.raises(KeyboardInterrupt):
        build_index(config, embedder)
    build = current_build(config.index_dir)
    assert build is not None
    with pytest.raises(StaleIndexError, match="unfinished update"):
        open_backend("milvus", build, config.options)  # the build the killed update started from

    monkeypatch.undo()
    served = ensure_index(config, embedder)  # what a restarted server does: builds anew
    assert _milvus(served).state.names != names
    fresh = _config(tmp_path, uri, "killed_fresh", name="fresh")
    build_index(fresh, embedder, reuse=False)
    assert _rankings(served) == _rankings(load_index(fresh, embedder))


@pytest.mark.parametrize("case", ["passage lengths move", "exact becomes approximate"])
def test_an_update_that_would_drift_from_a_build_builds_anew(tmp_path: Path, case: str) -> None:
    uri = str(tmp_path / "lite.db")
    config = _config(tmp_path, uri, "drift")
    embedder = FakeEmbedder()
    _corpus(config.corpus_dir, {"a.md": NOTE_A})
    first = load_or_build(config, embedder)
    if case == "exact becomes approximate":  # the sentences' index is exact until the long note comes
        config = replace(config, exact_max=_milvus(first).state.sentence_count + 5)
        first = load_or_build(config, embedder)
    names = _milvus(first).state.names
    long_note = "# Uzun ek\n\n" + "\n\n".join(
        " ".join(f"Paragraf {i} kelime{j} istihbarat paylaşımı." for j in range(60)) for i in range(40)
    )
    _corpus(config.corpus_dir, {"a.md": NOTE_A, "long.md": long_note})
    build_index(config, embedder)
    rebuilt = load_index(config, embedder)
    assert _milvus(rebuilt).state.names != names
    assert any(p.doc == "long.md" for p in rebuilt.passages)


def load_or_build(config: IndexConfig, embedder: FakeEmbedder) -> LoadedIndex:
    build_index(config, embedder)
    return load_index(config, embedder)
