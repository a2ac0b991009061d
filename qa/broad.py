"""Broad questions about the whole report: "What does the report recommend?", "Raporun önerileri neler?".

No single sentence answers them; the section that holds the conclusions or recommendations
does. Such a question is answered with that section's key sentences (see
``qa.answerers.extractive``), and its passages are what retrieval returns for it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from corpus import Passage
from index.analysis import STOPWORDS, WORD_RE, turkish_casefold

# What a broad question asks for: recommendations or conclusions.
_ASKS_RE = re.compile(
    r"\b(recommend\w*|conclu\w*|suggest\w*|findings?|takeaways?|öneri\w*|öner\w*|tavsiye\w*|sonuç\w*|sonuc\w*|"
    r"vardığı|varıyor|bulgu\w*)\b"
)
# Words that leave a question broad ("main", "the report", "neler").
_BROAD_WORDS = frozenset(
    [
        "report", "report's", "rapor", "raporun", "raporda", "rapordaki", "main", "key", "overall", "general", "its",
        "ana", "temel", "başlıca", "genel", "neler", "nelerdir", "nedir", "hangi", "ne", "does", "do", "what", "what's",
        "are", "is", "the", "of", "their", "make", "makes",
    ]
)
# Sections that hold them, by heading.
_SECTION_RE = re.compile(r"\b(sonuç|sonuçlar|değerlendirme|öneriler|conclusions?|recommendations?)\b")
# At most this many key sentences answer a broad question.
KEY_SENTENCES = 5


def is_broad(question: str) -> bool:
    """Whether ``question`` asks for the report's recommendations or conclusions as a whole."""
    text = turkish_casefold(question)
    if not _ASKS_RE.search(text):
        return False
    words = WORD_RE.findall(text)
    rest = [w for w in words if not _ASKS_RE.fullmatch(w) and w not in _BROAD_WORDS and w not in STOPWORDS]
    return not rest


def conclusion_rows(passages: Sequence[Passage], docs: Collection[str] | None = None) -> list[int]:
    """Rows of the passages of the last section whose heading names conclusions or recommendations,
    among the documents ``docs`` when given (all documents otherwise)."""
    sections = [
        (p.doc, p.section)
        for p in passages
        if (docs is None or p.doc in docs) and _SECTION_RE.search(turkish_casefold(p.section))
    ]
    if not sections:
        return []
    last = sections[-1]
    return [row for row, p in enumerate(passages) if (p.doc, p.section) == last]
