"""The one code path from settings to answers, shared by the CLI, the web chat and evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from index.embedder import Embedder
from index.store import LoadedIndex, ensure_index
from qa.answer import Answer, answer_question, normalize_question
from qa.retrieval import Hit, Retrieval, Retriever
from qa.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Engine:
    """A loaded model and index, ready to search and answer."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex
    retriever: Retriever

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        show_progress: bool = False,
        on_stage: Callable[[str], None] | None = None,
    ) -> Engine:
        """Load the model and the index, building the index first if it is missing or stale."""
        embedder = Embedder(settings.model, settings.cache_dir.expanduser())
        index = ensure_index(settings.index_config(), embedder, show_progress=show_progress, on_stage=on_stage)
        return cls(settings, embedder, index, Retriever(index, embedder, settings))

    def search(self, question: str, k: int | None = None, mode: Retrieval | None = None) -> list[Hit]:
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        text = normalize_question(question, self.settings.max_question_chars)
        return self.retriever.search(self.retriever.embed(text), k or self.settings.top_k, mode)

    def ask(self, question: str, *, language: str | None = None, qid: str | None = None) -> Answer:
        return answer_question(self.retriever, question, language=language, qid=qid)
