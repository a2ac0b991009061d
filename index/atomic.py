"""Build under a lock into a temporary sibling, then rename into place: the one way files appear.

Three things are built this way: the rebuilt e5 model folder (``index.e5_model``), the ONNX
encoder (``index.embedding.onnx_backend``) and each index build with its ``current`` link
(``index.store``). A reader never sees a half-written target: the rename is atomic, and a
killed builder leaves only a temporary sibling that the next builder removes under the lock.
The lock is an OS file lock, released by the kernel when its holder dies.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

# Raised when the lock is not acquired in time (a TimeoutError, hence an OSError).
LockTimeout = Timeout
_TMP = ".tmp-"
_OLD = ".old-"


@contextmanager
def exclusive(lock_file: Path, timeout: float) -> Iterator[None]:
    """Hold the file lock ``lock_file`` (one holder across processes).

    Raises:
        LockTimeout: another process held it for more than ``timeout`` seconds.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_file), timeout=timeout):
        yield


def temporary_sibling(target: Path) -> Path:
    """A fresh name next to ``target`` that :func:`remove_leftovers` recognises.

    The suffix is kept (``encoder.onnx`` → ``.encoder.onnx.tmp-<pid>-<id>.onnx``): some
    writers pick the file format from it.
    """
    return target.parent / f".{target.name}{_TMP}{os.getpid()}-{uuid.uuid4().hex[:8]}{target.suffix}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def replace(source: Path, target: Path) -> None:
    """Rename ``source`` onto ``target``, atomically for a file or a link.

    An existing real directory cannot be renamed over, so it is first moved aside to a
    sibling and deleted after the rename: ``target`` is missing only between two renames.
    """
    if target.is_dir() and not target.is_symlink():
        trash = target.parent / f".{target.name}{_OLD}{uuid.uuid4().hex[:8]}"
        os.replace(target, trash)
        os.replace(source, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(source, target)


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``target`` to write; on success rename it onto ``target``.

    The caller creates the file, folder or link at the yielded path. When the block raises,
    whatever was written there is removed and ``target`` is untouched.
    """
    tmp = temporary_sibling(target)
    try:
        yield tmp
        replace(tmp, target)
    finally:
        if tmp.exists() or tmp.is_symlink():
            _remove(tmp)


def remove_leftovers(target: Path) -> None:
    """Delete the temporary siblings of ``target`` that killed builders left (hold the lock)."""
    for prefix in (f".{target.name}{_TMP}", f".{target.name}{_OLD}"):
        for stale in target.parent.glob(prefix + "*"):
            log.info("removing stale temporary %s", stale)
            _remove(stale)


@contextmanager
def build_once(target: Path, *, lock_file: Path, timeout: float, done: Callable[[Path], bool]) -> Iterator[Path | None]:
    """Build ``target`` unless it is ``done``; concurrent callers build it once.

    Yields None when ``done(target)`` holds (checked before and under the lock: another
    process may have finished meanwhile). Otherwise yields a temporary sibling, with the lock
    held and earlier leftovers removed, and renames it onto ``target`` when the block ends.

    Raises:
        LockTimeout: another process held the lock for more than ``timeout`` seconds.
    """
    if done(target):
        yield None
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(lock_file, timeout):
        if done(target):
            yield None
            return
        remove_leftovers(target)
        with staged(target) as tmp:
            yield tmp
