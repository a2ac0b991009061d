"""Every user-facing sentence of the answer side, in Turkish and English."""

from __future__ import annotations

# The sentinel answer when the report does not answer the question; tests check it.
CANNOT_ANSWER = {
    "tr": "Bu sorunun cevabını raporda bulamadım. En yakın pasajlar aşağıda; kendiniz değerlendirebilirsiniz.",
    "en": "I could not find the answer to this question in the report. "
    "The closest passages are listed below so you can judge for yourself.",
}
# Issue 11: a question that is not about the report gets its own sentinel, and `ask --json`
# says which (`"declined": "off_topic" | "not_in_report" | null`).
# Passages are not offered for an off-topic question: none of them is about it.
OFF_TOPIC = {
    "tr": "Bu soru raporun konusuyla ilgili görünmüyor. Rapor, Türk devletleri arasındaki istihbarat "
    "paylaşımını ele alıyor; bu konuda bir soru sorabilirsiniz.",
    "en": "This question does not seem to be about the report, which covers intelligence sharing among "
    "the Turkic states; feel free to ask about that.",
}
DECLINED = {"not_in_report": CANNOT_ANSWER, "off_topic": OFF_TOPIC}
# The lead of an answer to a broad question (the key sentences of the conclusions).
BROAD_LEAD = {
    "tr": "Raporun sonuç bölümündeki başlıca tespitler:",
    "en": "The key points of the report's conclusion (in Turkish):",
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

# Messages of the command line, in English and Turkish; `cli_text` picks by the user's locale.
# Batch errors printed inside JSON lines stay English whatever the locale: scripts match them.
CLI_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "bad_config": "invalid configuration: {problems}",
        "bad_k": "-k must be between 1 and {limit}, got {k}",
        "no_question": "the question is empty: type a question about the report (or pass --queries FILE)",
        "bad_queries_file": "cannot read queries file {path}: {reason}",
        "failed_lines": "{n} line(s) of {path} could not be answered; see the errors above",
        "bad_auth": "--auth must look like USER:PASSWORD",
        "exposed": "report-qa: warning: binding to {host} exposes the chat to other machines",
        "exposed_no_auth": "; consider --auth USER:PASSWORD",
        "index_fresh": "Index is up to date: {path}",
        "index_built": "Indexed {documents} document(s), {passages} passages, {sentences} sentences with {model} "
        "into {path}",
        "skipped": "  skipped {path}: {reason}",
        "building": "building ({reason})",
        "rebuild_requested": "rebuild requested",
        "questions_and_benchmark": "--questions and --benchmark cannot be combined",
        "limit_needs_benchmark": "--limit applies to --benchmark only",
        "limit_positive": "--limit must be at least 1, got {limit}",
        "benchmark_own_index": "--corpus and --index-dir do not apply to --benchmark: it indexes its own paragraphs",
        "cannot_write": "cannot write {path}: {reason}",
        "eval_started": "{n} questions, retrievers: {modes}",
        "wrote": "eval: wrote {path}",
        "scale_not_number": "{part!r} is not a number of passages (e.g. 10000,100000,1000000)",
        "scale_range": "each scale must be between 100 and {limit:,} passages, got {n:,}",
        # issue 10: LLM answers
        "llm_using": "report-qa: answering with {model} at {url}",
        "llm_unreachable": "report-qa: warning: {reason}; answering extractively until it responds",
        "llm_and_no_llm": "--llm and --no-llm cannot be combined",
    },
    "tr": {
        "bad_config": "geçersiz ayar: {problems}",
        "bad_k": "-k 1 ile {limit} arasında olmalı, verilen: {k}",
        "no_question": "soru boş: rapor hakkında bir soru yazın (ya da --queries DOSYA verin)",
        "bad_queries_file": "soru dosyası {path} okunamıyor: {reason}",
        "failed_lines": "{path} dosyasının {n} satırı cevaplanamadı; yukarıdaki hatalara bakın",
        "bad_auth": "--auth KULLANICI:PAROLA biçiminde olmalı",
        "exposed": "report-qa: uyarı: {host} adresine bağlanmak sohbeti başka makinelere açar",
        "exposed_no_auth": "; --auth KULLANICI:PAROLA kullanmayı düşünün",
        "index_fresh": "Dizin güncel: {path}",
        "index_built": "{documents} belge, {passages} pasaj, {sentences} cümle {model} ile {path} içine dizinlendi",
        "skipped": "  atlandı {path}: {reason}",
        "building": "oluşturuluyor ({reason})",
        "rebuild_requested": "yeniden oluşturma istendi",
        "questions_and_benchmark": "--questions ile --benchmark birlikte kullanılamaz",
        "limit_needs_benchmark": "--limit yalnızca --benchmark ile kullanılır",
        "limit_positive": "--limit en az 1 olmalı, verilen: {limit}",
        "benchmark_own_index": "--corpus ve --index-dir --benchmark ile kullanılmaz: kendi paragraflarını dizinler",
        "cannot_write": "{path} yazılamıyor: {reason}",
        "eval_started": "{n} soru, yöntemler: {modes}",
        "wrote": "eval: {path} yazıldı",
        "scale_not_number": "{part!r} bir pasaj sayısı değil (örnek: 10000,100000,1000000)",
        "scale_range": "her ölçek 100 ile {limit:,} pasaj arasında olmalı, verilen: {n:,}",
        # issue 10: LLM answers
        "llm_using": "report-qa: cevaplar {url} adresindeki {model} ile üretiliyor",
        "llm_unreachable": "report-qa: uyarı: {reason}; o yanıt verene dek cevaplar alıntıyla veriliyor",
        "llm_and_no_llm": "--llm ile --no-llm birlikte kullanılamaz",
    },
}
BATCH_ERRORS = {
    "utf8": "line is not valid UTF-8",
    "json": "not valid JSON ({msg})",
    "shape": 'expected an object like {"id": ..., "question": "..."}',
    "internal": "internal error ({name}); run with -vv for details",
}


