"""The retrieval modes, named once for the settings, the CLI, evaluation and the web chat."""

from __future__ import annotations

from enum import StrEnum


class RetrievalMode(StrEnum):
    """How passages are ranked. A ``StrEnum``, so ``RetrievalMode.HYBRID == "hybrid"``."""

    HYBRID = "hybrid"  # weighted reciprocal-rank fusion of dense passage, dense sentence and BM25
    DENSE = "dense"  # cosine similarity of the passage vectors only
    BM25 = "bm25"  # Turkish-analysed BM25 only

    @classmethod
    def names(cls) -> list[str]:
        """The modes' names, in a stable order (for choices and help texts)."""
        return [mode.value for mode in cls]


# The order evaluation reports them in: lexical, dense, then their fusion.
EVALUATION_ORDER: tuple[RetrievalMode, ...] = (RetrievalMode.BM25, RetrievalMode.DENSE, RetrievalMode.HYBRID)
