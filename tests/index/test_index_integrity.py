"""Index integrity: killed builds, damaged files, indexes from another setup, concurrent builds.

Most tests use ``FakeEmbedder`` (hashed words, no model): what is checked here is the store's
bookkeeping, which is the same for any embedder, and they run in seconds. The tests marked
"real CLI" run ``python -m qa index`` with the real model in subprocesses.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import signal
import subprocess
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from reliability_helpers import (
    PYTHON,
    REPO,
    TESTS,
    FakeEmbedder,
    copy_report,
    real_index_dir,
    search_snapshot,
    subprocess_env,
)

import index.store as store
from corpus import ChunkerConfig
from index.store import (
    CorruptIndexError,
    IndexConfig,
    StaleIndexError,
    build_index,
    check_index,
    current_build,
    ensure_index,
    load_index,
)

EXTRA_DOC = textwrap.dedent("""\
    # Ek Belge

    Bu ek belge, yalnızca yeniden oluşturulan dizini öncekinden ayırmak için vardır. Kırgızistan ve
    Özbekistan arasında 2030 yılında imzalanan kurgusal bir su anlaşmasını anlatır.
    """)


def _config(corpus: Path, index_dir: Path, **kw) -> IndexConfig:
    return IndexConfig(corpus_dir=corpus, index_dir=index_dir, cache_dir=index_dir.parent / "cache",
                       model="test", **kw)


@pytest.fixture
def built(tmp_path: Path) -> SimpleNamespace:
    """A fake-embedder index of the bundled report, and its search results."""
    corpus = copy_report(tmp_path / "corpus")
    config = _config(corpus, tmp_path / "index")
    embedder = FakeEmbedder()
    build_index(config, embedder)
    index = load_index(config, embedder)
    return SimpleNamespace(config=config, embedder=embedder, path=index.path, snapshot=search_snapshot(index, embedder))


def _assert_clean(index_dir: Path) -> None:
    """One build, no temporary folders or symlinks left behind."""
    builds = sorted(p.name for p in (index_dir / "builds").iterdir())
    assert len(builds) == 1 and not builds[0].startswith("."), builds
    assert not list(index_dir.glob(".current-*"))
    assert current_build(index_dir) == index_dir / "builds" / builds[0]


# --- damaged files --------------------------------------------------------------------------------


def _flip_byte(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _forge_manifest(build: Path, change) -> None:
    """Rewrite the manifest *and* its checksum, as a careless tool (or an attacker) would."""
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    raw = json.dumps(manifest).encode()
    (build / "manifest.json").write_bytes(raw)
    (build / "manifest.sha256").write_text(hashlib.sha256(raw).hexdigest())


def _drop_passage(build: Path) -> None:
    lines = (build / "passages.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (build / "passages.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")

    def fix(manifest):
        manifest["files"]["passages.jsonl"] = hashlib.sha256((build / "passages.jsonl").read_bytes()).hexdigest()

    _forge_manifest(build, fix)


DAMAGE = {
    "truncated passages.faiss": (lambda b: _truncate(b / "passages.faiss"), "damaged"),
    "corrupted sentences.faiss": (lambda b: _flip_byte(b / "sentences.faiss"), "damaged"),
    "empty passages.jsonl": (lambda b: (b / "passages.jsonl").write_bytes(b""), "damaged"),
    "corrupted bm25 file": (lambda b: _flip_byte(sorted((b / "bm25").iterdir())[0], 0.9), "damaged"),
    "deleted centroid.npy": (lambda b: (b / "centroid.npy").unlink(), "missing"),
    "pickle in centroid.npy": (
        lambda b: np.save(b / "centroid.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True), "damaged"
    ),
    "edited manifest": (
        lambda b: (b / "manifest.json").write_text(
            (b / "manifest.json").read_text(encoding="utf-8").replace("hashed-words", "other-model"),
            encoding="utf-8"),
        "checksum",
    ),
    "truncated manifest": (lambda b: _truncate(b / "manifest.json"), "checksum"),
    "deleted manifest checksum": (lambda b: (b / "manifest.sha256").unlink(), "manifest missing"),
    "deleted build folder": (lambda b: shutil.rmtree(b), "no index"),
    "forged manifest without a file": (
        lambda b: _forge_manifest(b, lambda m: m["files"].pop("passages.faiss")), "does not cover"
    ),
    "forged manifest naming a file outside": (
        lambda b: _forge_manifest(b, lambda m: m["files"].update({"../../corpus/x.txt": "0" * 64})), "outside"
    ),
    "forged checksums over a dropped passage": (_drop_passage, "vector counts"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_detected_and_rebuilt(built, damage, caplog):
    harm, expected = DAMAGE[damage]
    harm(built.path)
    with pytest.raises(CorruptIndexError, match=expected):
        load_index(built.config, built.embedder)
    if expected != "vector counts":  # forged consistently: only loading can tell
        reason = check_index(built.config, built.embedder)
        assert reason is not None and expected in reason
    with caplog.at_level(logging.WARNING, logger="index.store"):
        rebuilt = ensure_index(built.config, built.embedder)
    assert "rebuilding the index" in caplog.text and expected in caplog.text
    assert search_snapshot(rebuilt, built.embedder) == built.snapshot  # same answers as before the damage
    assert check_index(built.config, built.embedder) is None
    _assert_clean(built.config.index_dir)


def test_cli_index_rebuilds_a_damaged_index(built, monkeypatch, isolated_home):
    """`report-qa index` (no --force) checks file checksums, not only the manifest."""
    import index.embedding
    from cli.main import cli

    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: built.embedder)
    args = ["index", "--corpus", str(built.config.corpus_dir), "--index-dir", str(built.config.index_dir)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and "up to date" in result.stdout
    _flip_byte(built.path / "passages.faiss")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "index: building (index file damaged (checksum mismatch)" in result.stderr
    assert "Indexed 1 document(s)" in result.stdout
    assert search_snapshot(load_index(built.config, built.embedder), built.embedder) == built.snapshot


# --- an index from another setup -------------------------------------------------------------------


def _edit_report(config: IndexConfig) -> None:
    path = next(config.corpus_dir.glob("*.txt"))
    path.write_text(path.read_text(encoding="utf-8") + "\n\nEK PARAGRAF\n\nYeni bir paragraf.\n", encoding="utf-8")


OTHER_SETUPS = {
    "another model": (lambda c, e: (c, FakeEmbedder(model_id="test/other-model")), "another embedding model"),
    "changed model weights": (lambda c, e: (c, FakeEmbedder(fingerprint="v2")), "another embedding model"),
    "another chunker setting": (
        lambda c, e: (replace(c, chunker=ChunkerConfig(target_words=120)), e), "another chunker setting"
    ),
    "an edited document": (lambda c, e: (_edit_report(c), (c, e))[1], "another corpus"),
    "an added document": (
        lambda c, e: ((c.corpus_dir / "ek.md").write_text(EXTRA_DOC, encoding="utf-8"), (c, e))[1], "another corpus"
    ),
    "a renamed document": (
        lambda c, e: (next(c.corpus_dir.glob("*.txt")).rename(c.corpus_dir / "renamed.txt"), (c, e))[1],
        "another corpus",
    ),
    "another corpus folder": (
        lambda c, e: (replace(c, corpus_dir=c.corpus_dir.parent / "other"), e), "another corpus"
    ),
}


@pytest.mark.parametrize("setup", list(OTHER_SETUPS))
def test_index_from_another_setup_is_never_used(built, setup, caplog):
    if setup == "another corpus folder":
        (built.config.corpus_dir.parent / "other").mkdir()
        (built.config.corpus_dir.parent / "other" / "ek.md").write_text(EXTRA_DOC, encoding="utf-8")
    change, expected = OTHER_SETUPS[setup]
    config, embedder = change(built.config, built.embedder)
    reason = check_index(config, embedder)
    assert reason is not None and expected in reason
    with pytest.raises(StaleIndexError, match=expected):
        load_index(config, embedder)
    with caplog.at_level(logging.WARNING, logger="index.store"):
        rebuilt = ensure_index(config, embedder)
    assert expected in caplog.text
    assert rebuilt.manifest["model"] == {"model_id": embedder.model_id, "fingerprint": embedder.fingerprint}
    assert rebuilt.manifest["chunker"] == config.chunker.to_dict()
    assert check_index(config, embedder) is None
    if (config, embedder) != (built.config, built.embedder):  # the old setup is now the stale one
        assert check_index(built.config, built.embedder) is not None


def test_an_index_of_the_previous_format_is_named_as_such_not_as_damaged(built):
    """An index from before sentence windows (format 2, no windows.faiss) is stale, not damaged."""
    from index import manifest

    def older(m):
        m["format_version"] = manifest.FORMAT_VERSION - 1
        m["files"].pop("windows.faiss")

    _forge_manifest(built.path, older)
    assert "another index format" in check_index(built.config, built.embedder)
    assert ensure_index(built.config, built.embedder).manifest["format_version"] == manifest.FORMAT_VERSION


def test_another_index_format_is_rebuilt(built, monkeypatch):
    from index import manifest

    monkeypatch.setattr(manifest, "FORMAT_VERSION", manifest.FORMAT_VERSION + 1)
    assert "another index format" in check_index(built.config, built.embedder)
    assert ensure_index(built.config, built.embedder).manifest["format_version"] == manifest.FORMAT_VERSION


def test_a_cached_part_without_window_vectors_is_embedded_again(built):
    """A part stored before sentence windows existed (format 2) is remade, never read half or crashed on."""
    from index.doc_cache import PARTS, load_part
    from index.manifest import sha256_file

    [folder] = (built.config.index_dir / PARTS).iterdir()
    with np.load(folder / "vectors.npz", allow_pickle=False) as data:
        old = {key: data[key] for key in ("passages", "sentences")}
    np.savez(folder / "vectors.npz", **old)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["files"]["vectors.npz"] = sha256_file(folder / "vectors.npz")
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    assert load_part(built.config.index_dir, folder.name) is None

    report = build_index(built.config, built.embedder)
    assert report.updated == [meta["name"]] and report.unchanged == 0  # read and embedded again
    part = load_part(built.config.index_dir, folder.name)
    assert part is not None and len(part.window_vectors) == len(part.sentence_vectors) == report.sentences
    assert search_snapshot(load_index(built.config, built.embedder), built.embedder) == built.snapshot


def test_same_documents_in_another_folder_reuse_the_index(built, tmp_path):
    """The corpus is identified by its documents' names and bytes, not by where it lives."""
    moved = replace(built.config, corpus_dir=copy_report(tmp_path / "elsewhere"))
    assert check_index(moved, built.embedder) is None


