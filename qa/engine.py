"""The one code path from settings to answers, shared by the CLI, the web chat and evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from corpus.errors import ReportQAError
from index.embedding import Embedder, load_embedder
from index.store import LoadedIndex, ensure_index
from qa.answer import Answer, normalize_question
from qa.answerers import Answerer, AnswerRequest, make_answerer
from qa.language import answer_language, detect_language
from qa.modes import RetrievalMode
from qa.retrieval import Hit, QueryVector, Retriever
from qa.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Engine:
    """A loaded model and index, ready to search and answer."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex
    retriever: Retriever
    answerer: Answerer

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        show_progress: bool = False,
        on_stage: Callable[[str], None] | None = None,
    ) -> Engine:
        """Load the model and the index, building the index first if it is missing or stale."""
        embedder = load_embedder(settings.embedder_config())
        index = ensure_index(settings.index_config(), embedder, show_progress=show_progress, on_stage=on_stage)
        retriever = Retriever(index, embedder, settings)
        return cls(settings, embedder, index, retriever, make_answerer(settings.answerer, retriever, settings))

    def documents(self, names: Sequence[str] | None) -> frozenset[str] | None:
        """The indexed documents that ``names`` (``--doc``) choose; None when no name is given.

        A name matches a document's path in the corpus folder, its file name, or its file name
        without the extension, ignoring case.

        Raises:
            ReportQAError: a name matches no indexed document (the message lists them).
        """
        if not names:
            return None
        indexed = sorted({p.doc for p in self.index.passages})
        chosen: set[str] = set()
        for name in names:
            wanted = name.strip().casefold()
            found = {
                doc for doc in indexed
                if wanted in (doc.casefold(), PurePosixPath(doc).name.casefold(), PurePosixPath(doc).stem.casefold())
            }
            if not found:
                raise ReportQAError(
                    f"no indexed document named {name!r}; documents: {', '.join(indexed)}", code="unknown_document"
                )
            chosen |= found
        return frozenset(chosen)

    def search(
        self,
        question: str,
        k: int | None = None,
        mode: RetrievalMode | None = None,
        docs: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``question`` (default: ``settings.top_k``), from the
        documents named ``docs`` only when given (see :meth:`documents`).

        Raises:
            QuestionError: the question is empty, too long or has no words.
            ReportQAError: a name in ``docs`` matches no indexed document.
        """
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        text = normalize_question(question, self.settings.max_question_chars)
        chosen = self.documents(docs)
        return self.retriever.search(self.retriever.embed(text), k or self.settings.top_k, mode, chosen)

    def prepare(
        self,
        question: str,
        *,
        language: str | None = None,
        qid: str | None = None,
        mode: RetrievalMode | None = None,
        query: QueryVector | None = None,
        docs: Sequence[str] | None = None,
    ) -> AnswerRequest:
        """Clean, detect the language of, embed and retrieve for ``question``.

        ``query`` is the question's vector when the caller embedded it already (evaluation
        embeds all questions in batches); ``docs`` limits retrieval to those documents.

        Raises:
            QuestionError: the question is empty, too long or has no words.
            ReportQAError: a name in ``docs`` matches no indexed document.
        """
        text = normalize_question(question, self.settings.max_question_chars)
        chosen = self.documents(docs)
        detected = detect_language(text)
        query = query if query is not None and query.text == text else self.retriever.embed(text)
        hits = self.retriever.search(query, self.settings.top_k, mode, chosen)
        return AnswerRequest(text, detected, answer_language(language or detected), query, hits, qid)

    def ask(
        self,
        question: str,
        *,
        language: str | None = None,
        qid: str | None = None,
        mode: RetrievalMode | None = None,
        query: QueryVector | None = None,
        docs: Sequence[str] | None = None,
    ) -> Answer:
        """Answer ``question`` with the configured answerer (see :meth:`prepare` for the arguments).

        Raises:
            QuestionError: the question is empty, too long or has no words.
            ReportQAError: a name in ``docs`` matches no indexed document.
        """
        request = self.prepare(question, language=language, qid=qid, mode=mode, query=query, docs=docs)
        return self.answerer.answer(request)
