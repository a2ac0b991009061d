"""Names mined from the documents' own text, to match English questions to Turkish passages.

BM25 matches an English question to Turkish text only through shared words, mostly names, and
those are often spelt differently: "MIT" (casefolded the Turkish way to ``mıt``) vs "MİT",
"Baku" vs "Bakü", "Nakhchivan" vs "Nahçıvan", "FETO" vs "FETÖ". Two things are mined from the
passages, so the list also covers a user's own documents:

* **spelling variants**: every word of the documents under its *folded* form (Turkish letters
  to ASCII, then the English transliterations ``kh``→``h``, ``ch``→``c``, ``sh``→``s`` on both
  sides), so a question word the documents never use can be mapped to the one they do;
* **parenthesised aliases**: "Millî İstihbarat Teşkilâtının (MİT)", "Türk Devletleri Teşkilatı
  (TDT)": an all-capitals acronym after a run of capitalised words names them (the shortest run
  whose initials spell it, else the whole run, at most :data:`MAX_NAME_WORDS`); and a quoted term
  followed by a short gloss, "“spillover” (yayılma)", links the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from index.analysis import strip_apostrophe_suffix, turkish_casefold

_WORD_RE = re.compile(r"[^\W_]+(?:['’‘][^\W\d_]+)?")
_ASCII = str.maketrans("çğıöşüâîûéáà", "cgiosuaiueaa")
_DIGRAPHS = (("kh", "h"), ("ch", "c"), ("sh", "s"))
# "Long Name (ACR)": capitalised words, then an acronym of 2-10 capitals (any alphabet).
_ACRONYM_RE = re.compile(r"((?:[^\W\d_][\w’'‘.-]*[ \t]+){1,12})\(([^\W\d_a-zçğıöşüâîû]{2,10})\)")
# "“term” (gloss)": a quoted term glossed by at most three words in parentheses.
_GLOSS_RE = re.compile(r"[“\"]([^”\"()]{2,40})[”\"]\s*\(([^\W\d_][^()]{0,40})\)")
# A name is at most this many words: a longer capitalised run is cut to its last words.
MAX_NAME_WORDS = 6
MAX_GLOSS_WORDS = 3
# Words shorter than this are never matched through their folded form (too ambiguous).
MIN_VARIANT_CHARS = 3


def words(text: str) -> list[str]:
    """The words of ``text``, casefolded the Turkish way, apostrophe suffixes removed."""
    return [strip_apostrophe_suffix(w) for w in _WORD_RE.findall(turkish_casefold(text))]


def fold(word: str) -> str:
    """A spelling-insensitive key: ASCII letters for Turkish ones, English digraphs simplified.

    ``fold("nahçıvan") == fold("nakhchivan") == "nahcivan"``; ``fold("mıt") == fold("mit")``.
    """
    key = word.translate(_ASCII)
    for digraph, letter in _DIGRAPHS:
        key = key.replace(digraph, letter)
    return key


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_before(run: str, acronym: str) -> list[str]:
    """The words of ``run`` that ``acronym`` abbreviates: the shortest tail whose initials spell it,
    else the tail of capitalised words (empty when the word just before is not capitalised)."""
    tokens = run.split()
    letters = fold(turkish_casefold(acronym))
    for size in range(1, min(len(tokens), MAX_NAME_WORDS) + 1):
        tail = tokens[-size:]
        if fold(turkish_casefold("".join(t[0] for t in tail))) == letters:
            return tail
    tail = []
    for token in reversed(tokens[-MAX_NAME_WORDS:]):
        if not _is_capitalised(token):
            break
        tail.insert(0, token)
    return tail


@dataclass(frozen=True)
class NameList:
    """Spelling variants and aliases mined from documents; see :func:`mine_names`.

    ``variants`` maps a folded key to the document words with that key; ``aliases`` maps a
    folded single-word alias (an acronym, a glossed term, a gloss) to the words it stands for;
    ``vocabulary`` is every document word (casefolded, suffix-stripped).
    """

    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()

    def expansion(self, question: str) -> list[str]:
        """Document words to add to ``question``'s lexical query, in question order, no repeats.

        A question word the documents never use adds the document words spelt like it; any
        question word that is a mined alias adds the words it stands for.
        """
        added: dict[str, None] = {}
        for word in words(question):
            key = fold(word)
            if word not in self.vocabulary and len(word) >= MIN_VARIANT_CHARS:
                added.update(dict.fromkeys(self.variants.get(key, ())))
            added.update(dict.fromkeys(self.aliases.get(key, ())))
        asked = set(words(question))
        return [w for w in added if w not in asked]


def mine_names(texts: Iterable[str]) -> NameList:
    """Mine spelling variants and parenthesised aliases from ``texts`` (passages or documents)."""
    variants: dict[str, dict[str, None]] = {}
    aliases: dict[str, dict[str, None]] = {}
    vocabulary: set[str] = set()

    def link(alias: str, name: list[str]) -> None:
        aliases.setdefault(fold(alias), {}).update(dict.fromkeys(w for w in name if w != alias))

    for text in texts:
        for word in words(text):
            vocabulary.add(word)
            if len(word) >= MIN_VARIANT_CHARS:
                variants.setdefault(fold(word), {})[word] = None
        for match in _ACRONYM_RE.finditer(text):
            name = _name_before(match.group(1), match.group(2))
            if name:
                link(words(match.group(2))[0], words(" ".join(name)))
        for match in _GLOSS_RE.finditer(text):
            term, gloss = words(match.group(1)), words(match.group(2))
            if 0 < len(gloss) <= MAX_GLOSS_WORDS and len(term) == 1:
                link(term[0], gloss)
            if len(gloss) == 1 and 0 < len(term) <= MAX_GLOSS_WORDS:
                link(gloss[0], term)
    return NameList(
        variants={k: tuple(v) for k, v in variants.items()},
        aliases={k: tuple(v) for k, v in aliases.items() if v},
        vocabulary=frozenset(vocabulary),
    )