def test_vectors_of_another_dimension_are_refused(built):
    """A model whose id and files look the same but whose vectors differ in size is caught on load."""
    with pytest.raises(CorruptIndexError, match="dimension"):
        load_index(built.config, FakeEmbedder(dimension=32))


# --- killed builds (injected SIGKILL, fake embedder) ----------------------------------------------

# A child process builds a *different* corpus into the same index folder and SIGKILLs itself at
# one point of the build: (target, attribute, call number, before or after the call, swapped?).
KILL_POINTS = {
    "reading a document": ("update", "read_document", 1, "before", False),
    "chunking": ("update", "chunk_document", 1, "after", False),
    "embedding": ("embedder", "encode_documents", 1, "after", False),
    # the report's part is stored by the first build: only the new document is embedded and saved
    "after saving the new document's part": ("update", "save_part", 1, "after", False),
    "after the first FAISS file": ("faiss_backend", "save_vector_index", 1, "after", False),
    "after the second FAISS file": ("faiss_backend", "save_vector_index", 2, "after", False),
    "after the centroid": ("numpy", "save", 1, "after", False),
    "after BM25": ("BM25Index", "save", 1, "after", False),
    "after fsync, before the rename": ("store", "_fsync_tree", 1, "after", False),
    "after the rename, before the symlink": ("store", "_point_current", 1, "before", False),
    "symlink made, not yet swapped": ("os", "replace", 1, "before", False),
    "just after the swap": ("os", "replace", 1, "after", True),
    "while removing the old build": ("shutil", "rmtree", 1, "after", True),
}

