"""The root error type of report-qa.

Every error a user can act on (a missing corpus folder, a damaged index, an empty question,
a broken question file, an unreachable model server) derives from :class:`ReportQAError`.
Its message names the problem and what to do, so the command line turns it into one line
and exit status 2, and the web chat shows it in a box; each catches this one type in one place.
It lives in the lowest layer so that every layer can raise it.
"""

from __future__ import annotations


class ReportQAError(Exception):
    """A problem the user can fix; ``str(error)`` says what it is and what to do.

    ``code`` is a stable machine-readable name ("empty", "too_long", …) that lets a
    user interface show the message in its own language.
    """

    code: str = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
