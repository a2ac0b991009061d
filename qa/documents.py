"""The document library behind the web chat's Documents tab: safe upload names, upload checks,
adding and removing files, and the engine reloaded on the incrementally updated index.

Uploaded files live only in ``settings.uploads_dir`` (default ``<cache_dir>/uploads``), never in
the bundled report's folder. The first upload seeds that folder with a copy of the configured
corpus, and from then on it *is* the chat's corpus, so the report stays answerable next to the
uploads. Only new, changed or removed files are re-read and embedded (``index.store`` reuses
every unchanged document's passages and vectors).
"""

from __future__ import annotations

import logging
import re
import shutil
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from corpus.errors import ReportQAError
from corpus.loader import corpus_entries
from corpus.readers import registered_suffixes
from corpus.reasons import Reason
from index.manifest import read_manifest
from index.store import current_build, ensure_index
from qa.answerers import make_answerer
from qa.engine import Engine
from qa.retrieval import Retriever
from qa.settings import Settings

log = logging.getLogger(__name__)

# Characters no file system or shell should see in a stored name; control characters are dropped too.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_NAME_CHARS = 120


class UploadError(ReportQAError):
    """An upload the user can fix; ``code`` names the problem (``upload_type``, ``upload_size``, ...)."""


@dataclass(frozen=True)
class DocumentRow:
    """One line of the Documents tab: an indexed document, or a skipped file with the reason."""

    name: str
    title: str
    type: str
    pages: int | None
    passages: int | None
    status: str  # "indexed" or "skipped"
    reason: str = ""  # why it was skipped, in English
    cause: Reason | None = None  # the same, in any interface language (None: recorded without a code)

    def reason_text(self, lang: str) -> str:
        """Why the file was skipped, in ``lang`` when the reason has a code."""
        return self.cause.text(lang) if self.cause is not None else self.reason


def uploads_dir(settings: Settings) -> Path:
    """The folder the web chat keeps uploaded documents in."""
    return (settings.uploads_dir or settings.cache_dir / "uploads").expanduser().resolve()


def safe_name(name: str) -> str:
    """``name`` as a file name that stays inside its folder: no folders, no ``..``, no control or
    reserved characters, at most MAX_NAME_CHARS characters; letters of any script are kept (NFC).

    Raises:
        UploadError: nothing usable is left (code ``upload_name``).
    """
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    cleaned = " ".join(_UNSAFE.sub(" ", base).split()).lstrip(". ").rstrip(". ")
    stem, suffix = PurePosixPath(cleaned).stem, PurePosixPath(cleaned).suffix
    cleaned = stem[: MAX_NAME_CHARS - len(suffix)].rstrip(". ") + suffix
    if not PurePosixPath(cleaned).stem or cleaned in (".", ".."):
        raise UploadError(f"file name {name!r} has no usable characters: rename the file", code="upload_name")
    return cleaned


def check_upload(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file whose type no reader takes, that is empty, or that is over ``max_bytes``.

    Raises:
        UploadError: code ``upload_type``, ``upload_empty`` or ``upload_size``.
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in registered_suffixes():
        raise UploadError(
            f"{name}: unknown file type ({suffix or 'no extension'}); only {', '.join(registered_suffixes())} are read",
            code="upload_type",
        )
    if size == 0:
        raise UploadError(f"{name}: empty file (0 bytes)", code="upload_empty")
    if size > max_bytes:
        raise UploadError(
            f"{name}: {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit (setting max_file_mb)",
            code="upload_size",
        )


def reloaded(engine: Engine, settings: Settings) -> Engine:
    """``engine`` over ``settings``'s corpus, its index brought up to date incrementally (same model)."""
    index = ensure_index(settings.index_config(), engine.embedder)
    retriever = Retriever(index, engine.embedder, settings)
    return replace(engine, settings=settings, index=index, retriever=retriever,
                   answerer=make_answerer(settings.effective_answerer, retriever, settings))


def library_engine(engine: Engine) -> Engine:
    """``engine`` on the uploads folder when earlier uploads are there, else ``engine`` itself."""
    folder = uploads_dir(engine.settings)
    if engine.settings.index_config().corpus_dir == folder or not _has_files(folder):
        return engine
    log.info("answering from the uploaded documents in %s", folder)
    return reloaded(engine, _on_uploads(engine.settings))


def add_files(engine: Engine, files: list[tuple[Path, str]]) -> tuple[Engine, list[str]]:
    """Copy ``(path, original name)`` files into the uploads folder and index them.

    Returns the updated engine and the stored names. Each file is checked before anything is
    copied, so a refused file leaves the library as it was.

    Raises:
        UploadError: a file fails :func:`check_upload`, or one of that name is already there (``upload_exists``).
    """
    settings = engine.settings
    folder = uploads_dir(settings)
    max_bytes = int(settings.max_file_mb * 2**20)
    names: list[str] = []
    for path, original in files:
        name = safe_name(original)
        check_upload(name, path.stat().st_size, max_bytes)
        if (folder / name).exists() or name in names:
            raise UploadError(f"{name}: a document of that name is already there; remove it first",
                              code="upload_exists")
        names.append(name)
    _seed(settings, folder)
    for (path, _), name in zip(files, names, strict=True):
        partial = folder / f".{name}.part"
        try:
            shutil.copyfile(path, partial)
            partial.replace(folder / name)  # whole or not at all, never half a file in the corpus
        finally:
            partial.unlink(missing_ok=True)
    return reloaded(engine, _on_uploads(settings)), names


def remove_file(engine: Engine, name: str) -> Engine:
    """Delete the document ``name`` (its path in the corpus) from the uploads folder and the index.

    Raises:
        UploadError: no such document in the library (``upload_unknown``).
    """
    folder = uploads_dir(engine.settings)
    _seed(engine.settings, folder)
    target = (folder / name).resolve()
    if folder not in target.parents or not target.is_file():
        raise UploadError(f"no document named {name!r} in {folder}", code="upload_unknown")
    target.unlink()
    return reloaded(engine, _on_uploads(engine.settings))


def document_rows(engine: Engine) -> list[DocumentRow]:
    """The documents of ``engine``'s current index build, then the skipped files with their reasons."""
    build = current_build(engine.settings.index_config().index_dir)
    manifest: dict[str, Any] = read_manifest(build) if build is not None else {}
    rows = [
        DocumentRow(d["name"], d.get("title") or "", d.get("type") or "", d.get("pages"), d.get("passages"),
                    "indexed")
        for d in manifest.get("documents", [])
    ]
    rows += [DocumentRow(s["path"], "", "", None, None, "skipped", s["reason"], Reason.from_json(s.get("cause")))
             for s in manifest.get("skipped", [])]
    return rows


def _on_uploads(settings: Settings) -> Settings:
    return settings.model_copy(update={"corpus_dir": uploads_dir(settings)})


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() and not p.name.startswith(".") for p in folder.rglob("*"))


def _seed(settings: Settings, folder: Path) -> None:
    """Start the uploads folder with a copy of the configured corpus, once (the source is only read)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = settings.index_config().corpus_dir
    if source == folder or _has_files(folder):
        return
    for path, rel, _ in corpus_entries(source):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, folder / rel)
