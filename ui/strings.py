"""Every fixed string of the web chat, in Turkish and English (the answer text comes from qa.strings)."""

from __future__ import annotations

from html import escape
from typing import Literal

Lang = Literal["tr", "en"]
LANGUAGES: tuple[Lang, ...] = ("tr", "en")
DEFAULT_LANGUAGE: Lang = "tr"
PAGE_TITLE = "Rapor Asistanı · Report Assistant"
# The /ask API speaks English, like the CLI's errors.
API_BAD_LANGUAGE = "language must be 'tr', 'en' or empty (the question's language), got {language!r}"
API_TOO_LARGE = "request body over the limit of {limit} bytes"
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
        "question_placeholder": "Rapor hakkında bir soru yazın",
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
        "eval_tab": "Değerlendirme",
        "eval_intro": "Aramayı (hit@1, hit@5, MRR@10, nDCG@10) ve cevapları test sorularıyla ölçün: projeyle gelen "
        "geliştirme soruları ya da kendi JSONL dosyanız (biçimi docs/evaluation.md dosyasında).",
        "eval_retriever": "Arama yöntemi",
        "eval_all": "Hepsi (karşılaştırma)",
        "eval_run": "Değerlendir",
        "eval_metrics": "Ölçümler",
        "eval_chart": "Arama yöntemine ve dile göre ölçümler",
        "eval_progress": "Değerlendiriliyor",
        "eval_column_retriever": "yöntem",
        "eval_column_scope": "kapsam",
        "eval_column_answered": "cevaplanan",
        "eval_column_cited": "doğru kaynak",
        "eval_column_declined": "reddedilen",
        "eval_status": "{source} dosyasındaki {n} soru ({answerable} tanesi cevaplanabilir) {modes} ile, k={k}, "
        "{seconds} saniyede değerlendirildi. Ölçümler cevaplanabilir soruların ortalamasıdır, %95 bootstrap "
        "aralıklarıyla; “{answered}” ve “{cited}” cevaplanabilir soruların, “{declined}” cevaplanamayanların "
        "oranıdır.",
        "eval_bad_file": "Soru dosyası kullanılamıyor",
        "eval_cannot_run": "Değerlendirme yapılamıyor",
        "eval_per_question": "Soru başına: ilgili bir pasaj ilk {k} sonuçtaysa (ilkinin sırası #n ile) ya da "
        "cevaplanamayan bir soru geri çevrildiyse ✓. Pasajlarını görmek için bir soruya tıklayın; kanıt "
        "vurgulanmıştır.",
        "eval_answered": "cevapladı",
        "eval_answered_cited": "cevapladı, doğru kaynakla",
        "eval_answered_uncited": "cevapladı, doğru kaynak yok",
        "eval_declined": "geri çevirdi",
        "eval_miss": "bulamadı",
        "eval_evidence": "Kanıt:",
        "eval_relevant_passages": "İlgili pasajlar: {ids}",
        "eval_unanswerable": "Belgelerden cevaplanamaz: araç cevap vermemeli.",
        "eval_answer": "{retriever} cevabı: {answer}",
        "eval_relevant": "ilgili",
        "eval_retrieved": "Getirilen pasajlar (ilk {n}):",
        # issue 13: phone layout, input hints, off-topic questions, footer, upload, chart, accessibility
        "footer": "Her şey bu bilgisayarda çalışır; hiçbir soru dışarı gönderilmez. Programlar için: /ask API'si "
        "(README).",
        "hint_empty": "Önce bir soru yazın.",
        "hint_too_long": "Soru çok uzun ({n} karakter, en çok {limit}): gönderilmedi, lütfen kısaltın.",
        "counter": "{n} / {limit} karakter",
        "off_topic": "Bu soru raporun konusu dışında görünüyor. Rapor, Türk dünyasında istihbarat paylaşımını "
        "ele alıyor; bu konuda bir soru sorabilirsiniz.",
        "off_topic_note": "Raporun konusu dışında: pasaj gösterilmiyor.",
        "answer_sources": "Kaynakları göster ({n})",
        "cite_label": "Kaynak {n}: {where}",
        "eval_upload": "Soru dosyası yükle (JSONL)",
        "eval_file_dev": "Soru dosyası: projeyle gelen geliştirme soruları",
        "eval_file_chosen": "Soru dosyası: {name}",
        "eval_file_reset": "Geliştirme sorularına dön",
        "eval_table_label": "Ölçüm tablosu",
        "chart_ylabel": "skor (hata çubukları: %95 bootstrap aralığı)",
        "chart_title": "{source} ile arama (k={k})",
        "chart_all": "tümü",
        "hits_label": "Arama sonuçları",
        "sources_label": "Kaynaklar paneli",
        # issue 14: the status line names the search backend and where it lives (never a token)
        "status_backend": "arama: {backend} · {location}",
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
        "question_placeholder": "Ask about the report",
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
        "eval_tab": "Evaluation",
        "eval_intro": "Measure retrieval (hit@1, hit@5, MRR@10, nDCG@10) and answers on test questions: the shipped "
        "dev questions, or your own JSONL file (format in docs/evaluation.md).",
        "eval_retriever": "Retriever",
        "eval_all": "All (compare)",
        "eval_run": "Run evaluation",
        "eval_metrics": "Metrics",
        "eval_chart": "Metrics per retriever and language",
        "eval_progress": "Evaluating",
        "eval_column_retriever": "retriever",
        "eval_column_scope": "scope",
        "eval_column_answered": "answered",
        "eval_column_cited": "cited",
        "eval_column_declined": "declined",
        "eval_status": "Evaluated {n} questions ({answerable} answerable) from {source} with {modes}, k={k}, in "
        "{seconds} s. Metrics are means over answerable questions with 95% bootstrap intervals; “{answered}” and "
        "“{cited}” are shares of answerable questions, “{declined}” of unanswerable ones.",
        "eval_bad_file": "The question file cannot be used",
        "eval_cannot_run": "Cannot evaluate",
        "eval_per_question": "Per question: ✓ when a relevant passage is in the top {k} (#rank of the first one), "
        "or when an unanswerable question is declined. Click a question for its passages; evidence is highlighted.",
        "eval_answered": "answered",
        "eval_answered_cited": "answered, correct citation",
        "eval_answered_uncited": "answered, no correct citation",
        "eval_declined": "declined",
        "eval_miss": "miss",
        "eval_evidence": "Evidence:",
        "eval_relevant_passages": "Relevant passages: {ids}",
        "eval_unanswerable": "Not answerable from the documents: the tool should decline.",
        "eval_answer": "{retriever} answer: {answer}",
        "eval_relevant": "relevant",
        "eval_retrieved": "Retrieved passages (top {n}):",
        # issue 13: phone layout, input hints, off-topic questions, footer, upload, chart, accessibility
        "footer": "Everything runs on this machine; no question leaves it. For programs: the /ask API (README).",
        "hint_empty": "Type a question first.",
        "hint_too_long": "The question is too long ({n} characters, at most {limit}): not sent, please shorten it.",
        "counter": "{n} / {limit} characters",
        "off_topic": "This question does not seem to be about the report. The report is about intelligence "
        "sharing among the Turkic states; feel free to ask about that.",
        "off_topic_note": "Not about the report: no passages shown.",
        "answer_sources": "Show sources ({n})",
        "cite_label": "Source {n}: {where}",
        "eval_upload": "Upload a question file (JSONL)",
        "eval_file_dev": "Question file: the shipped dev questions",
        "eval_file_chosen": "Question file: {name}",
        "eval_file_reset": "Back to the dev questions",
        "eval_table_label": "Metrics table",
        "chart_ylabel": "score (error bars: 95% bootstrap CI)",
        "chart_title": "Retrieval on {source} (k={k})",
        "chart_all": "all",
        "hits_label": "Search results",
        "sources_label": "Sources panel",
        # issue 14: the status line names the search backend and where it lives (never a token)
        "status_backend": "search: {backend} · {location}",
    },
}


