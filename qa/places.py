"""Countries and cities by their Turkish and English names (``qa/data/places.txt``), and the signal they give.

A question about one place is not answered by a sentence about another: "How many facilities
does the US operate in Australia?" is not answered by "ABD, Japonya’daki yaklaşık 100 ayrı
tesiste …". :func:`place_conflict` says when the best sentence names some other place and not
every place the question names, which the answerability model weighs (``qa.answerability``).
Places are told apart by their whole names, not by BM25's five-letter stems, which make one
place of Avustralya and Avusturya.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.analysis import WORD_RE, strip_apostrophe_suffix, turkish_casefold


def _words(text: str) -> list[str]:
    """``text``'s words as gazetteer names are kept: casefolded, a suffix after an apostrophe dropped."""
    return [strip_apostrophe_suffix(w) for w in WORD_RE.findall(turkish_casefold(text))]


@lru_cache(maxsize=1)
def default_places_path() -> Path:
    """The gazetteer shipped with the project (resolved once: it is asked for every sentence)."""
    return Path(__file__).resolve().parent / "data" / "places.txt"


KINDS = ("country", "city")


@dataclass(frozen=True)
class Place:
    """A country or city of the gazetteer, by its first (Turkish) name."""

    name: str
    kind: str


@lru_cache(maxsize=4)
def load_places(path: Path) -> dict[tuple[str, ...], Place]:
    """Each place name (as casefolded words) → its place.

    One place per line: ``country`` or ``city``, a tab, then its names separated by ``;``, the
    Turkish one first ("country<TAB>ABD; Amerika; USA"); ``#`` lines are comments.

    Raises:
        ValueError: a line has no known kind (the message names the line).
    """
    names: dict[tuple[str, ...], Place] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, rest = line.partition("\t")
        if kind not in KINDS or not rest.strip():
            raise ValueError(f"{path}, line {number}: expected 'country|city<TAB>name; name', got {line!r}")
        forms = [f.strip() for f in rest.split(";") if f.strip()]
        for form in forms:
            names[tuple(turkish_casefold(form).split())] = Place(forms[0], kind)
    return names


def places_in(text: str, names: dict[tuple[str, ...], Place], kind: str | None = None) -> set[str]:
    """The places ``text`` names, of ``kind`` only when given (a name with a suffix after an
    apostrophe counts: "Ankara’da")."""
    words = _words(text)
    longest = max((len(k) for k in names), default=0)
    found = set()
    for i in range(len(words)):
        for n in range(1, longest + 1):
            place = names.get(tuple(words[i : i + n]))
            if place is not None and (kind is None or place.kind == kind):
                found.add(place.name)
    return found


@lru_cache(maxsize=16384)
def _named_places(text: str, path: Path, kind: str | None) -> frozenset[str]:
    """:func:`places_in` of the gazetteer at ``path``, cached: answer selection asks it of the
    same question and sentences for every candidate sentence."""
    return frozenset(places_in(text, load_places(path), kind))


def place_conflict(question: str, sentence: str, path: Path | None = None) -> bool:
    """Whether ``sentence`` names a place ``question`` does not, and lacks one that it does."""
    path = path or default_places_path()
    asked, said = _named_places(question, path, None), _named_places(sentence, path, None)
    return bool(asked - said) and bool(said - asked)


def new_places(question: str, sentence: str, kind: str | None = None) -> set[str]:
    """The places (of ``kind``) that ``sentence`` names and ``question`` does not."""
    path = default_places_path()
    return set(_named_places(sentence, path, kind) - _named_places(question, path, kind))


def countries_in(text: str) -> frozenset[str]:
    """The countries of the shipped gazetteer that ``text`` names."""
    return _named_places(text, default_places_path(), "country")


def is_place(name: str) -> bool:
    """Whether ``name`` (a suffix after an apostrophe allowed) is a country or city of the gazetteer."""
    return tuple(_words(name)) in load_places(default_places_path())
