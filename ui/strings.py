"""Every fixed string of the web chat, in Turkish and English (the answer text comes from qa.strings)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["tr", "en"]
LANGUAGES: tuple[Lang, ...] = ("tr", "en")
DEFAULT_LANGUAGE: Lang = "tr"
PAGE_TITLE = "Rapor Asistanı · Report Assistant"
# The /ask API speaks English, like the CLI's errors.
API_BAD_LANGUAGE = "language must be 'tr', 'en' or empty (the question's language), got {language!r}"
# The switch shows each language under its own name, whatever the interface language.
LANGUAGE_CHOICES = [("Türkçe", "tr"), ("English", "en")]

# Example questions, in both languages on purpose: one click asks them.
EXAMPLES = [
    "1998 protokolünü hangi ülkeler imzaladı?",
    "Kazakistan'ın istihbarat alanındaki güçlü yönleri neler?",
    "FETÖ ile mücadelede hangi ülkelerle koordinasyon yapıldı?",
    "Which agreement did Kazakhstan and Turkey sign in 2022?",
    "What role does Azerbaijan play?",
    "What are the risks of intelligence sharing?",
]

UI: dict[Lang, dict[str, str]] = {
    "tr": {
        "title": "Rapor Asistanı",
        "subtitle": "Rapor hakkında Türkçe ya da İngilizce sorun. Cevaplar rapordan birebir alıntıdır ve "
        "her [n] işareti alıntılanan pasaja götürür. Her şey bu bilgisayarda çalışır.",
        "language": "Arayüz dili",
        "tab_chat": "Sohbet",
        "tab_passages": "Pasajlar",
        "chat_label": "Konuşma",
        "chat_welcome": "Rapora bir soru sorun",
        "chat_placeholder": "Bir soru yazın ya da aşağıdaki örneklerden birini seçin. "
        "Devam soruları (ör. “Peki Kazakistan?”) önceki soruyla birlikte anlaşılır.",
        "question_label": "Sorunuz",
        "question_placeholder": "Ör. 1998 protokolünü hangi ülkeler imzaladı?",
        "send": "Sor",
        "clear": "Temizle",
        "examples": "Örnek sorular",
        "sources_title": "Kaynaklar",
        "sources_empty": "Bir soru sorduğunuzda alıntılanan pasajlar burada, alıntılanan cümle vurgulanmış "
        "olarak listelenir.",
        "turn_heading": "Soru {n}",
        "searched_as": "Önceki soruyla birlikte arandı:",
        "cited": "Alıntılanan pasajlar",
        "declined": "Raporda bu sorunun cevabı yok. En yakın pasajlar:",
        "closest": "En yakın pasajlar",
        "sources_inline": "Kaynaklar",
        "section_missing": "Bölüm belirtilmemiş",
        "paragraph": "paragraf {n}",
        "page": "s. {n}",
        "score": "skor {score}",
        "question_error": "Bu soru sorulamadı: {message}.",
        "error_empty": "Soru boş: rapor hakkında bir soru yazın.",
        "error_too_long": "Soru çok uzun: lütfen kısaltın.",
        "error_no_words": "Soruda harf ya da rakam yok: sorunuzu kelimelerle yazın.",
        "internal_error": "Beklenmeyen bir hata oluştu (ayrıntılar sunucu günlüğünde). Lütfen tekrar deneyin.",
        "search_label": "Raporda ara",
        "search_placeholder": "Aranacak sözcükler ya da bir soru",
        "search": "Ara",
        "k": "Sonuç sayısı",
        "mode": "Arama yöntemi",
        "mode_hybrid": "Karma (anlamsal + BM25)",
        "mode_dense": "Anlamsal",
        "mode_bm25": "BM25 (sözcük)",
        "search_empty": "Raporun pasajlarını sıralı olarak görmek için bir arama yapın.",
        "search_error": "Arama yapılamadı: {message}.",
        "status": "Dizin: {documents} belge · {passages} pasaj · model {model} · oluşturulma {built_at}",
    },
    "en": {
        "title": "Report Assistant",
        "subtitle": "Ask about the report in Turkish or English. Answers quote the report verbatim and "
        "every [n] marker leads to the cited passage. Everything runs on this machine.",
        "language": "Interface language",
        "tab_chat": "Chat",
        "tab_passages": "Passages",
        "chat_label": "Conversation",
        "chat_welcome": "Ask the report a question",
        "chat_placeholder": "Type a question or pick one of the examples below. "
        "Follow-ups (e.g. “And what about Uzbekistan?”) are read together with the previous question.",
        "question_label": "Your question",
        "question_placeholder": "e.g. Which countries signed the 1998 protocol?",
        "send": "Ask",
        "clear": "Clear",
        "examples": "Example questions",
        "sources_title": "Sources",
        "sources_empty": "When you ask a question, the cited passages are listed here with the quoted "
        "sentence highlighted.",
        "turn_heading": "Question {n}",
        "searched_as": "Searched together with the previous question:",
        "cited": "Cited passages",
        "declined": "The report does not answer this question. Closest passages:",
        "closest": "Closest passages",
        "sources_inline": "Sources",
        "section_missing": "No section",
        "paragraph": "paragraph {n}",
        "page": "p. {n}",
        "score": "score {score}",
        "question_error": "This question could not be asked: {message}.",
        "error_empty": "The question is empty: type a question about the report.",
        "error_too_long": "The question is too long: please shorten it.",
        "error_no_words": "The question has no letters or digits: type your question in words.",
        "internal_error": "Something went wrong on the server (details are in its log). Please try again.",
        "search_label": "Search the report",
        "search_placeholder": "Words to look for, or a question",
        "search": "Search",
        "k": "Results",
        "mode": "Retrieval",
        "mode_hybrid": "Hybrid (semantic + BM25)",
        "mode_dense": "Semantic",
        "mode_bm25": "BM25 (keywords)",
        "search_empty": "Search to see the report's passages ranked, with their scores and locations.",
        "search_error": "Could not search: {message}.",
        "status": "Index: {documents} document(s) · {passages} passages · model {model} · built {built_at}",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    """The fixed string ``key`` in ``lang`` (the default language for anything unknown), formatted with ``values``."""
    template = UI[ui_language(lang)][key]
    return template.format(**values) if values else template


def ui_language(code: str | None) -> Lang:
    """Map a language code (e.g. an answer's ``language``) to an interface language."""
    return "en" if code == "en" else "tr" if code == "tr" else DEFAULT_LANGUAGE


def browser_language(accept_language: str | None) -> Lang:
    """The interface language for a browser's Accept-Language header: Turkish if it comes first, else English."""
    for tag in (accept_language or "").split(","):
        primary = tag.split(";")[0].strip().lower()
        if primary.startswith("tr"):
            return "tr"
        if primary.startswith("en"):
            return "en"
    # Neither listed: English is the likelier shared language than Turkish.
    return "en" if accept_language else DEFAULT_LANGUAGE
