"""Numbers, years, percentages and dates in a sentence, in forms that compare across TR and EN.

``2,5`` and ``2.5`` are the same number; ``1.000`` and ``1,000`` may be a thousand or one; ``%25``
and ``25%`` are 25; "Ekim" and "October" are month 10. A figure is written the Turkish or the
English way, so every reading of it is kept and two figures match when any readings agree.
"""

from __future__ import annotations

import re

from index.analysis import turkish_casefold
from qa import strings

_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
_ENGLISH_MONTHS = {name.lower(): n for n, name in enumerate(strings.TURKISH_MONTHS_EN.values(), start=1)}
_TURKISH_MONTHS = {name: n for n, name in enumerate(strings.TURKISH_MONTHS_EN, start=1)}
_MONTHS = {**_ENGLISH_MONTHS, **_TURKISH_MONTHS}
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
# A month name counts only next to a day or a year: "aralık" is also "interval", "ekim" "sowing".
_MONTH_RE = re.compile(
    rf"(?:\b\d{{1,2}}\.?\s+({_MONTH_WORDS})\b)|(?:\b({_MONTH_WORDS})\s+\d{{1,4}}\b)", re.IGNORECASE
)


def _decimal(token: str) -> str:
    whole, _, fraction = token.replace(",", ".").partition(".")
    fraction = fraction.rstrip("0")
    whole = whole.lstrip("0") or "0"
    return f"{whole}.{fraction}" if fraction else whole


def readings(token: str) -> frozenset[str]:
    """Every canonical value ``token`` (digits with ``.``/``,``) can be read as."""
    forms = set()
    if _THOUSANDS_RE.fullmatch(token):
        forms.add(re.sub(r"[.,]", "", token).lstrip("0") or "0")
    if token.count(".") + token.count(",") <= 1:
        forms.add(_decimal(token))
    if not forms:  # e.g. a dotted date "12.10.2022": compare its parts
        forms.update(part.lstrip("0") or "0" for part in re.split(r"[.,]", token))
    return frozenset(forms)


def numbers(text: str) -> list[str]:
    """The numeric tokens of ``text``, as written."""
    return _NUMBER_RE.findall(text)


def all_readings(text: str) -> frozenset[str]:
    """Every reading of every number in ``text``, plus each part of dotted tokens."""
    out: set[str] = set()
    for token in numbers(text):
        out |= readings(token)
        out.update(part.lstrip("0") or "0" for part in re.split(r"[.,]", token))
    return frozenset(out)


def months(text: str) -> dict[str, int]:
    """Month names used in dates in ``text`` (as written) and their numbers 1..12."""
    found = {}
    for match in _MONTH_RE.finditer(text):
        word = match.group(1) or match.group(2)
        found[word] = _MONTHS[turkish_casefold(word)]
    return found


def missing(claim: str, source: str) -> list[str]:
    """The figures of ``claim`` (numbers and date months) that ``source`` does not contain."""
    have = all_readings(source)
    out = [token for token in numbers(claim) if not readings(token) & have]
    source_months = set(months(source).values())
    out += [word for word, month in months(claim).items() if month not in source_months]
    return out
