"""Every user-facing sentence of the answer side, in Turkish and English."""

from __future__ import annotations

# The sentinel answer when the report does not answer the question; tests check it.
CANNOT_ANSWER = {
    "tr": "Bu sorunun cevabını raporda bulamadım. En yakın pasajlar aşağıda; kendiniz değerlendirebilirsiniz.",
    "en": "I could not find the answer to this question in the report. "
    "The closest passages are listed below so you can judge for yourself.",
}
ANSWER_LEAD = {
    "tr": "Rapora göre:",
    "en": "The report (in Turkish) says:",
}
# English answers quote Turkish sentences; dates in them are repeated in English.
DATES_NOTE_EN = "Dates mentioned: {dates}."

TURKISH_MONTHS_EN = {
    "ocak": "January", "şubat": "February", "mart": "March", "nisan": "April",
    "mayıs": "May", "haziran": "June", "temmuz": "July", "ağustos": "August",
    "eylül": "September", "ekim": "October", "kasım": "November", "aralık": "December",
}

EMPTY_QUESTION = "the question is empty: type a question about the report"
QUESTION_TOO_LONG = "the question has {n} characters, over the limit of {limit}: shorten it"
NO_WORDS = "the question has no letters or digits: type a question in words"
BAD_K = "-k must be between 1 and {limit}, got {k}"
