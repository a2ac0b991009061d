"""One chat session's turns, and follow-ups: retrieval sees the conversation's topic, not only the last message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.language import SUPPORTED, detect_language
from ui.errors import UserError

# A message this short ("Peki Kazakistan?", "Who signed it?") rarely stands on its own.
SHORT_MESSAGE_WORDS = 3
# Openings that mark a follow-up, as folded word sequences.
FOLLOW_UP_OPENINGS: tuple[tuple[str, ...], ...] = (
    ("peki",), ("ya",), ("o", "zaman"), ("bir", "de"), ("ayrıca",), ("aynı", "şekilde"),
    ("and",), ("what", "about"), ("how", "about"), ("also",), ("then",), ("same", "for"),
)
# Pronouns that point back to the previous turn wherever they appear. Turkish "bu"/"o" are left
# out: they open many standalone questions ("Bu raporun amacı nedir?").
BACK_REFERENCES = frozenset({
    "it", "its", "they", "them", "their",
    "bunun", "bunu", "bunlar", "bunları", "bunların", "onun", "onu", "onlar", "onları", "onların",
})


@dataclass(frozen=True)
class Turn:
    """One question of a chat session and what came of it (kept per session in ``gr.State``)."""

    id: int
    message: str  # as the user typed it; this is what the chat shows
    query: str = ""  # what was asked of the engine (the message, or the topic plus the message)
    answer: dict[str, Any] | None = None  # Answer.to_json(); None while pending or after an error
    error: UserError | None = None  # the user's mistake, shown in the interface language
    crashed: bool = False  # an unexpected server error; the log has the details

    @property
    def pending(self) -> bool:
        return self.answer is None and self.error is None and not self.crashed


# Words, keeping apostrophe suffixes attached ("Kazakistan'ın" is one word).
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _words(text: str) -> list[str]:
    # Turkish dotted capital I folds to "i"; "I" stays "i" so English "It" still matches.
    return _WORD.findall(text.replace("İ", "i").lower())


def is_follow_up(message: str) -> bool:
    """True when ``message`` reads as a continuation of the previous question."""
    words = _words(message)
    if len(words) <= SHORT_MESSAGE_WORDS:
        return True
    if any(tuple(words[: len(opening)]) == opening for opening in FOLLOW_UP_OPENINGS):
        return True
    return any(word in BACK_REFERENCES for word in words)


def contextual_question(history: Sequence[str], message: str, max_chars: int) -> str:
    """The question to retrieve with: ``message`` alone, or prefixed by the conversation's topic.

    ``history`` holds the user's earlier questions, oldest first. A follow-up is joined to the
    latest question that was not itself a follow-up, so "Peki hangi ülkeler?" then "Ya
    Türkmenistan?" both keep the original topic. The result never exceeds ``max_chars``:
    when the two together would, the message is used alone.
    """
    message = message.strip()
    if not message or not history or not is_follow_up(message):
        return message
    topic = next((q for q in reversed(history) if not is_follow_up(q)), history[-1]).strip()
    combined = f"{topic} {message}"
    return combined if len(combined) <= max_chars else message


def follow_up_language(message: str, previous: str | None) -> str | None:
    """The language to answer a follow-up in: the message's own when it is Turkish or English.

    Two-word follow-ups are often misread ("Ya Özbekistan?" looks Uzbek), so anything else
    keeps the previous answer's language rather than falling back to English.
    """
    detected = detect_language(message)
    return detected if detected in SUPPORTED else previous
