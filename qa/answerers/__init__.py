"""Answerers, chosen by name: ``make_answerer(settings.answerer, retriever, settings)``.

A new answerer is one module with a class that satisfies :class:`~qa.answerers.base.Answerer`
and one ``register_answerer`` line here.
"""

from __future__ import annotations

from collections.abc import Callable

from corpus.errors import ReportQAError
from qa.answerers.base import Answerer, AnswerRequest
from qa.answerers.extractive import ExtractiveAnswerer
from qa.answerers.llm import LLMAnswerer
from qa.retrieval import Retriever
from qa.settings import Settings

AnswererFactory = Callable[[Retriever, Settings], Answerer]
_REGISTRY: dict[str, AnswererFactory] = {}


def register_answerer(name: str, factory: AnswererFactory) -> None:
    """Make ``factory`` available as answerer ``name``."""
    _REGISTRY[name] = factory


def answerer_names() -> list[str]:
    """The registered answerers' names, sorted."""
    return sorted(_REGISTRY)


def make_answerer(name: str, retriever: Retriever, settings: Settings) -> Answerer:
    """The answerer called ``name``.

    Raises:
        ReportQAError: no answerer has that name.
    """
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ReportQAError(f"unknown answerer {name!r}; use one of {', '.join(answerer_names())}", "bad_answerer")
    return factory(retriever, settings)


register_answerer(ExtractiveAnswerer.name, ExtractiveAnswerer)
register_answerer(LLMAnswerer.name, LLMAnswerer)

__all__ = [
    "AnswerRequest", "Answerer", "ExtractiveAnswerer", "LLMAnswerer", "answerer_names", "make_answerer",
    "register_answerer",
]
