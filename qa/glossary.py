"""English questions put into the report's Turkish words through a glossary.

``multilingual-e5-small`` matches an English question to a Turkish passage less well than a
Turkish one (tune split, hit@1 0.79 against 0.93). A glossary of the report's own vocabulary
(``qa/data/glossary_tr_en.tsv``: each Turkish word form with the English words for it) turns an
English question into Turkish words, word by word, for two more rankings in ``qa.retrieval``:

* :attr:`Translation.terms`: every Turkish form of every translated word, searched with BM25;
* :attr:`Translation.text`: one Turkish form per question word (untranslated words, such as
  names, kept as they are), embedded as a Turkish query and matched against sentences.

A crude word-by-word gloss helps only when it covers the question: it is used when at least
``MIN_COVERAGE`` of the question's content words have a translation that occurs in the index,
so a question on another subject, or an index without the glossary's Turkish words (an English
corpus), is searched as before.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from index.analysis import analyze, turkish_casefold

# Share of the question's content words that must translate into words of the index. Below
# it the gloss is mostly the untranslated words and adds noise: on XQuAD (other subjects,
# where the report's glossary covers little) 0.7 left every setting at or above its level.
MIN_COVERAGE = 0.7
# Longest English phrase looked up as one entry ("National Intelligence Organization").
MAX_PHRASE = 3

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Question words carry no content to translate; the BM25 list lacks some of them.
_STOPWORDS = frozenset(STOPWORDS_EN) | {
    "report", "according", "say", "says", "does", "did", "do", "what", "which", "who", "when", "where", "why",
    "how", "many", "much",
}


def default_glossary_path() -> Path:
    """The glossary shipped for the bundled report."""
    return Path(__file__).resolve().parent / "data" / "glossary_tr_en.tsv"


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _content_stems(text: str) -> list[tuple[str, str]]:
    """(word, English stem) of each content word of ``text``, in order."""
    stem = _stemmer().stemWord
    return [(w, stem(w.lower())) for w in _WORD_RE.findall(text) if w.lower() not in _STOPWORDS]


@dataclass(frozen=True)
class Translation:
    """An English question in the index's Turkish words."""

    text: str  # one Turkish form per content word, untranslated words kept: embedded as a query
    terms: str  # every Turkish form of the translated words, one per analysed term: the BM25 query
    coverage: float  # share of content words translated into words of the index


class Glossary:
    """English stems (and phrases of up to ``MAX_PHRASE`` stems) → the Turkish forms glossed with them."""

    def __init__(self, entries: list[tuple[str, list[str]]]) -> None:
        """``entries``: (Turkish form, its English glosses), most frequent form first."""
        self._forms: dict[tuple[str, ...], list[str]] = {}
        # A name's own spelling ("Berne", "OTS") → the forms glossed with it.
        self._named: dict[str, list[str]] = {}
        self._glosses: dict[str, list[str]] = {}
        for form, glosses in entries:
            self._glosses.setdefault(form, []).extend(glosses)
            for gloss in glosses:
                if gloss[:1].isupper() and " " not in gloss:
                    self._named.setdefault(gloss, []).append(form)
                key = tuple(s for _, s in _content_stems(gloss))
                if key and len(key) <= MAX_PHRASE and form not in self._forms.setdefault(key, []):
                    self._forms[key].append(form)

    def __len__(self) -> int:
        return len(self._forms)

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read a glossary file: ``form<TAB>gloss; gloss; …`` per line, ``#`` lines are comments.

        Raises:
            ValueError: the file cannot be read, or a line has no tab (the message names the line).
        """
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the glossary ({exc})") from exc
        entries = []
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            if "\t" not in line:
                raise ValueError(f"{path}, line {number}: expected 'Turkish form<TAB>English; English', got {line!r}")
            form, glosses = line.split("\t", 1)
            entries.append((form.strip(), [g.strip() for g in glosses.split(";") if g.strip()]))
        return cls(entries)

    def forms(self, word: str) -> list[str]:
        """The Turkish forms glossed with the English ``word`` ("OTS" → ["tdt"]), most frequent first."""
        return list(self._forms.get(tuple(s for _, s in _content_stems(word)), []))

    def named(self, word: str) -> list[str]:
        """The Turkish forms glossed with the name ``word`` as written ("Berne" → ["bern"], "OTS" →
        ["tdt"]; "World" → [], as "dünya" is glossed "world")."""
        return list(self._named.get(word, []))

    def glosses(self, form: str) -> list[str]:
        """The English glosses of the Turkish ``form`` (any case), as the file lists them."""
        return list(self._glosses.get(turkish_casefold(form), []))

    def _segments(self, text: str) -> Iterator[tuple[str, list[str]]]:
        """The content words of ``text``, longest glossed phrases first: (words, Turkish forms or [])."""
        words = _content_stems(text)
        i = 0
        while i < len(words):
            for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                forms = self._forms.get(tuple(s for _, s in words[i : i + n]))
                if forms:
                    yield " ".join(w for w, _ in words[i : i + n]), forms
                    i += n
                    break
            else:
                yield words[i][0], []
                i += 1

    def translate(self, question: str, vocabulary: Container[str]) -> Translation | None:
        """``question`` in the Turkish words of an index whose analysed terms are ``vocabulary``.

        None when fewer than ``MIN_COVERAGE`` of its content words translate into words of the
        index (or it has none).
        """
        segments = list(self._segments(question))
        words = sum(len(original.split()) for original, _ in segments)
        if not words:
            return None
        known = [(original, [f for f in forms if any(t in vocabulary for t in analyze(f))])
                 for original, forms in segments]
        covered = sum(len(original.split()) for original, forms in known if forms)
        if covered / words < MIN_COVERAGE:
            return None
        text: list[str] = []
        terms: dict[str, str] = {}
        for original, forms in segments:
            text.append(_first_distinct(forms) or original)
            for form in forms:
                for term in analyze(form):
                    terms.setdefault(term, form)
        return Translation(" ".join(text), " ".join(terms.values()), round(covered / words, 3))


def _first_distinct(forms: list[str]) -> str:
    """The first form that survives analysis (not a stopword or a fragment), or ''."""
    return next((f for f in forms if analyze(f)), "")
