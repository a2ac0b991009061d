"""Validation of a generated answer: keep only the sentences their cited passages support.

The answer is split into sentences. For each sentence, in order:

1. markup is removed (model output is text) and a sentence without any ``[n]`` is dropped;
2. citation numbers that were not in the prompt are removed; none left → dropped;
3. a sentence written in the other supported language than the answer's is dropped;
4. a cited passage supports the sentence when the cross-lingual e5 similarity between the
   sentence and the passage's best sentence reaches the calibrated threshold; none does → dropped;
5. every number, year, percentage and date month of the sentence must appear in a supporting
   passage (``qa.llm.figures``: ``2,5`` = ``2.5``, Ekim = October) → else dropped.

A kept sentence cites the best sentence of each supporting passage (quote and offsets, as the
extractive answerer does), renumbered ``[1]``..``[m]`` in order of first use. A sentence holding
the sentinel is neither kept nor listed as dropped: it marks the answer as declined when nothing
else survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from corpus import Sentence
from qa.answer import MARKUP_RE, Citation, Dropped, GenerationStats, has_words
from qa.language import SUPPORTED, detect_language
from qa.llm import figures
from qa.llm.prompts import SENTINEL
from qa.retrieval import Hit, Retriever

_CITATION_RE = re.compile(r"\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")
# A sentence ends at . ! ? or … (not inside "2.5"), with any citations that follow it.
_SENTENCE_RE = re.compile(r".+?(?:[.!?…]+(?:\s*\[[^\]\n]*\])*(?=\s|$)|$)")
# Script and style elements go with their content: it is code, never part of an answer.
_CODE_RE = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENTINEL_RE = re.compile(SENTINEL.replace("_", r"[_\s]?"), re.IGNORECASE)
# Too short to tell its language reliably: the language rule skips it.
LANGUAGE_MIN_WORDS = 4


@dataclass(frozen=True)
class Support:
    """Passage ``hit`` supports a sentence through its sentence ``sentence``."""

    hit: Hit
    sentence: Sentence
    similarity: float


@dataclass(frozen=True)
class Kept:
    text: str
    supports: tuple[Support, ...]


@dataclass(frozen=True)
class Validation:
    kept: list[Kept]
    dropped: list[Dropped]
    sentinel: bool
    citations: int = 0  # (sentence, cited number) pairs written
    supporting: int = 0  # of those, cited passages that alone support their sentence

    @property
    def stats(self) -> GenerationStats:
        sentences = len(self.kept) + len(self.dropped)
        return GenerationStats(sentences, len(self.kept), self.citations, self.supporting)

    def compose(self) -> tuple[str, list[Citation]]:
        """The answer text with renumbered ``[n]`` markers, and its citations by number."""
        numbers: dict[tuple[str, int], int] = {}
        citations: list[Citation] = []
        parts = []
        for kept in self.kept:
            marks = []
            for support in kept.supports:
                key = (support.hit.passage.chunk_id, support.sentence.start)
                if key not in numbers:
                    numbers[key] = len(numbers) + 1
                    citations.append(Citation(numbers[key], support.hit.passage, support.sentence))
                marks.append(f"[{numbers[key]}]")
            parts.append(f"{kept.text} {''.join(dict.fromkeys(marks))}")
        return " ".join(parts), citations


def split_sentences(text: str) -> list[str]:
    """The sentences of a generated answer (markup removed), each with its trailing citations."""
    clean = MARKUP_RE.sub(" ", _CODE_RE.sub(" ", text)).replace("**", "").replace("__", "")
    out = []
    for line in clean.splitlines():
        line = _BULLET_RE.sub("", line).strip()
        out += [m.group(0).strip() for m in _SENTENCE_RE.finditer(line) if m.group(0).strip()]
    return out


def cited_numbers(sentence: str) -> list[int]:
    """The passage numbers cited in ``sentence``, in order, without repeats."""
    found: list[int] = []
    for group in _CITATION_RE.findall(sentence):
        found += [int(n) for n in re.findall(r"\d+", group)]
    return list(dict.fromkeys(found))


def claim_text(sentence: str) -> str:
    """``sentence`` without its citation markers, tidy around punctuation."""
    text = " ".join(_CITATION_RE.sub(" ", sentence).split())
    return re.sub(r"\s+([.,;:!?…])", r"\1", text).strip()


class Validator:
    """Checks generated answers against the passages they were given."""

    def __init__(self, retriever: Retriever, threshold: float) -> None:
        self.retriever = retriever
        self.threshold = threshold

    def best_sentence(self, hit: Hit, vector: np.ndarray) -> tuple[Sentence, float]:
        sims = self.retriever.sentence_vectors(hit.row) @ vector
        best = int(np.argmax(sims))
        return hit.passage.sentences[best], float(sims[best])

    def validate(self, answer: str, hits: list[Hit], language: str) -> Validation:
        """Validate ``answer``, generated from ``hits`` given as ``[1]``..``[len(hits)]``."""
        pending: list[tuple[str, list[Hit]]] = []
        dropped: list[Dropped] = []
        sentinel = False
        citations = 0
        for sentence in split_sentences(answer):
            claim = claim_text(sentence)
            if _SENTINEL_RE.search(sentence):
                sentinel = True
                continue
            if not has_words(claim) or not any(c.isalpha() for c in claim):
                continue  # markers or punctuation only
            cited = cited_numbers(sentence)
            if not cited:
                dropped.append(Dropped(claim, "no citation"))
                continue
            citations += len(cited)
            valid = [n for n in cited if 1 <= n <= len(hits)]
            if not valid:
                unknown = ", ".join(f"[{n}]" for n in cited)
                dropped.append(Dropped(claim, f"cites {unknown}, which was not among the {len(hits)} passages given"))
                continue
            if len(claim.split()) >= LANGUAGE_MIN_WORDS:
                written = detect_language(claim)
                if written in SUPPORTED and written != language:
                    dropped.append(Dropped(claim, f"written in {written}, not {language}"))
                    continue
            pending.append((claim, [hits[n - 1] for n in valid]))
        kept, supporting = self._supported(pending, dropped)
        return Validation(kept, dropped, sentinel, citations, supporting)

    def _supported(self, pending: list[tuple[str, list[Hit]]], dropped: list[Dropped]) -> tuple[list[Kept], int]:
        """The supported sentences, and how many (sentence, cited passage) pairs support alone."""
        if not pending:
            return [], 0
        vectors = self.retriever.embed_many([claim for claim, _ in pending])
        kept = []
        supporting = 0
        for (claim, cited), vector in zip(pending, vectors, strict=True):
            scored = [(hit, *self.best_sentence(hit, vector)) for hit in cited]
            supports = [Support(hit, s, sim) for hit, s, sim in scored if sim >= self.threshold]
            supporting += sum(not figures.missing(claim, s.hit.passage.text) for s in supports)
            if not supports:
                best = max(sim for _, _, sim in scored)
                dropped.append(Dropped(claim, f"not supported by its cited passage (similarity {best:.3f} "
                                              f"< {self.threshold:.3f})"))
                continue
            source = "\n".join(s.hit.passage.text for s in supports)
            absent = figures.missing(claim, source)
            if absent:
                dropped.append(Dropped(claim, f"{', '.join(absent)} not in its cited passage"))
                continue
            kept.append(Kept(claim, tuple(supports)))
        return kept, supporting
