"""Errors of the on-disk index; each message says what is wrong and what to do."""

from __future__ import annotations

from corpus.errors import ReportQAError


class IndexStoreError(ReportQAError):
    """The index cannot be used; the message says why and what to do."""


class StaleIndexError(IndexStoreError):
    """The index was built from another corpus, model or chunker setting."""


class CorruptIndexError(IndexStoreError):
    """An index file is missing, truncated or altered."""


class BackendUnavailableError(ReportQAError):
    """The search server cannot be reached or refuses us: nothing is rebuilt or replaced.

    Deliberately not an :class:`IndexStoreError`, which ``index.store.ensure_index`` answers
    with a rebuild: a server that is down is reported, never worked around with another index.
    """

    code = "backend_unavailable"