# Issue 12 step 5: the Documents tab (ui/documents_tab.py); merged into UI below, in one block.
_DOCUMENTS: dict[Lang, dict[str, str]] = {
    "tr": {
        "docs_tab": "Belgeler",
        "docs_caption": "Dizindeki belgeler",
        "docs_none": "Dizinde belge yok.",
        "docs_col_name": "Dosya",
        "docs_col_title": "Başlık",
        "docs_col_type": "Tür",
        "docs_col_pages": "Sayfa",
        "docs_col_passages": "Pasaj",
        "docs_col_status": "Durum",
        "docs_indexed": "dizinde",
        "docs_skipped": "atlandı: {reason}",
        "docs_hint": "Belge yükleyin ({types}; en çok {limit} MiB). Yalnızca yüklenen dosya okunur ve dizine eklenir.",
        "docs_disabled": "Yükleme kapalı: sohbet ağa açık ve parola yok. Yüklemek için --auth KULLANICI:PAROLA "
                         "ile ya da yalnızca bu bilgisayarda (127.0.0.1) çalıştırın.",
        "docs_upload": "Belge yükle",
        "docs_indexing": "Belge okunuyor ve dizine ekleniyor…",
        "docs_added": "Eklendi ve dizine alındı: {names}",
        "docs_removed": "Kaldırıldı: {name}",
        "docs_remove_choice": "Kaldırılacak belge",
        "docs_remove": "Kaldır",
        "docs_filter": "Soruları şu belgelerle sınırla",
        "docs_filter_info": "Boş bırakılırsa tüm belgeler aranır.",
        "docs_err_disabled": "Yükleme kapalı: sohbet ağa açık ve parola yok (--auth ile açın).",
        "docs_err_upload_type": "Bu dosya türü okunamıyor. Yalnızca {types} dosyaları yüklenebilir. ({detail})",
        "docs_err_upload_size": "Dosya çok büyük: sınır {limit} MiB (max_file_mb ayarı). ({detail})",
        "docs_err_upload_empty": "Dosya boş (0 bayt). ({detail})",
        "docs_err_upload_exists": "Bu adda bir belge zaten var; önce onu kaldırın. ({detail})",
        "docs_err_upload_name": "Dosya adında kullanılabilir karakter yok; dosyayı yeniden adlandırın. ({detail})",
        "docs_err_upload_unknown": "Böyle bir belge yok. ({detail})",
        "docs_err_other": "Belge eklenemedi: {detail}",
        "docs_err_unread": "Dosya kaydedildi ama okunamadı, dizine alınmadı (kaldırabilirsiniz): {detail}",
    },
    "en": {
        "docs_tab": "Documents",
        "docs_caption": "Indexed documents",
        "docs_none": "No documents in the index.",
        "docs_col_name": "File",
        "docs_col_title": "Title",
        "docs_col_type": "Type",
        "docs_col_pages": "Pages",
        "docs_col_passages": "Passages",
        "docs_col_status": "Status",
        "docs_indexed": "indexed",
        "docs_skipped": "skipped: {reason}",
        "docs_hint": "Upload documents ({types}; at most {limit} MiB). Only the uploaded file is read and indexed.",
        "docs_disabled": "Uploads are off: the chat is open to the network without a password. Run it with "
                         "--auth USER:PASSWORD, or on this computer only (127.0.0.1), to upload.",
        "docs_upload": "Upload documents",
        "docs_indexing": "Reading and indexing the document…",
        "docs_added": "Added and indexed: {names}",
        "docs_removed": "Removed: {name}",
        "docs_remove_choice": "Document to remove",
        "docs_remove": "Remove",
        "docs_filter": "Limit questions to these documents",
        "docs_filter_info": "Leave empty to search every document.",
        "docs_err_disabled": "Uploads are off: the chat is open to the network without a password (turn on --auth).",
        "docs_err_upload_type": "This file type cannot be read. Only {types} files can be uploaded. ({detail})",
        "docs_err_upload_size": "The file is too large: the limit is {limit} MiB (setting max_file_mb). ({detail})",
        "docs_err_upload_empty": "The file is empty (0 bytes). ({detail})",
        "docs_err_upload_exists": "A document of this name is already there; remove it first. ({detail})",
        "docs_err_upload_name": "The file name has no usable characters; rename the file. ({detail})",
        "docs_err_upload_unknown": "No such document. ({detail})",
        "docs_err_other": "The document could not be added: {detail}",
        "docs_err_unread": "The file was stored but could not be read, so it is not indexed (you may remove it): "
                           "{detail}",
    },
}
for _lang in LANGUAGES:
    UI[_lang].update(_DOCUMENTS[_lang])


