"""What a question asks for and whether a sentence carries it: the text signals of answerability.

Pure functions on the question and sentence texts (no model, no index), used by the
answerability features (``qa.answerability``) and by answer selection
(``qa.answerers.extractive``):

* :func:`expected_type` / :func:`carries_type`: the answer type a question expects (month,
  date, number, person, city, country, named body, place, list of names) and whether a
  sentence holds one the question lacks;
* :func:`clauses`: a sentence cut into clauses, to find the one that holds an answer;
* :func:`terms_missing`: the question's rare terms absent from the quotes;
* :func:`number_missing`: a number the question names that the sentence lacks;
* :func:`is_yes_no`: a yes/no question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.analysis import WORD_RE, analyze, turkish_casefold
from qa.names import spelled_alike
from qa.places import countries_in, is_place, new_places
from qa.strings import TURKISH_MONTHS_EN

# A question word found in at most this many passages is specific to the question.
SPECIFIC_DF = 3

# Expected answer types, in the order they are tried ("kaç yılında" asks for a date, not a number).
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "On what exact date …?", "tam olarak hangi gün …?": the day, not the year alone.
    ("day", re.compile(r"\b(exact date|(which|what) day(?! of the week)|hangi gün\w*|tam tarih\w*)\b")),
    # "Which month of 2019 …?" is not answered by the year alone: a month name is asked for.
    ("month", re.compile(r"\b(hangi ay(da|ı|ında)?|(which|what) month)\b")),
    # English "when" asks for a date only at the start ("What happens when …" does not), and not
    # for conditions: "When is cooperation more likely?", and the habitual "When does cooperation
    # arise?" as against "When did it start?". Likewise "ne zaman" before a verb in the aorist,
    # the tense of what usually happens ("… ne zaman ortaya çıkar?", not "… imzalanmıştır?"), asks
    # for a condition.
    ("date", re.compile(
        r"(^|\b(since|until) )when\b(?! (does|do|can|could|should|would|might|may)\b)"
        r"(?!.*\b(likely|possible|useful|necessary)\b)|"
        r"\b(ne zaman(?! (\w+ )?(?!\w*[dt][ıiuü]r\W*$)\w+(ar|er|ır|ir|ur|ür|maz|mez)\W*$)|"
        r"hangi (yıl|tarih|dönem)\w*|kaç yılında|tarihi(nde)?|what year|which year|what date|in what year|"
        r"on what date)\b")),
    # A quantity named ("What is the population of Kazakhstan?") asks for a number too.
    ("number", re.compile(
        r"\b(kaç|ne kadar|bütçe\w*|nüfus\w*|maaş\w*|how many|how much|how long|how old|what percentage|"
        r"number of|budget|population|gdp|salary)\b")),
    # "Who is Orhan Inandi?" / "X kimdir?" asks for a description, not a name: not a person question;
    # but "Who was Azerbaijan's president …?" / "… cumhurbaşkanı kimdi?" asks for the holder of a post.
    ("person", re.compile(
        r"\b(who(?! (is|was|are|were) (?!the |a |an |\w+['’]s ))|whom|kim|kime|kimi|kimin|"
        r"(başkanı|cumhurbaşkanı|başbakanı|bakanı|lideri|sekreteri|direktörü|müdürü|komutanı|sözcüsü) "
        r"kim(di|dir|lerdi|lerdir))\b")),
    # One city, one country, or a place of either kind ("hangi ülkede" is one country; "hangi
    # ülkeler" is a list, below). "which Azerbaijani city": up to two words in between.
    ("city", re.compile(
        r"\b(hangi (\w+ ){0,2}(şehir|şehr|kent)\w*|başkent\w*|(which|what) (\w+ ){0,2}(city|town)|capital)\b")),
    ("country", re.compile(r"\b(hangi (\w+ ){0,2}ülke(de|den|ye|yi|si|nin)?|(which|what) (\w+ ){0,2}country)\b")),
    # A named body: "which agency", "what is the name of …", "hangi kurumla", "servisinin adı nedir".
    ("body", re.compile(
        r"\b((which|what) (\w+ ){0,2}(agency|agencies|organi[sz]ations?|services?|institutions?|bodies|body)|"
        r"what is the name of|(adı|ismi) (nedir|ne)|hangi (\w+ ){0,2}(kurum|kuruluş|servis|teşkilat|örgüt)"
        r"(u|a|la|dan|un|lar\w*)?)\b")),
    ("place", re.compile(r"\b(nerede|nereye|nereden|neresi\w*|where)\b")),
    # Several countries or states: a list of names.
    # "hangi Kuzey Afrika ülkelerine", "which Central Asian states": up to two words in between.
    ("names", re.compile(
        r"\b(hangi (\w+ ){0,2}(ülke|devlet)\w*|(which|what) (\w+ ){0,2}(countries|states|nations))\b")),
)
_PERIOD_RE = re.compile(r"\b(dönem\w*|era|period)\b")
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUMBER_RE = re.compile(r"\d+")
# A count stands on its own: not part of a name ("F-16") or a code.
_COUNT_RE = re.compile(r"(?<![\w\-/])\d+")
_MONTHS = tuple(TURKISH_MONTHS_EN)
_MONTHS_EN = tuple(month.lower() for month in TURKISH_MONTHS_EN.values())
# A day of the month ("20 Mayıs") is part of a date, not a count.
_DAY_RE = re.compile(rf"\b\d{{1,2}}\s+({'|'.join(_MONTHS)})\b", re.IGNORECASE)
# The same in English, either order: "20 May 1998", "May 20, 1998".
_MONTH_NAMES_EN = "|".join(TURKISH_MONTHS_EN.values())
_DAY_EN_RE = re.compile(rf"\b(\d{{1,2}}\s+({_MONTH_NAMES_EN})|({_MONTH_NAMES_EN})\s+\d{{1,2}})\b")
_NUMBER_WORDS = frozenset(
    [
        "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz", "on", "yirmi", "otuz", "kırk", "elli", "altmış",
        "yetmiş", "seksen", "doksan", "yüz", "bin", "milyon", "milyar", "onlarca", "yüzlerce", "binlerce",
    ]
)
_NAME_RUN_RE = re.compile(r"[A-ZÇĞİÖŞÜ][\w’']+(?:\s+[A-ZÇĞİÖŞÜ][\w’']+)*")
# An acronym of two or more capitals: "NSA", "MİT", "INTCEN".
_ACRONYM_RE = re.compile(r"\b[A-ZÇĞİÖŞÜ]{2,}\b")
# A "who" question that names no state is also answered by this many states named together
# ("Azerbaycan, Kazakistan, … tarafından imzalanan"); one country is more often a modifier
# ("Kırgızistan Cumhurbaşkanı").
AGENT_STATES = 2
# A title followed by a capitalised name: "Cumhurbaşkanı İlham Aliyev" (group 2: the name).
_PERSON_RE = re.compile(
    r"\b(Cumhurbaşkanı|Başkanı|Bakanı|Sekreteri|Lideri|Başbakanı)\s+([A-ZÇĞİÖŞÜ]\w+(?:\s+[A-ZÇĞİÖŞÜ]\w+)*)"
)
# A question about who holds a post ("Who heads X?", "X'in başkanı kim?") is answered by a person
# with that post's title ("Cumhurbaşkanı İlham Aliyev" does not head a secretariat). Tried in order.
_POSTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Başbakanı", re.compile(r"\b(prime minister|başbakanı kim)")),
    ("Cumhurbaşkanı", re.compile(r"\b(president|cumhurbaşkanı kim)")),
    ("Başkanı", re.compile(
        r"\b(who (heads|headed|chairs|chaired|leads|led)|(head|chair\w*) of|başkanı kim|başında kim)"
    )),
    ("Sekreteri", re.compile(r"\b(secretary|sekreteri kim)")),
    ("Bakanı", re.compile(r"\b(minister|bakanı kim)")),
    ("Lideri", re.compile(r"\b(leader|lideri kim)")),
)
# A proper name with a locative or ablative suffix: "Ankara’da", "Avustralya’daki", "Özbekistan’dan".
_PLACE_RE = re.compile(r"\b([A-ZÇĞİÖŞÜ]\w+)['’](d|t)(a|e)(ki|n)?\b")


def _folded(text: str) -> str:
    """Lower case for matching both languages: Turkish rules ("İ"→"i") except for an English "I"."""
    return turkish_casefold(text.replace("I", "i") if not re.search(r"[ğışöüçĞŞÖÜÇİ]", text) else text)


def _months(text: str) -> set[str]:
    """The month names in ``text``: Turkish ones in any case, English ones capitalised ("May 2019", not "may")."""
    turkish = set(re.findall(r"\w+", turkish_casefold(text))) & set(_MONTHS)
    return turkish | ({w.lower() for w in re.findall(r"\b[A-Z][a-z]+\b", text)} & set(_MONTHS_EN))


def expected_type(question: str) -> str | None:
    """The answer type ``question`` asks for: ``day``, ``month``, ``date``, ``number``, ``person``,
    ``city``, ``country``, ``body``, ``place``, ``names``, or None."""
    text = _folded(question)
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def asked_post(question: str) -> str | None:
    """The title of the post whose holder ``question`` asks for ("Who heads …?" → "Başkanı"), or None."""
    text = _folded(question)
    return next((title for title, pattern in _POSTS if pattern.search(text)), None)


def _names_person(name: str, question: str) -> bool:
    """Whether ``question`` already names the person ``name`` ("Sadır Caparov"): one of the name's
    words is one of the question's capitalised words, as spelled there ("Sadyr Japarov")."""
    asked = [w for w in WORD_RE.findall(question) if w[:1].isupper()]
    return any(spelled_alike(part, word) for part in name.split() for word in asked)


