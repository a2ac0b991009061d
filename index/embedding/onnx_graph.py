"""A BERT encoder written as an ONNX graph straight from ``model.safetensors`` (no torch).

The graph covers the encoder layers after the embedding sum; the embedding lookup itself
stays in numpy (``index.embedding.onnx_backend``), so the 250k-row word table is read lazily
from a memory map instead of living inside the graph.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TypedDict

import numpy as np
from numpy.typing import NDArray


class BertConfig(TypedDict, total=False):
    """The fields of a transformers ``config.json`` that the ONNX backend reads."""

    model_type: str
    position_embedding_type: str
    hidden_act: str
    hidden_size: int
    num_attention_heads: int
    num_hidden_layers: int
    layer_norm_eps: float
    max_position_embeddings: int
    pad_token_id: int


class _Module(TypedDict, total=False):
    type: str


class _Pooling(TypedDict, total=False):
    pooling_mode_mean_tokens: bool
    include_prompt: bool


def read_bert_config(folder: Path) -> BertConfig:
    """``folder/config.json``.

    Raises:
        OSError, ValueError: missing or not JSON.
    """
    config: BertConfig = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return config


def onnx_unsupported_reason(folder: Path | None, device: str) -> str | None:
    """Why the ONNX backend cannot run the model in ``folder`` on ``device`` (None when it can).

    It runs plain BERT with absolute positions, exact GELU and mean pooling over all tokens
    followed by normalisation (multilingual-e5-small is one), on the CPU.
    """
    if folder is None:
        return "not a local model folder"
    if device != "cpu":
        return f"device {device!r}"
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
        return "onnxruntime/onnx are not installed"
    try:
        config = read_bert_config(folder)
        modules: list[_Module] = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling: _Pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
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


def write_onnx_model(folder: Path, dest: Path, config: BertConfig, *, fused: bool = True) -> None:
    """Write the BERT encoder layers (after the embedding sum) of ``folder`` as an ONNX graph.

    Inputs: ``embeds`` [batch, tokens, hidden] (word + position + type embeddings, before the
    embedding LayerNorm) and, with ``fused`` (onnxruntime's com.microsoft operators), ``mask``
    [batch, tokens] int32 (1 for tokens, 0 for padding); without it, ``mask_bias``
    [batch, 1, 1, tokens] (0 for tokens, -1e4 for padding) and standard ONNX operators only.
    Output: ``hidden`` [batch, tokens, hidden], the last hidden state.
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

    def const(name: str, value: NDArray[np.float32] | NDArray[np.int64]) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, domain: str | None = None, **attrs: int | float | list[int]) -> str:
        made = helper.make_node(op, inputs, [out], name=out, domain=domain)
        made.attribute.extend(helper.make_attribute(key, value) for key, value in sorted(attrs.items()))
        nodes.append(made)
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