def text(lang: str, key: str, **values: object) -> str:
    """The fixed string ``key`` in ``lang`` (the default language for anything unknown), formatted with ``values``."""
    template = UI[ui_language(lang)][key]
    return template.format(**values) if values else template


def html_text(lang: str, key: str, **markup: str) -> str:
    """The string ``key`` in ``lang`` as HTML: its own text escaped, ``markup`` (already safe HTML) put in."""
    return escape(UI[ui_language(lang)][key]).format(**markup)


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


# --- issue 10: generated answers (ui/streaming.py) ---
LLM_UI: dict[Lang, dict[str, str]] = {
    "tr": {
        "writing": "{model} yazıyor… (cümleler kaynaklarıyla karşılaştırılacak)",
        "generated": "{model} tarafından üretildi; her cümle kaynağıyla karşılaştırıldı.",
        "dropped": "{n} cümle kaynağı desteklemediği için çıkarıldı.",
        "fallback": "Dil modeli kullanılamadı ({reason}); rapordan alıntılar gösteriliyor.",
    },
    "en": {
        "writing": "{model} is writing… (sentences will be checked against their sources)",
        "generated": "Generated by {model}; every sentence was checked against its source.",
        "dropped": "{n} sentence(s) removed: their sources did not support them.",
        "fallback": "The language model was unavailable ({reason}); showing quotes from the report.",
    },
}
