"""Turkish-aware text analysis for BM25: casefolding, apostrophe suffixes, stemming, stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_TURKISH

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’‘][^\W\d_]+)?")
# A word of letters, with a suffix after an apostrophe ("Ankara’da"): how names and places are read.
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_APOSTROPHES = "'’‘"
STOPWORDS = frozenset(STOPWORDS_TURKISH) | frozenset(STOPWORDS_EN) | frozenset(
    {"rapor", "raporda", "raporu", "report", "according", "göre", "nedir", "what", "which"}
)
# Turkish words are long and suffix-heavy: snowball stems, cut to this many characters,
# conflate inflections the stemmer leaves apart ("paylaşımı", "paylaşımının").
STEM_PREFIX = 5


def turkish_casefold(text: str) -> str:
    """Lower-case with Turkish rules: I→ı and İ→i before the ordinary lower()."""
    return text.replace("I", "ı").replace("İ", "i").lower()


def strip_apostrophe_suffix(token: str) -> str:
    """``türkiye’nin`` → ``türkiye``: in Turkish an apostrophe separates a name from its suffixes."""
    for mark in _APOSTROPHES:
        if mark in token:
            return token.split(mark, 1)[0]
    return token


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("turkish")


def analyze(text: str) -> list[str]:
    """Tokens for BM25: casefolded, suffix-stripped, stemmed, stopwords removed."""
    tokens = []
    stem = _stemmer().stemWord
    for raw in _TOKEN_RE.findall(turkish_casefold(text)):
        token = strip_apostrophe_suffix(raw)
        if token in STOPWORDS or len(token) < 2:
            continue
        tokens.append(stem(token)[:STEM_PREFIX] if not token.isdigit() else token)
    return tokens