def cli_text(language: str, key: str, **values: object) -> str:
    """The command line's message ``key`` in ``language`` (``tr`` or ``en``), filled with ``values``."""
    table = CLI_MESSAGES.get(language, CLI_MESSAGES["en"])
    return table[key].format(**values)

# Issue 12 (your own documents): `index` changes, `docs list/add/remove`.
CLI_MESSAGES["en"].update({
    "index_changes": "  added {added}, updated {updated}, removed {removed}, unchanged {unchanged}",
    "docs_none": "No document is indexed yet: run `report-qa index`",
    "doc_line": "{name}  [{type}] {title} — {pages} page(s), {passages} passages: indexed",
    "doc_skipped": "{name}  skipped: {reason}",
    "docs_added": "added {path}",
    "docs_removed": "removed {path}",
    "docs_no_match": "no document named {name!r} in {corpus}; documents: {known}",
    "docs_not_file": "not a file: {path}",
    "docs_exists": "{name} is already in {corpus}: remove it first (docs remove) to replace it",
    "docs_bundled": "the bundled report's folder is read-only here: pass --corpus DIR (or REPORT_QA_CORPUS_DIR)",
})
CLI_MESSAGES["tr"].update({
    "index_changes": "  eklenen {added}, güncellenen {updated}, çıkarılan {removed}, değişmeyen {unchanged}",
    "docs_none": "Henüz dizinlenmiş belge yok: `report-qa index` çalıştırın",
    "doc_line": "{name}  [{type}] {title} — {pages} sayfa, {passages} pasaj: dizinlendi",
    "doc_skipped": "{name}  atlandı: {reason}",
    "docs_added": "{path} eklendi",
    "docs_removed": "{path} çıkarıldı",
    "docs_no_match": "{corpus} içinde {name!r} adlı belge yok; belgeler: {known}",
    "docs_not_file": "dosya değil: {path}",
    "docs_exists": "{name} zaten {corpus} içinde: değiştirmek için önce çıkarın (docs remove)",
    "docs_bundled": "paketle gelen raporun klasörü burada değiştirilemez: "
    "--corpus KLASÖR (ya da REPORT_QA_CORPUS_DIR) verin",
})