def carries_type(kind: str | None, sentence: str, question: str) -> bool:
    """Whether ``sentence`` holds an answer of ``kind`` that ``question`` does not already name."""
    if kind is None:
        return True
    q = turkish_casefold(question)
    s = turkish_casefold(sentence)
    if kind == "day":
        return bool(_DAY_RE.search(sentence) or _DAY_EN_RE.search(sentence))
    if kind == "month":
        return bool(_months(sentence) - _months(question))
    if kind == "date":
        # "Mirziyoyev Dönemi" answers "hangi dönem / which era", but "yeni bir dönem" dates nothing.
        period = "dönem" in s and bool(_PERIOD_RE.search(_folded(question)))
        return any(y not in q for y in _YEAR_RE.findall(sentence)) or any(m in s for m in _MONTHS) or period
    if kind == "number":
        # A count, not a year: "en az 70 sivil", "dört yapısal risk", "6 aya".
        words = set(re.findall(r"\w+", s))
        counts = [n for n in _COUNT_RE.findall(_DAY_RE.sub(" ", sentence)) if not _YEAR_RE.fullmatch(n)]
        return any(n not in q for n in counts) or bool(words & _NUMBER_WORDS)
    if kind == "names":
        # At least two names (runs of capitalised words, the sentence's first word aside) the question lacks.
        runs = [m.group(0) for m in _NAME_RUN_RE.finditer(sentence) if m.start() > 0]
        return sum(1 for run in runs if turkish_casefold(run.split()[0])[:5] not in q) >= 2
    if kind == "person":
        post = asked_post(question)
        if (post is None and not countries_in(question)
                and len(new_places(question, sentence, "country")) >= AGENT_STATES):
            # "Who signed the 1998 protocol?" is answered by the states that signed it; a question
            # that names a state ("Who signed it for Kazakhstan?") asks for someone within it.
            return True
        return any(
            post in (None, m.group(1)) and not _names_person(m.group(2), question)
            for m in _PERSON_RE.finditer(sentence)
        )
    if kind == "body":
        # An acronym ("NSA") or a run of two or more capitalised words ("Savunma İstihbarat Servisi"),
        # the sentence's first word aside, that is no place and that the question does not name.
        names = _ACRONYM_RE.findall(sentence) + [
            m.group(0) for m in _NAME_RUN_RE.finditer(sentence) if m.start() > 0 and " " in m.group(0)
        ]
        return any(turkish_casefold(n.split()[0])[:5] not in q and not is_place(n) for n in names)
    if kind == "country":
        return bool(new_places(question, sentence, "country"))
    # Names in the locative ("Ankara’da") that the question does not name.
    located = {name for name in (turkish_casefold(m.group(1)) for m in _PLACE_RE.finditer(sentence)) if name not in q}
    if kind == "city":
        # A city of the gazetteer, or a name in the locative that is no country.
        countries = {turkish_casefold(c) for c in countries_in(sentence)}
        return bool(new_places(question, sentence, "city")) or bool(located - countries)
    return bool(located)


