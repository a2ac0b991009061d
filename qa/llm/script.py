"""Running one of this package's measurement modules as a script (``python -m qa.llm.…``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping

from corpus.errors import ReportQAError


def run(name: str, measure: Callable[[], Mapping[str, object]]) -> None:
    """Print ``measure()``'s report as indented JSON on stdout; a :class:`ReportQAError` ends the
    script with exit status 1 and its message after ``name``, not with a traceback."""
    try:
        report = measure()
    except ReportQAError as exc:
        sys.exit(f"{name}: {exc}")
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
