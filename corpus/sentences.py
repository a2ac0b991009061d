"""Sentence splitting for Turkish and English prose, with character offsets."""

from __future__ import annotations

import re

from corpus.models import Sentence

# Abbreviations that end with a period but do not end a sentence.
ABBREVIATIONS = frozenset(
    {
        "ör", "örn", "vb", "vs", "bkz", "yy", "dr", "prof", "doç", "no", "s", "sf", "vd",
        "e.g", "i.e", "etc", "mr", "mrs", "ms", "st", "fig", "cf", "al", "jr", "sr",
    }
)
_CANDIDATE_RE = re.compile(r"[.!?…]+[”’\"')\]]*(?=\s+[\"“‘(\[]?[A-ZÇĞİÖŞÜ0-9•])")
_ROMAN_RE = re.compile(r"^[IVXLC]+$")


def _is_false_stop(text: str, stop: int) -> bool:
    """True when the period before ``stop`` belongs to an abbreviation, initial or ordinal."""
    if text[stop - 1] != ".":
        return False
    word = re.search(r"([^\s(“\"']+)\.$", text[:stop])
    if not word:
        return False
    token = word.group(1)
    if token.lower().rstrip(".") in ABBREVIATIONS:
        return True
    if _ROMAN_RE.match(token) or (len(token) == 1 and token.isalpha()):
        return True  # "II. Dünya Savaşı", initials
    return token.isdigit() and len(token) <= 2  # "1. madde" (ordinals), not "…1998."


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Split ``text`` into sentences whose offsets are shifted by ``offset``.

    Lines are always sentence boundaries too, so table rows stay whole.
    """
    sentences: list[Sentence] = []
    line_start = 0
    for line in text.split("\n"):
        start = 0
        for match in _CANDIDATE_RE.finditer(line):
            stop = match.end()
            if _is_false_stop(line, match.start() + 1):
                continue
            _append(sentences, line, start, stop, offset + line_start)
            start = stop
        _append(sentences, line, start, len(line), offset + line_start)
        line_start += len(line) + 1
    return sentences


def _append(out: list[Sentence], line: str, start: int, stop: int, base: int) -> None:
    piece = line[start:stop]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = base + start + lead
    out.append(Sentence(stripped, s, s + len(stripped)))
