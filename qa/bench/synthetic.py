"""Synthetic corpora for ``--scale``: new but realistic passages and vectors made from the report.

See docs/benchmarks.md, "How the scaling corpus is made":

* **Texts** (BM25): every synthetic passage starts from a random report passage (its
  section title and sentence count); each of its sentences is kept with probability
  ``1 - SWAP_P`` or swapped for a random sentence of the whole report, the order is
  shuffled with probability ``SHUFFLE_P``; then every number is replaced by a random
  number with as many digits and every capitalised word by a random name (with
  probability ``NAME_P``) from a pool of the report's own capitalised words and
  ``SYNTHETIC_NAMES`` generated Turkish-looking names. Tokens are produced word by word
  with ``index.analysis.analyze`` (the analyzer is word-local, so this equals analysing the
  whole text; the bench checks that on a sample).
* **Vectors** (FAISS): each synthetic vector is ``normalise(l*x_a + (1-l)*x_b + sigma*g)``
  where ``x_a``, ``x_b`` are two random real vectors (the report's passage and sentence
  vectors), ``l ~ U(0, 1)``, ``g ~ N(0, I_384)`` and ``sigma = VECTOR_SIGMA``; seed
  ``SEED``. ``sigma = 0.02`` makes the median cosine between a synthetic vector and its
  nearest real one (0.92) match that between real nearest neighbours (0.91). Isotropic
  noise gives every vector the full 384 intrinsic dimensions, which makes approximate
  search harder than on real embeddings: recall here is a pessimistic estimate.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from corpus import Passage

SEED = 20240611
VECTOR_SIGMA = 0.02
SWAP_P = 0.3
SHUFFLE_P = 0.5
NAME_P = 0.35
SYNTHETIC_NAMES = 20_000
_CHUNK = 100_000

_WORD_RE = re.compile(r"[^\W_]+(?:['’‘][^\W\d_]+)?")  # index.analysis's token pattern
_SYLLABLES = (
    "ka", "ra", "ba", "ay", "tur", "gül", "han", "er", "te", "kin", "os", "man", "al", "tay", "can", "mi",
    "yıl", "dız", "ha", "kan", "or", "hun", "se", "lim", "ak", "su", "to", "ğ", "ilk", "nur", "bek", "sar",
)


class SyntheticCorpus:
    """Generates new but realistic passages from the report's sentences (see the module doc)."""

    def __init__(self, passages: Sequence[Passage], seed: int = SEED) -> None:
        from index.analysis import analyze

        self._analyze = analyze
        self.rng = random.Random(seed)
        self.sections = [p.section for p in passages]
        self.passage_sentences: list[list[int]] = []
        # A sentence is a list of (separator, word) pieces; words may be substituted.
        self.templates: list[list[tuple[str, str]]] = []
        self.tails: list[str] = []
        names: set[str] = set()
        for p in passages:
            ids = []
            for s in p.sentences:
                ids.append(len(self.templates))
                pieces, tail = self._split(s.text)
                self.templates.append(pieces)
                self.tails.append(tail)
                names.update(w.split("’")[0].split("'")[0] for _, w in pieces[1:] if w[:1].isupper())
            self.passage_sentences.append(ids)
        self.all_sentences = list(range(len(self.templates)))
        rng = random.Random(seed + 1)
        generated: set[str] = set()
        while len(generated) < SYNTHETIC_NAMES:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            generated.add(word.capitalize())
        self.names = sorted(n for n in names if len(n) > 1) + sorted(generated)
        self._token_cache: dict[str, list[str]] = {}
        self._section_tokens = {s: analyze(s) for s in set(self.sections)}
        # The token-only fast path: per sentence, runs of fixed tokens between the words
        # that may be substituted (numbers; capitalised words but the first).
        self.runs: list[list[tuple[str, ...] | str]] = []
        for pieces in self.templates:
            run: list[tuple[str, ...] | str] = []
            fixed: list[str] = []
            for j, (_, word) in enumerate(pieces):
                if word.isdigit() or (j > 0 and word[:1].isupper()):
                    if fixed:
                        run.append(tuple(fixed))
                        fixed = []
                    run.append(word)
                else:
                    fixed.extend(self._tokens(word))
            if fixed:
                run.append(tuple(fixed))
            self.runs.append(run)

    @staticmethod
    def _split(text: str) -> tuple[list[tuple[str, str]], str]:
        pieces, last = [], 0
        for m in _WORD_RE.finditer(text):
            pieces.append((text[last : m.start()], m.group()))
            last = m.end()
        return pieces, text[last:]

    def _tokens(self, word: str) -> list[str]:
        cached = self._token_cache.get(word)
        if cached is None:
            cached = self._analyze(word)
            if len(self._token_cache) < 2_000_000:
                self._token_cache[word] = cached
        return cached

    def _word(self, word: str, first: bool) -> str:
        rng = self.rng
        if word.isdigit():
            lead = "123456789"[rng.randrange(9)] if word[0] != "0" else "0"
            return lead + "".join("0123456789"[rng.randrange(10)] for _ in range(len(word) - 1))
        if not first and word[:1].isupper() and rng.random() < NAME_P:
            suffix = ""
            for mark in "’'‘":
                if mark in word:
                    suffix = mark + word.split(mark, 1)[1]
                    break
            return self.names[rng.randrange(len(self.names))] + suffix
        return word

    def passage(self, with_text: bool = False) -> tuple[list[str], str | None]:
        """One synthetic passage: (tokens, text or None). Text = section + newline + sentences."""
        rng = self.rng
        base = rng.randrange(len(self.sections))
        sentences = list(self.passage_sentences[base])
        for i in range(len(sentences)):
            if rng.random() < SWAP_P:
                sentences[i] = self.all_sentences[rng.randrange(len(self.all_sentences))]
        if rng.random() < SHUFFLE_P:
            rng.shuffle(sentences)
        section = self.sections[base]
        tokens = list(self._section_tokens[section])
        if not with_text:
            for sid in sentences:
                for item in self.runs[sid]:
                    if isinstance(item, str):
                        tokens.extend(self._tokens(self._word(item, False)))
                    else:
                        tokens.extend(item)
            return tokens, None
        texts = []
        for sid in sentences:
            parts = []
            for j, (sep, word) in enumerate(self.templates[sid]):
                new = self._word(word, j == 0)
                tokens.extend(self._tokens(new))
                parts += [sep, new]
            parts.append(self.tails[sid])
            texts.append("".join(parts))
        return tokens, (f"{section}\n" if section else "") + " ".join(texts)


def synthetic_vectors(
    real: np.ndarray, n: int, seed: int = SEED, sigma: float = VECTOR_SIGMA
) -> Iterator[np.ndarray]:
    """Chunks of ``n`` synthetic unit vectors around the ``real`` ones (see the module doc)."""
    rng = np.random.default_rng(seed)
    d = real.shape[1]
    for start in range(0, n, _CHUNK):
        m = min(_CHUNK, n - start)
        a = rng.integers(0, len(real), m)
        b = rng.integers(0, len(real), m)
        lam = rng.random((m, 1), dtype=np.float32)
        v = lam * real[a] + (1.0 - lam) * real[b]
        v += sigma * rng.standard_normal((m, d), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        yield np.ascontiguousarray(v, dtype=np.float32)