# What a SIGKILL at these points leaves behind for the next build to clear.
LEFTOVERS = {
    "after fsync, before the rename": "builds/.*.tmp-*",
    "symlink made, not yet swapped": ".current.tmp-*",
}

CHILD = textwrap.dedent("""\
    import os, signal, sys
    from pathlib import Path
    sys.path[:0] = [{repo!r}, {tests!r}]
    import numpy, shutil
    import index.store as store
    import index.update as update
    from index.backends import faiss_backend
    from index.bm25 import BM25Index
    from reliability_helpers import FakeEmbedder

    target, name, nth, when = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    embedder = FakeEmbedder()
    owner = {{"store": store, "update": update, "faiss_backend": faiss_backend, "embedder": embedder,
             "numpy": numpy, "os": os, "shutil": shutil, "BM25Index": BM25Index}}[target]
    original = getattr(owner, name)
    calls = []

    def wrapper(*args, **kwargs):
        if name == "replace" and not str(args[1]).endswith("current"):
            return original(*args, **kwargs)
        calls.append(1)
        if len(calls) == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if len(calls) == nth and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)
    config = store.IndexConfig(corpus_dir=Path(sys.argv[5]), index_dir=Path(sys.argv[6]),
                               cache_dir=Path(sys.argv[6]).parent / "cache", model="test")
    store.build_index(config, embedder)
    print("finished without being killed")
    """)


