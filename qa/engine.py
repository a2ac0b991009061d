"""The one code path from settings to answers, shared by the CLI, the web chat and evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from corpus.errors import ReportQAError
from index.embedding import Embedder, load_embedder
from index.store import LoadedIndex, ensure_index
from qa.answer import Answer, normalize_question
from qa.answerers import Answerer, AnswerRequest, make_answerer
from qa.answerers.base import StreamingAnswerer
from qa.broad import conclusion_rows, is_broad
from qa.language import answer_language, detect_language
from qa.modes import RetrievalMode
from qa.retrieval import Hit, QueryVector, Retriever, rank_rows
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
        answerer = make_answerer(settings.effective_answerer, retriever, settings)
        return cls(settings, embedder, index, retriever, answerer)

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
        exclude: Iterable[str] = (),
        docs: Sequence[str] | None = None,
    ) -> AnswerRequest:
        """Clean, detect the language of, embed and retrieve for ``question``.

        ``query`` is the question's vector when the caller embedded it already (evaluation
        embeds all questions in batches). ``exclude`` lists sentences already quoted in the
        conversation (the quotes of earlier answers); they are not quoted again. A broad
        question ("what does the report recommend?") gets the conclusions section's passages
        first, then the usual hits. ``docs`` limits retrieval to those documents.

        Raises:
            QuestionError: the question is empty, too long or has no words.
            ReportQAError: a name in ``docs`` matches no indexed document.
        """
        text = normalize_question(question, self.settings.max_question_chars)
        chosen = self.documents(docs)
        detected = detect_language(text)
        # A vector embedded without its gloss (evaluation's batches) gets it, so that answers
        # quote exactly what `ask` quotes.
        if query is not None and query.text == text:
            query = self.retriever.with_gloss(query)
        else:
            query = self.retriever.embed(text)
        hits = self.retriever.search(query, self.settings.top_k, mode, chosen)
        section = conclusion_rows(self.index.passages, chosen) if is_broad(text) else []
        if section:
            first = rank_rows(self.retriever, query, section)
            rest = [h for h in hits if h.row not in section]
            hits = [replace(h, rank=rank) for rank, h in enumerate([*first, *rest][: max(len(first), len(hits))], 1)]
        return AnswerRequest(
            text, detected, answer_language(language or detected), query, hits, qid,
            broad=bool(section), exclude=frozenset(exclude),
        )

    def ask(
        self,
        question: str,
        *,
        language: str | None = None,
        qid: str | None = None,
        mode: RetrievalMode | None = None,
        query: QueryVector | None = None,
        exclude: Iterable[str] = (),
        docs: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` with the configured answerer (see :meth:`prepare` for the arguments).

        ``on_token`` receives generated text as it streams, when the answerer generates any.

        Raises:
            QuestionError: the question is empty, too long or has no words.
            ReportQAError: a name in ``docs`` matches no indexed document.
        """
        request = self.prepare(
            question, language=language, qid=qid, mode=mode, query=query, exclude=exclude, docs=docs
        )
        if on_token is not None and isinstance(self.answerer, StreamingAnswerer):
            return self.answerer.answer_streaming(request, on_token)
        return self.answerer.answer(request)

    @property
    def streams(self) -> bool:
        """Whether answers are generated (and can be shown while they stream)."""
        return isinstance(self.answerer, StreamingAnswerer)
