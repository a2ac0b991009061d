"""Question language detection (py3langid, restricted to likely languages)."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Languages a user of this report plausibly writes in; restricting the model makes
# short questions far more reliable than open-set identification.
CANDIDATE_LANGUAGES = ("tr", "en", "de", "fr", "es", "ru", "ar", "az", "kk", "uz", "ky", "it", "nl", "pt", "fa")
SUPPORTED = ("tr", "en")
# Below this probability the text is too short to tell; pick the likelier of tr/en.
MIN_CONFIDENCE = 0.5
_TURKISH_ONLY = re.compile(r"[ğĞışŞİ]")


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATE_LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language; 'tr' or 'en' when unsure."""
    if _TURKISH_ONLY.search(text):
        return "tr"
    identifier = _identifier()
    lang, prob = identifier.classify(text)
    if prob >= MIN_CONFIDENCE:
        return lang
    ranked = dict(identifier.rank(text))
    return "tr" if ranked.get("tr", 0.0) > ranked.get("en", 0.0) else "en"


def answer_language(code: str) -> str:
    """The language answers are framed in: Turkish or English."""
    return code if code in SUPPORTED else "en"