@pytest.fixture
def other_corpus(built, tmp_path) -> SimpleNamespace:
    """A second corpus (the report plus one document) and the results its index gives."""
    corpus = copy_report(tmp_path / "corpus2")
    (corpus / "ek.md").write_text(EXTRA_DOC, encoding="utf-8")
    config = _config(corpus, tmp_path / "reference-index")
    build_index(config, built.embedder)
    snapshot = search_snapshot(load_index(config, built.embedder), built.embedder)
    assert snapshot != built.snapshot
    return SimpleNamespace(config=replace(config, index_dir=built.config.index_dir), snapshot=snapshot)


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_build_leaves_a_working_index(built, other_corpus, point, tmp_path):
    target, name, nth, when, swapped = KILL_POINTS[point]
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(repo=str(REPO), tests=str(TESTS)), encoding="utf-8")
    args = [PYTHON, str(script), target, name, str(nth), when,
            str(other_corpus.config.corpus_dir), str(built.config.index_dir)]
    child = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    if point in LEFTOVERS:
        assert list(built.config.index_dir.glob(LEFTOVERS[point]))

    if swapped:  # the new index was complete before the swap: it is the one in use
        index = load_index(other_corpus.config, built.embedder)
        assert search_snapshot(index, built.embedder) == other_corpus.snapshot
    else:  # the previous index is untouched and answers exactly as before
        assert current_build(built.config.index_dir) == built.path
        assert check_index(built.config, built.embedder) is None
        index = load_index(built.config, built.embedder)
        assert search_snapshot(index, built.embedder) == built.snapshot
        assert "another corpus" in check_index(other_corpus.config, built.embedder)

    # The next build clears whatever the killed one left and succeeds.
    build_index(other_corpus.config, built.embedder)
    _assert_clean(built.config.index_dir)
    assert search_snapshot(load_index(other_corpus.config, built.embedder), built.embedder) == other_corpus.snapshot


# --- concurrent builds (fake embedder) --------------------------------------------------------------

