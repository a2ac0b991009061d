"""The ONNX embedder: ``tokenizers`` + a memory-mapped embedding table + onnxruntime.

The encoder layers are written once into an ONNX graph under ``<cache_dir>/models/onnx/``
straight from ``model.safetensors`` (``index.embedding.onnx_graph``); the 250k x 384
word-embedding table is memory-mapped from the same file (only the rows a text uses are
ever read). Neither torch, transformers nor sentence-transformers is imported, which is most
of the cold start. The vectors equal sentence-transformers' (cosine > 0.99999), so fp32 ONNX
shares its fingerprint, and an index, with the torch backend.

``onnx-int8`` (dynamic int8 quantisation of the encoder's MatMuls) changes the vectors, so it
has its own fingerprint; it was measured and is not the default (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np
from numpy.typing import NDArray

from index.atomic import build_once
from index.embedding.base import EmbedderConfig, EmbedderDescription, Vectors
from index.embedding.models import folder_fingerprint
from index.embedding.onnx_graph import read_bert_config, write_onnx_model

log = logging.getLogger(__name__)

# Bump when the ONNX graph written by write_onnx_model changes.
ONNX_FORMAT = 2
# Rows per batch; documents are encoded longest first in batches of at most this many
# rows and _BATCH_TOKENS (padded) tokens.
BATCH_SIZE = 32
_BATCH_TOKENS = 4096
# The graph is written with onnxruntime's fused operators already; the extra rewrites of
# ORT_ENABLE_ALL cost session-creation time at every start and gained nothing measurable.
_ORT_OPTIMIZATION = "ORT_ENABLE_BASIC"
_LOCK_TIMEOUT_S = 600.0


class _SafetensorsEntry(TypedDict):
    dtype: str
    shape: list[int]
    data_offsets: list[int]


def _mmap_tensor(path: Path, name: str) -> NDArray[np.float32]:
    """A float32 tensor of a safetensors file, memory-mapped (read lazily, never copied)."""
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        entry: _SafetensorsEntry = json.loads(fh.read(size))[name]
    begin, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if entry["dtype"] == "F32" and end - begin == 4 * int(np.prod(shape)):
        return np.memmap(path, dtype="<f4", mode="r", offset=8 + size + begin, shape=shape)
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as tensors:
        return np.ascontiguousarray(tensors.get_tensor(name), dtype=np.float32)


def onnx_encoder_file(folder: Path, cache_dir: Path, fingerprint: str, *, quantized: bool) -> Path:
    """The ONNX encoder of the model in ``folder``, written on first use.

    Concurrent processes write it once (``index.atomic.build_once``); the int8 file is
    quantised from the fp32 one.
    """
    root = cache_dir / "models" / "onnx" / f"{fingerprint[:16]}-v{ONNX_FORMAT}"
    fp32 = root / "encoder.onnx"
    int8 = root / "encoder-int8.onnx"
    if quantized and int8.is_file():
        return int8
    with build_once(fp32, lock_file=root / ".lock", timeout=_LOCK_TIMEOUT_S, done=Path.is_file) as tmp:
        if tmp is not None:
            log.info("writing the ONNX encoder for %s into %s", folder, root)
            write_onnx_model(folder, tmp, read_bert_config(folder))
    if not quantized:
        return fp32
    with build_once(int8, lock_file=root / ".lock", timeout=_LOCK_TIMEOUT_S, done=Path.is_file) as tmp:
        if tmp is not None:
            from onnx import TensorProto
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(
                str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                extra_options={"DefaultTensorType": TensorProto.FLOAT},
            )
    return int8


class _Prompts(TypedDict, total=False):
    query: str
    document: str


class _StConfig(TypedDict, total=False):
    max_seq_length: int
    prompts: _Prompts


class OnnxEmbedder:
    """Tokenise with ``tokenizers``, embed from the memory-mapped table, encode with onnxruntime.

    Build it with :func:`index.embedding.load_embedder`; ``folder`` must pass
    :func:`index.embedding.onnx_graph.onnx_unsupported_reason`.
    """

    def __init__(self, model_id: str, folder: Path, config: EmbedderConfig, *, quantized: bool) -> None:
        import onnxruntime as ort
        from safetensors import safe_open
        from tokenizers import Tokenizer

        base = folder_fingerprint(folder)
        self.model_id = model_id
        self.backend = "onnx-int8" if quantized else "onnx"
        # fp32 ONNX gives the same vectors as torch: an index is shared between them.
        self.fingerprint = hashlib.sha256(f"{base}\0onnx-int8".encode()).hexdigest() if quantized else base
        bert = read_bert_config(folder)
        st_config: _StConfig = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        st_prompts: _StConfig = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        prompts = st_prompts.get("prompts", {})
        self._prompts = {"query": prompts.get("query", ""), "document": prompts.get("document", "")}
        self._max_tokens = min(int(st_config.get("max_seq_length", 512)), int(bert["max_position_embeddings"]))
        self.dimension = int(bert["hidden_size"])
        path = onnx_encoder_file(folder, config.cache_dir, base, quantized=quantized)

        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, _ORT_OPTIMIZATION)
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if config.threads is not None:
            options.intra_op_num_threads = config.threads
        # Spinning worker threads shave little off an idle machine and stall a busy one
        # (measured: docs/benchmarks.md).
        if not config.spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._fused = "mask" in {i.name for i in self._session.get_inputs()}

        weights = folder / "model.safetensors"
        self._words = _mmap_tensor(weights, "embeddings.word_embeddings.weight")
        with safe_open(str(weights), framework="numpy") as fh:
            positions = fh.get_tensor("embeddings.position_embeddings.weight").astype(np.float32)
            types = fh.get_tensor("embeddings.token_type_embeddings.weight").astype(np.float32)
        self._positions: NDArray[np.float32] = positions[: self._max_tokens] + types[0]  # token type is always 0
        self._pad_id = int(bert.get("pad_token_id", 0))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self._max_tokens)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "query")

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        return self._encode(texts, "document")

    def describe(self) -> EmbedderDescription:
        return {"model_id": self.model_id, "fingerprint": self.fingerprint, "dimension": self.dimension,
                "backend": self.backend}

    def _batches(self, ids: list[list[int]]) -> Iterator[list[int]]:
        """Row numbers, longest first, in batches bounded by count and padded tokens."""
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batch: list[int] = []
        for i in order:
            longest = len(ids[batch[0]]) if batch else len(ids[i])
            if batch and (len(batch) >= BATCH_SIZE or (len(batch) + 1) * longest > _BATCH_TOKENS):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _encode(self, texts: Sequence[str], kind: str) -> Vectors:
        prefix = self._prompts[kind]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids: list[list[int]] = [
            e.ids for e in self._tokenizer.encode_batch([prefix + t for t in texts], add_special_tokens=True)
        ]
        for rows in self._batches(ids):
            width = len(ids[rows[0]])
            token_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for j, row in enumerate(rows):
                token_ids[j, : len(ids[row])] = ids[row]
                mask[j, : len(ids[row])] = 1.0
            embeds = self._words[token_ids] + self._positions[None, :width]
            feeds: dict[str, NDArray[np.float32] | NDArray[np.int32]] = {"embeds": embeds.astype(np.float32)}
            if self._fused:
                feeds["mask"] = mask.astype(np.int32)
            else:
                feeds["mask_bias"] = ((1.0 - mask) * -10000.0)[:, None, None, :].astype(np.float32)
            (hidden,) = self._session.run(["hidden"], feeds)
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out[rows] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)
