"""index.atomic: targets appear whole or not at all, and concurrent builders build once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from index import atomic


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p != path)


def test_staged_file_appears_only_when_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "encoder.onnx"
    with atomic.staged(target) as tmp:
        assert tmp.parent == target.parent and tmp.suffix == ".onnx" and tmp.name.startswith(".encoder.onnx.tmp-")
        tmp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"
    assert _siblings(target) == []


def test_staged_leaves_the_target_untouched_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="half-way"), atomic.staged(target) as tmp:
        tmp.mkdir()
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("half-way")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert _siblings(target) == []


def test_staged_replaces_a_folder_and_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    with atomic.staged(folder) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in folder.iterdir()] == ["new.txt"]

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = tmp_path / "current"
    link.symlink_to("a")
    with atomic.staged(link) as tmp:
        tmp.symlink_to("b")
    assert link.is_symlink() and link.resolve() == tmp_path / "b"
    assert (tmp_path / "a").is_dir()  # a link is swapped, never followed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "current", "model"]


def test_remove_leftovers_clears_only_the_targets_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "current"
    for name in (".current.tmp-1-dead", ".current.old-beef", ".other.tmp-1-dead", "current"):
        (tmp_path / name).mkdir()
    atomic.remove_leftovers(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-1-dead", "current"]


def test_build_once_skips_a_finished_target(tmp_path: Path) -> None:
    target = tmp_path / "done.txt"
    target.write_text("done")
    with atomic.build_once(target, lock_file=tmp_path / ".lock", timeout=5, done=Path.is_file) as tmp:
        assert tmp is None
    assert target.read_text() == "done"


def test_concurrent_callers_build_once(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    (tmp_path / ".model.bin.tmp-1-dead").write_text("left by a killed builder")
    builders: list[str] = []
    start = threading.Barrier(4)

    def build() -> None:
        start.wait()
        with atomic.build_once(target, lock_file=tmp_path / ".lock", timeout=30, done=Path.is_file) as tmp:
            if tmp is not None:
                builders.append(threading.current_thread().name)
                time.sleep(0.3)  # the others reach the lock meanwhile
                tmp.write_text("built")

    threads = [threading.Thread(target=build, name=f"t{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(builders) == 1
    assert target.read_text() == "built"
    assert _siblings(target) == [".lock"]


def test_build_once_gives_up_after_the_timeout(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    with (
        atomic.exclusive(tmp_path / ".lock", timeout=5),
        pytest.raises(atomic.LockTimeout),
        atomic.build_once(target, lock_file=tmp_path / ".lock", timeout=0.2, done=Path.is_file),
    ):
        pass
    assert not target.exists()
