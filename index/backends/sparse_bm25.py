"""BM25 as sparse vectors whose inner product is exactly ``index.bm25``'s (bm25s, Lucene variant) score.

A passage's vector holds, per term, ``tf / (tf + k1 * (1 - b + b * dl / avgdl))``; a query's
holds ``idf(term) * count``, with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``. Any engine with
sparse inner-product search (Milvus's ``SPARSE_FLOAT_VECTOR`` with ``IP``) then ranks passages
as ``bm25s`` does, whatever its own BM25 function computes: Milvus Lite 3.2's built-in BM25
ranks the dev questions differently (docs/notes/issue-14.md). Term ids are positions in the
sorted vocabulary, so refitting on the same passages' terms gives the same ids.
"""

from __future__ import annotations

import math
from collections import Counter

from index.bm25 import BM25_B, BM25_K1

# bm25s indexes an empty passage as this one token; kept so lengths and ids agree with it.
EMPTY = "∅"


class SparseBM25:
    """The vocabulary and statistics of one set of passages' analysed terms."""

    def __init__(self, documents: list[list[str]]) -> None:
        documents = [terms or [EMPTY] for terms in documents]
        frequencies = Counter(term for terms in documents for term in set(terms))
        self.vocabulary = {term: i for i, term in enumerate(sorted(frequencies))}
        n = len(documents)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequencies.items()}
        self.average_length = sum(map(len, documents)) / n if n else 1.0

    def document(self, terms: list[str]) -> dict[int, float]:
        """The passage-side weights of one passage's terms (one of the fitted passages)."""
        terms = terms or [EMPTY]
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(terms) / self.average_length)
        return {self.vocabulary[term]: tf / (tf + norm) for term, tf in Counter(terms).items()}

    def query(self, terms: list[str]) -> dict[int, float]:
        """The query-side weights: each known term's idf times its count (empty: nothing matches)."""
        counts = Counter(term for term in terms if term in self.vocabulary)
        return {self.vocabulary[term]: self.idf[term] * count for term, count in counts.items()}
