"""Names the documents write: a question that names one is about them, however far its words are.

"MİT'in yıllık bütçesi ne kadar?" and "What is the budget of the OTS?" ask for a detail the
report does not give about something it names. Their few words sit far from the report's
sentences, so by relevance alone they read as off topic, and the user would be told that the
question is not about the report. A question that names one of the documents' own names is about
them: it is declined, when it is, as something the report does not say.

A name is an acronym the documents write ("TDT", "MİT", "CARICC"), a pair of capitalised words
in a row ("Türk Devletleri", "Bern Kulübü"), or a word they write capitalised inside a sentence
and never in lower case ("Europol", "Caparov"), in at most ``MAX_NAME_PASSAGES`` passages, that
the glossary leaves as it is: a name keeps its spelling in English ("Caparov" is "Japarov",
"Bern" is "Berne"); an ordinary word capitalised inside a name does not ("Dünya" of "İkinci
Dünya Savaşı" is "world", "Cumhurbaşkanı" is "President"), so "İkinci dereceden denklem nasıl
çözülür?" is no question about the Second World War although its first word is capitalised.
Months are no names. Nor are places: "Ankara'dan İzmir'e en hızlı nasıl gidilir?" is about
travel, not about the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from difflib import SequenceMatcher
from itertools import pairwise

from index.analysis import WORD_RE, strip_apostrophe_suffix, turkish_casefold
from qa.glossary import Glossary
from qa.places import is_place
from qa.strings import TURKISH_MONTHS_EN

# A capitalised word in more passages than this is the documents' subject as a whole ("Türk"),
# which everyday questions name too ("Türk mutfağının en sevilen yemeği hangisi?").
MAX_NAME_PASSAGES = 3

# How alike (difflib's ratio, Turkish letters folded to ASCII) a name and its English gloss are
# spelled: "Caparov" / "Japarov" 0.86, "Sovyet" / "Soviet" 0.83; "Kulübü" / "club" 0.60.
NAME_LIKENESS = 0.7

_ASCII = str.maketrans("çğıöşüâîû", "cgiosuaiu")


def _words(text: str) -> list[str]:
    return [strip_apostrophe_suffix(w) for w in WORD_RE.findall(text)]


def _acronym(word: str) -> bool:
    return len(word) >= 2 and word.isupper()


def _fold(word: str) -> str:
    return turkish_casefold(word).translate(_ASCII)


def spelled_alike(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one name, written in Turkish and in English letters ("Caparov"
    and "Japarov", "Sadır" and "Sadyr", "İnandı" and "Inandi"; a suffix after an apostrophe
    ignored). Letters are mapped, not compared loosely: "İlham" is not "Islam"."""
    return _romanised(strip_apostrophe_suffix(a)) == _romanised(strip_apostrophe_suffix(b))


def _romanised(name: str) -> str:
    """``name`` in one spelling for both alphabets: English j, y, sh, ch, gh as Turkish c, ı, ş, ç, ğ, then ASCII."""
    word = turkish_casefold(name)
    for english, turkish in (("sh", "ş"), ("ch", "ç"), ("gh", "ğ"), ("j", "c"), ("y", "ı")):
        word = word.replace(english, turkish)
    return _fold(word)


def _kept_in_english(word: str, glossary: Glossary) -> bool:
    """Whether the glossary leaves ``word`` as it is: no gloss, or one spelled alike, and none in lower case."""
    glosses = glossary.glosses(word)
    if any(g[:1].islower() for g in glosses):
        return False
    return not glosses or any(
        SequenceMatcher(None, _fold(word), _fold(g.split()[0])).ratio() >= NAME_LIKENESS for g in glosses
    )


def proper_names(passages: Iterable[Iterable[str]], glossary: Glossary) -> frozenset[str]:
    """The names that ``passages`` (each as its sentences) write, as they write them (see the
    module): single words, and pairs of capitalised words in a row ("Türk Devletleri")."""
    capitalised: Counter[str] = Counter()
    lower: set[str] = set()
    acronyms: set[str] = set()
    pairs: set[str] = set()
    for sentences in passages:
        named: set[str] = set()
        for sentence in sentences:
            words = _words(sentence)
            pairs |= {f"{a} {b}" for a, b in pairwise(words) if a[:1].isupper() and b[:1].isupper()}
            for position, word in enumerate(words):
                if _acronym(word):
                    acronyms.add(word)
                elif not word[:1].isupper():
                    lower.add(word)
                elif position > 0:
                    named.add(word)
        capitalised.update(named)
    single = acronyms | {
        w for w, n in capitalised.items() if n <= MAX_NAME_PASSAGES and turkish_casefold(w) not in lower
    }
    return frozenset(
        w for w in single
        if len(w) > 1 and not is_place(w) and turkish_casefold(w) not in TURKISH_MONTHS_EN
        and (_acronym(w) or _kept_in_english(w, glossary))
    ) | {p for p in pairs if not is_place(p)}


def names_one(question: str, names: frozenset[str], glossary: Glossary) -> bool:
    """Whether ``question`` names one of ``names``: a pair of capitalised words as written, or a
    word as written or as the glossary spells it in English ("OTS" is the report's "TDT",
    "Berne" its "Bern")."""
    words = _words(question)
    if any(f"{a} {b}" in names for a, b in pairwise(words) if a[:1].isupper() and b[:1].isupper()):
        return True
    for word in words:
        if not word[:1].isupper():
            continue
        forms = [word, *(f.upper() if _acronym(word) else f[:1].upper() + f[1:] for f in glossary.named(word))]
        if any(f in names for f in forms):
            return True
    return False
