"""The milvus backend when things go wrong: down, refused token, killed build, foreign collections.

Real Milvus Lite (embedded files and ``milvus-lite server`` processes) throughout; the one
scripted stand-in is a client that refuses the token, which Milvus Lite cannot be made to do
(it has no authentication).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from milvus_helpers import free_port, milvus_lite_server
from pymilvus import MilvusClient, MilvusException
from reliability_helpers import FakeEmbedder, copy_report, search_snapshot

import index.backends.milvus_build as milvus_build
import index.backends.milvus_collections as milvus_collections
from cli.main import cli
from corpus import ChunkerConfig
from index.backends import BackendOptions
from index.errors import BackendUnavailableError, StaleIndexError
from index.store import IndexConfig, build_index, check_index, current_build, ensure_index, load_index

TOKEN = "root:s3cret-token-value"


def _config(tmp_path: Path, uri: str, *, name: str = "index", prefix: str = "faults", **kw: object) -> IndexConfig:
    corpus = tmp_path / "corpus"
    if not corpus.is_dir():
        copy_report(corpus)
    return IndexConfig(
        corpus_dir=corpus, index_dir=tmp_path / name, cache_dir=tmp_path / "cache", model="test", backend="milvus",
        options=BackendOptions(milvus_uri=uri, milvus_token=TOKEN, milvus_prefix=prefix), **kw,  # type: ignore[arg-type]
    )


def _collections(uri: str, prefix: str) -> set[str]:
    client = MilvusClient(uri)
    return {name for name in client.list_collections() if name.startswith(prefix + "_")}


def test_a_server_that_is_down_gives_one_line_and_no_rebuild(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    with milvus_lite_server(tmp_path / "server") as uri:
        config = _config(tmp_path, uri)
        build_index(config, embedder)
        before = current_build(config.index_dir)
        assert load_index(config, embedder).backend.describe()["backend"] == "milvus"
    # The server is gone: serving refuses, names the server, and builds nothing in its place.
    with pytest.raises(BackendUnavailableError) as caught:
        ensure_index(config, embedder)
    message = str(caught.value)
    assert message.startswith(f"cannot use Milvus at {uri}") and "REPORT_QA_MILVUS_URI" in message
    assert "\n" not in message and TOKEN not in message
    assert current_build(config.index_dir) == before


class CountingEmbedder(FakeEmbedder):
    """Counts the texts it embeds."""

    embedded = 0

    def encode_documents(self, texts: list[str], batch_size: int = 32, *, show_progress: bool = False) -> Any:
        self.embedded += len(texts)
        return super().encode_documents(texts, batch_size, show_progress=show_progress)


def test_a_down_server_is_reported_before_anything_is_read_or_embedded(tmp_path: Path) -> None:
    config = _config(tmp_path, f"http://127.0.0.1:{free_port()}")
    embedder = CountingEmbedder()
    with pytest.raises(BackendUnavailableError, match="cannot use Milvus"):
        build_index(config, embedder)
    assert embedder.embedded == 0
    assert not (config.index_dir / "docs").exists()  # no document part was even read


def test_cli_reports_an_unreachable_milvus_in_one_line(tmp_path: Path, model_cache: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kisa.md").write_text("# Kısa\n\nMilvus kapalıyken dizin kurulamaz; bu tek satırla söylenir.\n", "utf-8")
    env = {
        "REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(tmp_path / "index"),
        "REPORT_QA_CORPUS_DIR": str(corpus),
        "REPORT_QA_BACKEND": "milvus", "REPORT_QA_MILVUS_URI": uri, "REPORT_QA_MILVUS_TOKEN": TOKEN,
        "HF_HUB_OFFLINE": "1",
    }
    result = CliRunner().invoke(cli, ["index", "--json"], env=env)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if "Milvus" in line]
    assert lines == [lines[0]] and lines[0].startswith(f"Error: cannot use Milvus at {uri}")
    assert "Traceback" not in result.output and TOKEN not in result.output
    assert current_build(tmp_path / "index") is None


class _RefusingClient:
    """What pymilvus raises when a Milvus with authentication refuses the credentials."""

    def __init__(self, uri: str, token: str = "", timeout: float | None = None) -> None:
        raise MilvusException(code=1800, message=f"auth check failure, please check username and password ({token})")


def test_a_refused_token_gives_one_line_without_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(milvus_collections, "MilvusClient", _RefusingClient)
    config = _config(tmp_path, "http://user:pw@milvus.example:19530")
    with caplog.at_level(logging.DEBUG), pytest.raises(BackendUnavailableError) as caught:
        ensure_index(config, FakeEmbedder())
    message = str(caught.value)
    assert message.startswith("Milvus at http://milvus.example:19530 refused the credentials")
    assert "REPORT_QA_MILVUS_TOKEN" in message and "\n" not in message
    assert TOKEN not in message and "pw@" not in message and TOKEN not in caplog.text
    assert current_build(config.index_dir) is None


def test_a_build_killed_halfway_is_never_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = str(tmp_path / "lite.db")
    config = _config(tmp_path, uri)
    embedder = FakeEmbedder()
    build_index(config, embedder)
    first = load_index(config, embedder)
    snapshot = search_snapshot(first, embedder)
    complete = _collections(uri, "faults")

    real_insert = milvus_build.insert_entities

    def dies_on_sentences(client: MilvusClient, name: str, entities: object) -> None:
        if name.endswith("_s"):
            raise KeyboardInterrupt  # killed with the passages written and the sentences not
        real_insert(client, name, entities)  # type: ignore[arg-type]

    monkeypatch.setattr(milvus_build, "insert_entities", dies_on_sentences)
    with pytest.raises(KeyboardInterrupt):
        build_index(config, embedder, reuse=False)  # a full build (an update is tested in test_milvus_update)
    half = _collections(uri, "faults") - complete
    assert len(half) == 2  # the new passages collection, filled, and the empty sentences one
    again = load_index(config, embedder)
    assert again.path == first.path and search_snapshot(again, embedder) == snapshot
    served = json.loads((again.path / "milvus.json").read_text())
    assert not half & {served["passages"], served["sentences"]}

    monkeypatch.setattr(milvus_build, "insert_entities", real_insert)
    build_index(config, embedder)
    left = _collections(uri, "faults")
    assert not half & left  # the next build drops what the killed one left
    assert search_snapshot(load_index(config, embedder), embedder) == snapshot


def test_a_collection_from_another_chunker_is_rebuilt(tmp_path: Path) -> None:
    uri = str(tmp_path / "lite.db")
    config = _config(tmp_path, uri)
    embedder = FakeEmbedder()
    build_index(config, embedder)
    other = replace(config, chunker=ChunkerConfig(target_words=90, min_words=30, max_words=140))
    assert check_index(other, embedder) == "index was built with another chunker setting"
    with pytest.raises(StaleIndexError):
        load_index(other, embedder)
    rebuilt = ensure_index(other, embedder)
    assert rebuilt.manifest["chunker"] == other.chunker.to_dict()
    assert check_index(other, embedder) is None


def test_a_collection_replaced_by_another_build_is_detected_and_rebuilt(tmp_path: Path) -> None:
    """Two machines sharing a Milvus and a prefix: the second's build takes the aliases."""
    uri = str(tmp_path / "lite.db")
    mine, theirs = _config(tmp_path, uri, name="mine"), _config(tmp_path, uri, name="theirs")
    embedder = FakeEmbedder()
    build_index(mine, embedder)
    build_index(theirs, FakeEmbedder(fingerprint="v2"))
    with pytest.raises(StaleIndexError, match="alias faults_passages now names another build"):
        load_index(mine, embedder)
    rebuilt = ensure_index(mine, embedder)
    assert rebuilt.manifest["model"]["fingerprint"] == "v1"


def test_an_index_built_on_another_milvus_is_rebuilt(tmp_path: Path) -> None:
    config = _config(tmp_path, str(tmp_path / "one.db"))
    embedder = FakeEmbedder()
    build_index(config, embedder)
    moved = replace(config, options=replace(config.options, milvus_uri=str(tmp_path / "two.db")))
    with pytest.raises(StaleIndexError, match="built on another Milvus"):
        load_index(moved, embedder)
    assert ensure_index(moved, embedder).backend.describe()["location"].startswith(str(tmp_path / "two.db"))


def test_the_token_is_never_recorded(tmp_path: Path) -> None:
    config = _config(tmp_path, str(tmp_path / "lite.db"))
    build_index(config, FakeEmbedder())
    build = current_build(config.index_dir)
    assert build is not None
    for path in build.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8", errors="replace")
    assert "milvus_token" not in repr(config.options)
    assert json.loads((build / "milvus.json").read_text())["uri"] == config.options.milvus_uri
