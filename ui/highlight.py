"""Query words in a passage, found the way BM25 finds them, marked in escaped HTML."""

from __future__ import annotations

import re
from html import escape

from index.analysis import analyze

# The same word shape as the BM25 analyser's tokens (a name keeps its apostrophe suffix).
_WORD = re.compile(r"[^\W_]+(?:['’‘][^\W\d_]+)?")


def query_terms(query: str) -> frozenset[str]:
    """The analysed terms of ``query``: casefolded (Turkish rules), stemmed, without stopwords."""
    return frozenset(analyze(query))


def mark_terms(text: str, terms: frozenset[str]) -> str:
    """``text`` escaped, with every word whose analysed form is one of ``terms`` in a ``<mark>``.

    "Kazakistan'ın" matches a query with "Kazakistan", "protokolle" one with "protokol": the
    match is on BM25's terms, not on the letters.
    """
    out: list[str] = []
    pos = 0
    if terms:
        for match in _WORD.finditer(text):
            if terms.intersection(analyze(match.group())):
                out.append(escape(text[pos:match.start()]))
                out.append(f'<mark class="rqa-term">{escape(match.group())}</mark>')
                pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)