BUILDER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    sys.path[:0] = [{repo!r}, {tests!r}]
    import index.store as store
    import index.update as update
    from reliability_helpers import FakeEmbedder

    config = store.IndexConfig(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]),
                               cache_dir=Path(sys.argv[2]).parent / "cache", model="test")
    for _ in range(int(sys.argv[3])):
        store.build_index(config, FakeEmbedder())
    """)


def test_concurrent_builds_and_readers_never_see_a_broken_index(built, tmp_path):
    """Three processes rebuild the same index again and again while this one keeps loading it."""
    script = tmp_path / "builder.py"
    script.write_text(BUILDER.format(repo=str(REPO), tests=str(TESTS)), encoding="utf-8")
    args = [PYTHON, str(script), str(built.config.corpus_dir), str(built.config.index_dir), "3"]
    children = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    loads = 0
    deadline = time.monotonic() + 120
    try:
        while any(c.poll() is None for c in children) and time.monotonic() < deadline:
            index = load_index(built.config, built.embedder)  # never raises: every swap is atomic
            assert index.backend.describe()["passages"] == len(index.passages) > 0
            assert index.backend.dense(index.backend.centroid, 1)
            loads += 1
    finally:
        outputs = [c.communicate(timeout=120) for c in children]
    assert [c.returncode for c in children] == [0, 0, 0], outputs
    assert loads > 0
    assert search_snapshot(load_index(built.config, built.embedder), built.embedder) == built.snapshot
    _assert_clean(built.config.index_dir)


def test_processes_starting_together_build_once(tmp_path, monkeypatch):
    """Two callers find no index at once: one builds, the other waits on the lock and only loads."""
    corpus = copy_report(tmp_path / "corpus")
    config = _config(corpus, tmp_path / "index")
    builds: list[str] = []
    building = threading.Event()
    original = store._build_locked

    def slow_build(*args, **kwargs):
        builds.append(threading.current_thread().name)
        building.set()
        time.sleep(1.5)  # the second caller fails its first load meanwhile and queues on the lock
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "_build_locked", slow_build)
    results = {}
    first = threading.Thread(target=lambda: results.update(first=ensure_index(config, FakeEmbedder())),
                             name="first")
    first.start()
    assert building.wait(timeout=60)
    results["second"] = ensure_index(config, FakeEmbedder())
    first.join(timeout=60)
    assert builds == ["first"]
    assert results["first"].path == results["second"].path


# --- real CLI subprocesses (real model) -------------------------------------------------------------


@pytest.fixture(scope="module")
def real_index(engine, settings_factory) -> SimpleNamespace:
    """A real-model index in its own folder (shared with the other reliability tests)."""
    config = settings_factory(index_dir=real_index_dir(engine, settings_factory)).index_config()
    index = load_index(config, engine.embedder)
    return SimpleNamespace(config=config, path=index.path, snapshot=search_snapshot(index, engine.embedder))


def _index_process(model_cache: Path, index_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "qa", "index", "--force", "--index-dir", str(index_dir), *extra],
        cwd=REPO, env=subprocess_env(model_cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize(("stage", "delay"), [("cleaning", 0.0), ("embedding", 0.5), ("writing index", 0.0)])
def test_real_cli_build_killed_with_sigkill(engine, model_cache, real_index, stage, delay):
    """`python -m qa index --force`, SIGKILLed at a stage it announces on stderr (real CLI)."""
    proc = _index_process(model_cache, real_index.config.index_dir)
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if line.startswith(f"index: {stage}"):
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any(line.startswith(f"index: {stage}") for line in seen), "".join(seen)
    # Killed, or (rarely, for the last stage) finished first: either way a complete, correct index.
    assert proc.returncode in (-signal.SIGKILL, 0), "".join(seen)
    if proc.returncode == -signal.SIGKILL:
        assert current_build(real_index.config.index_dir) == real_index.path
    assert check_index(real_index.config, engine.embedder) is None
    index = load_index(real_index.config, engine.embedder)
    assert search_snapshot(index, engine.embedder) == real_index.snapshot


def test_two_real_cli_builds_at_once(engine, model_cache, tmp_path, settings_factory):
    """Two `python -m qa index --force` on one fresh index folder: both finish, one clean index."""
    index_dir = tmp_path / "index"
    procs = [_index_process(model_cache, index_dir, "--json") for _ in range(2)]
    outputs = []
    try:
        outputs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert [json.loads(out)["status"] for out, _ in outputs] == ["built", "built"]
    config = settings_factory(index_dir=index_dir).index_config()
    assert check_index(config, engine.embedder) is None
    index = load_index(config, engine.embedder)
    assert len(index.passages) == len(engine.index.passages)
    _assert_clean(index_dir)
