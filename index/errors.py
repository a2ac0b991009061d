"""Errors of the on-disk index; each message says what is wrong and what to do."""

from __future__ import annotations

from corpus.errors import ReportQAError


class IndexStoreError(ReportQAError):
    """The index cannot be used; the message says why and what to do."""


class StaleIndexError(IndexStoreError):
    """The index was built from another corpus, model or chunker setting."""


class CorruptIndexError(IndexStoreError):
    """An index file is missing, truncated or altered."""
