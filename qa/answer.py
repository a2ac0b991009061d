"""The answer contract: a question as it may be asked, and an Answer with its numbered Citations.

Every answerer (``qa.answerers``) returns an :class:`Answer`; its ``to_json`` is the stable
``ask --json`` shape documented in the README.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from corpus import Passage, Sentence
from corpus.errors import ReportQAError
from qa import strings
from qa.retrieval import Hit

# An HTML/XML tag: questions and generated answers are text, so tags carry no words.
MARKUP_RE = re.compile(r"<[^<>]*>")


def has_words(text: str) -> bool:
    """Whether ``text`` holds at least one letter or digit."""
    return any(c.isalnum() for c in text)


# A raw question longer than this many times the limit is refused before it is cleaned.
RAW_LENGTH_FACTOR = 4


class QuestionError(ReportQAError, ValueError):
    """The question cannot be asked as it is; the message says why.

    ``code`` ("empty", "too_long", "no_words") lets a UI show the message in its own language.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code)


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    sentence: Sentence

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        return {
            "n": self.n,
            "chunk_id": p.chunk_id,
            "doc": p.doc,
            "section": p.section,
            "page": p.page,
            "page_label": p.page_label,
            "paragraph": p.paragraph,
            "quote": self.sentence.text,
            "quote_start": self.sentence.start - p.start,
            "quote_end": self.sentence.end - p.start,
            "text": p.text,
        }


@dataclass(frozen=True)
class Dropped:
    """A generated sentence removed from an answer, and why (``ask --json`` field ``dropped``)."""

    sentence: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"sentence": self.sentence, "reason": self.reason}


@dataclass(frozen=True)
class GenerationStats:
    """How a generated answer fared in validation, for evaluation (not part of the JSON).

    ``sentences``: sentences the model wrote (sentinel and marker-only ones aside); ``supported``:
    those kept; ``citations``: (sentence, cited passage) pairs written; ``supporting``: those where
    the cited passage alone supports its sentence.
    """

    sentences: int
    supported: int
    citations: int
    supporting: int


@dataclass
class Answer:
    """A cited answer or a decline.

    ``answerer`` names what made it (``extractive`` or ``llm``), ``model`` the LLM (None when
    extractive), ``dropped`` the generated sentences validation removed, and ``fallback_reason``
    why an LLM was configured but not used (None when it was used or none is configured).
    """

    question: str
    language: str
    answered: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    id: str | None = None
    answerer: str = "extractive"
    model: str | None = None
    dropped: list[Dropped] = field(default_factory=list)
    fallback_reason: str | None = None
    generation: GenerationStats | None = None
    # Why an answer was declined: "off_topic" (not about the report) or "not_in_report" (about
    # it, but the report does not say); None when answered.
    declined: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "language": self.language,
            "answered": self.answered,
            "declined": self.declined,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "passages": [h.to_json() for h in self.passages],
            "answerer": self.answerer,
            "model": self.model,
            "dropped": [d.to_json() for d in self.dropped],
            "fallback_reason": self.fallback_reason,
        }


def normalize_question(question: str, max_chars: int) -> str:
    """Clean a raw question or raise QuestionError naming the problem.

    Control and format characters (NUL, escapes, zero-width and bidi marks) and lone surrogates
    (JSON allows "\\ud800"; no tokenizer can encode it) become spaces.
    """
    if not isinstance(question, str):
        raise QuestionError(strings.EMPTY_QUESTION, "empty")
    if len(question) > RAW_LENGTH_FACTOR * max_chars:
        # Far too long even before cleaning: refuse without walking megabytes of text.
        raise QuestionError(strings.QUESTION_TOO_LONG.format(n=len(question), limit=max_chars), "too_long")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in question)
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if not text:
        raise QuestionError(strings.EMPTY_QUESTION, "empty")
    if len(text) > max_chars:
        raise QuestionError(strings.QUESTION_TOO_LONG.format(n=len(text), limit=max_chars), "too_long")
    if not has_words(text):
        raise QuestionError(strings.NO_WORDS, "no_words")
    return text
