"""Users' mistakes in the web chat: every one is a ``ReportQAError``, caught here and only here.

:func:`attempt` runs a piece of work and turns such an error into a :class:`UserError`, plain data
that a session can keep (in ``gr.State``) and show in whatever the interface language is then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from corpus.errors import ReportQAError
from qa.evaluation import QuestionFileError
from ui.strings import UI, text

T = TypeVar("T")


@dataclass(frozen=True)
class UserError:
    """A mistake the user can fix: ``code`` picks a translated text, ``message`` is the error's own."""

    code: str
    message: str
    problems: tuple[str, ...] = ()  # a question file's problems, each naming its line

    def text(self, lang: str, context: str) -> str:
        """The error in ``lang``: the translation of its code (``error_<code>`` in ui/strings.py)
        when there is one, else ``context`` (a strings key with a ``{message}`` field) around its message."""
        key = f"error_{self.code}"
        return text(lang, key) if key in UI["en"] else text(lang, context, message=self.message)


def attempt(work: Callable[[], T]) -> T | UserError:
    """``work()``, or the user's mistake that stopped it (any other exception propagates)."""
    try:
        return work()
    except ReportQAError as exc:
        problems = tuple(exc.problems) if isinstance(exc, QuestionFileError) else ()
        return UserError(exc.code, str(exc), problems)
