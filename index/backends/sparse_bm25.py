"""BM25 as sparse vectors whose inner product is exactly ``index.bm25``'s (bm25s, Lucene variant) score.

A passage's vector holds, per term, ``tf / (tf + k1 * (1 - b + b * dl / avgdl))``; a query's
holds ``idf(term) * count``, with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``. Any engine with
sparse inner-product search (Milvus's ``SPARSE_FLOAT_VECTOR`` with ``IP``) then ranks passages
as ``bm25s`` does, whatever its own BM25 function computes: Milvus Lite 3.2's built-in BM25
ranks the dev questions differently (docs/milvus.md).

Term ids must not move once passage vectors are stored, because an update adds and deletes
passages in place: a fresh vocabulary is the sorted terms, and one carried over from an earlier
build keeps its ids and appends new terms (sorted) after them. The IDF is always refitted from
the current passages; ``avgdl`` is the one recorded when the stored passage vectors were made
(an update that moves it too far rebuilds instead: ``index.backends.milvus_update``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from index.bm25 import BM25_B, BM25_K1

# bm25s indexes an empty passage as this one token; kept so lengths and ids agree with it.
EMPTY = "∅"


def average_length(documents: Sequence[list[str]]) -> float:
    """The mean number of terms per passage, as bm25s counts it (an empty passage has one)."""
    return sum(len(terms) or 1 for terms in documents) / len(documents) if documents else 1.0


class SparseBM25:
    """The vocabulary and statistics of one set of passages' analysed terms.

    Args:
        documents: every passage's analysed terms.
        vocabulary: the term ids already in use (position = id), kept as they are; None starts
            from the sorted terms of ``documents``.
        length: the ``avgdl`` the stored passage vectors were made with; None uses ``documents``'.
    """

    def __init__(
        self, documents: Sequence[list[str]], vocabulary: Sequence[str] | None = None, length: float | None = None
    ) -> None:
        documents = [terms or [EMPTY] for terms in documents]
        frequencies = Counter(term for terms in documents for term in set(terms))
        known = list(vocabulary or ())
        self.terms = known + sorted(set(frequencies) - set(known))
        self.vocabulary = {term: i for i, term in enumerate(self.terms)}
        if len(self.vocabulary) != len(self.terms):
            raise ValueError("a BM25 vocabulary lists a term twice")
        n = len(documents)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequencies.items()}
        self.average_length = average_length(documents) if length is None else length

    def document(self, terms: list[str]) -> dict[int, float]:
        """The passage-side weights of one passage's terms (terms must be in the vocabulary)."""
        terms = terms or [EMPTY]
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(terms) / self.average_length)
        return {self.vocabulary[term]: tf / (tf + norm) for term, tf in Counter(terms).items()}

    def query(self, terms: list[str]) -> dict[int, float]:
        """The query-side weights: each term's idf times its count, over terms some passage has
        (the vocabulary may keep terms of deleted passages); empty: nothing matches."""
        counts = Counter(term for term in terms if term in self.idf)
        return {self.vocabulary[term]: self.idf[term] * count for term, count in counts.items()}