def specific_terms(question: str, document_frequency: dict[str, int]) -> set[str]:
    """The question's analysed terms that occur in the corpus in at most ``SPECIFIC_DF`` passages."""
    return {t for t in analyze(question) if 0 < document_frequency.get(t, 0) <= SPECIFIC_DF}


# A piece of a sentence of fewer words is no clause of its own ("Ankara’da", "Kazakistan").
MIN_CLAUSE_WORDS = 4


def _short(piece: str) -> bool:
    return len(piece.split()) < MIN_CLAUSE_WORDS


def clauses(sentence: str) -> list[str]:
    """``sentence`` cut into clauses at commas, semicolons and colons.

    A short piece joins the piece after it, and so does a piece that ends in a name before a
    short one (a list: "… 1998 tarihinde Azerbaycan, Kazakistan, Kırgızistan, Türkiye ve
    Türkmenistan tarafından imzalanan protokol …"): in Turkish, what a list or a short phrase
    belongs to comes after it.
    """
    pieces = [p.strip() for p in re.split(r"[,;:]", sentence) if p.strip()]
    out: list[str] = []
    carry = ""
    for i, piece in enumerate(pieces):
        text = f"{carry}, {piece}" if carry else piece
        follows = pieces[i + 1] if i + 1 < len(pieces) else None
        if follows is not None and (_short(piece) or (_short(follows) and piece.split()[-1][:1].isupper())):
            carry = text
        else:
            out.append(text)
            carry = ""
    return out


