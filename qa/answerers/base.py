"""The Answerer seam: a question and its retrieved passages in, an :class:`~qa.answer.Answer` out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from qa.answer import Answer
from qa.retrieval import Hit, QueryVector


@dataclass(frozen=True)
class AnswerRequest:
    """Everything an answerer gets: the cleaned question, its languages, its vector and the hits.

    ``detected`` is the language the question is written in (it picks the abstention threshold);
    ``language`` is the language to answer in (``tr`` or ``en``; ``--lang`` may force it).
    ``broad`` marks a question about the report as a whole ("what does it recommend?", see
    ``qa.broad``): its hits start with the conclusions section. ``exclude`` holds sentences
    already quoted in the conversation: a follow-up quotes only new ones.
    """

    text: str
    detected: str
    language: str
    query: QueryVector
    hits: list[Hit]
    qid: str | None = None
    broad: bool = False
    exclude: frozenset[str] = frozenset()


class Answerer(Protocol):
    """Turns retrieved passages into a cited answer, or declines with the language's sentinel.

    Contract (``tests/qa/test_answerer_contract.py`` runs it over every registered answerer):
    every ``[n]`` in ``Answer.answer`` has exactly one citation with that ``n``; every citation's
    quote is a sentence of a passage in ``request.hits``; a declined answer has no citations and
    its text is ``qa.strings.DECLINED[Answer.declined][language]`` (``declined`` is ``off_topic`` or
    ``not_in_report``); ``Answer.passages`` are the hits.
    """

    name: str

    def answer(self, request: AnswerRequest) -> Answer:
        """Answer ``request`` (never raises for a question that passed ``normalize_question``)."""
        ...


@runtime_checkable
class StreamingAnswerer(Protocol):
    """An answerer that can show its answer's raw text while it is being generated (issue 10)."""

    name: str

    def answer_streaming(self, request: AnswerRequest, on_token: Callable[[str], None]) -> Answer:
        """Answer ``request`` like ``answer``, calling ``on_token`` with each raw piece as it arrives."""
        ...