# Share of a sentence's first clause that the question must name for that clause to be read as
# the subject of the others ("Türk devletleri arasındaki güvenlik iş birliği, 1992 yılında …
# başlamıştır" answers "… güvenlik iş birliği hangi yıl başladı?"; "Bu sürecin istihbarat boyutu,
# 20 Mayıs 1998 tarihinde …" is not about the CIS conference a question asks the date of).
SUBJECT_SHARE = 0.5


def names_subject(clause: str, question: str) -> bool:
    """Whether ``question`` names at least ``SUBJECT_SHARE`` of ``clause``'s analysed terms."""
    terms = set(analyze(clause))
    return bool(terms) and len(terms & set(analyze(question))) / len(terms) >= SUBJECT_SHARE


def terms_missing(question: str, quoted: Iterable[str], document_frequency: dict[str, int]) -> float:
    """Share of the question's specific terms absent from the quoted sentences (0 when it has none)."""
    terms = specific_terms(question, document_frequency)
    if not terms:
        return 0.0
    present: set[str] = set()
    for text in quoted:
        present |= set(analyze(text))
    return len(terms - present) / len(terms)


# "Tablo 1", "Table 2", "9/11": a reference, not a number asked about.
_TABLE_NUMBER_RE = re.compile(r"\b(?:tablo|table)\s*(\d+)", re.IGNORECASE)
_TABLE_REF_RE = re.compile(rf"{_TABLE_NUMBER_RE.pattern}|\d+/\d+", re.IGNORECASE)


def table_numbers(text: str) -> set[str]:
    """The table numbers ``text`` refers to ("Tablo 2'de", "In Table 1")."""
    return set(_TABLE_NUMBER_RE.findall(text))


# "What does INTCEN stand for?", "PNR neyin kısaltması?", "Europol'ün açık adı nedir?"
_EXPANSION_RES = (
    re.compile(r"\bwhat (?:does|do|did) (?:the )?(?:(?:abbreviation|acronym|initials?|letters) )?"
               r"([A-Za-zÇĞİÖŞÜçğıöşü][\w-]*) (?:stand|stands) for\b", re.IGNORECASE),
    # A name, not "the full name of the permanent secretariat": the name starts with a capital.
    re.compile(r"\b(?:[Ww]hat is|[Ww]hat's) the full (?:name|form) of (?:the )?([A-ZÇĞİÖŞÜ][\w-]*)"),
    re.compile(r"\b([A-Za-zÇĞİÖŞÜçğıöşü][\w-]*?)(?:['’]\w+)? (?:kısaltması )?neyin kısaltması", re.IGNORECASE),
    re.compile(r"\b([A-Za-zÇĞİÖŞÜçğıöşü][\w-]*?)['’]\w+ (?:açık adı|açılımı|tam adı)", re.IGNORECASE),
)


def expansion_asked(question: str) -> str | None:
    """The name whose full form ``question`` asks for ("What does INTCEN stand for?" → INTCEN), or None."""
    for pattern in _EXPANSION_RES:
        m = pattern.search(question)
        if m:
            return m.group(1)
    return None


def defines(sentence: str, name: str) -> bool:
    """Whether ``sentence`` spells ``name`` out in parentheses: "INTCEN (European Union …" or "… (PNR)"."""
    n = re.escape(name)
    return bool(re.search(rf"\b{n}['’]?\w*\s*\(|\({n}\)", sentence))


_YES_NO_RE = re.compile(
    r"^(is|are|was|were|has|have|had|does|do|did|can|could|will|would|should)\b|\b(mi|mı|mu|mü)(dir|dır|dur|dür)?\s*\??$"
)


def is_yes_no(question: str) -> bool:
    """Whether ``question`` asks yes or no (an English auxiliary first, or a Turkish question particle last)."""
    return bool(_YES_NO_RE.search(_folded(question.strip())))


def number_missing(question: str, sentence: str) -> bool:
    """Whether ``question`` names a number ("2023") that ``sentence`` does not contain (table numbers aside)."""
    present = set(_NUMBER_RE.findall(sentence))
    return any(n not in present for n in _NUMBER_RE.findall(_TABLE_REF_RE.sub(" ", question)))
