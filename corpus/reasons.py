"""Why a file is skipped, in English and Turkish: every reason the corpus layer gives a user.

A reader or the loader refuses a file with a :class:`Reason`: a code and its parameters. Its
English text is the exception's message (the CLI, logs and ``index --json``); the index
manifest keeps the code and parameters too, so the web chat shows the reason in its interface
language. Parameters are strings, formatted where the reason is made (sizes, byte positions),
and details quoted from a library (a PDF or ZIP error) stay in that library's words.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The interface languages; any other language gets English.
LANGUAGES = ("en", "tr")

REASONS: dict[str, dict[str, str]] = {
    "unknown_type": {
        "en": "unknown file type ({kind}): only {kinds} are read; remove it",
        "tr": "bilinmeyen dosya türü ({kind}): yalnızca {kinds} okunur; dosyayı kaldırın",
    },
    "no_extension": {
        "en": "unknown file type (without an extension): only {kinds} are read; remove it",
        "tr": "dosya türü bilinmiyor (uzantısı yok): yalnızca {kinds} okunur; dosyayı kaldırın",
    },
    "duplicate": {
        "en": "duplicate of {first} (same text); remove one of them",
        "tr": "{first} ile aynı metin (kopya); birini kaldırın",
    },
    "permission_denied": {
        "en": "permission denied: make the file readable (chmod +r) or remove it",
        "tr": "erişim izni yok: dosyayı okunabilir yapın (chmod +r) veya kaldırın",
    },
    "cannot_read": {
        "en": "cannot read file: {detail}; remove it",
        "tr": "dosya okunamıyor: {detail}; dosyayı kaldırın",
    },
    "too_large": {
        "en": "file is {size} MiB, over the {limit} MiB limit: split it into smaller documents or remove it "
              "(setting max_file_mb)",
        "tr": "dosya {size} MiB, {limit} MiB sınırını aşıyor: daha küçük belgelere bölün veya kaldırın "
              "(max_file_mb ayarı)",
    },
    "grew_too_large": {
        "en": "file grew over the {limit} MiB limit while being read: remove it",
        "tr": "dosya okunurken {limit} MiB sınırını aştı: dosyayı kaldırın",
    },
    "utf16_damaged": {
        "en": "damaged UTF-16 text: save it again as UTF-8",
        "tr": "bozuk UTF-16 metin: UTF-8 olarak yeniden kaydedin",
    },
    "binary_text": {
        "en": "binary file (contains NUL bytes): only UTF-8 text (.txt, .md) is indexed; remove it",
        "tr": "ikili dosya (NUL baytları içeriyor): yalnızca UTF-8 metin (.txt, .md) dizine alınır; dosyayı kaldırın",
    },
    "not_utf8": {
        "en": "not valid UTF-8 (byte {byte}): convert it, e.g. `iconv -f windows-1254 -t utf-8`",
        "tr": "geçerli UTF-8 değil ({byte}. bayt): dönüştürün, örneğin `iconv -f windows-1254 -t utf-8`",
    },
    "empty_text": {
        "en": "empty file (no text): add text or remove it",
        "tr": "boş dosya (metin yok): metin ekleyin veya dosyayı kaldırın",
    },
    "blank_after_cleaning": {
        "en": "no text left after cleaning (only page numbers or blank lines): add text or remove it",
        "tr": "temizlikten sonra metin kalmadı (yalnızca sayfa numaraları veya boş satırlar): metin ekleyin "
              "veya dosyayı kaldırın",
    },
    "empty_binary": {
        "en": "empty file (0 bytes): save the {kind} again or remove it",
        "tr": "boş dosya (0 bayt): {kind} dosyasını yeniden kaydedin veya kaldırın",
    },
    "wrong_format": {
        "en": "not a {kind} file: it holds {holds}; give it the right extension or remove it",
        "tr": "{kind} dosyası değil (içeriği: {holds}); doğru uzantıyı verin veya dosyayı kaldırın",
    },
    "word_damaged": {
        "en": "damaged Word file ({detail}): save it again or remove it",
        "tr": "bozuk Word dosyası ({detail}): yeniden kaydedin veya kaldırın",
    },
    "word_too_large_unpacked": {
        "en": "Word file unpacks to {size} MiB, over the {limit} MiB limit (a zip bomb?): remove it",
        "tr": "Word dosyası açıldığında {size} MiB tutuyor, {limit} MiB sınırının üzerinde (zip bombası?): "
              "dosyayı kaldırın",
    },
    "word_not_document": {
        "en": "a ZIP archive but not a Word document (no word/document.xml): remove it",
        "tr": "ZIP arşivi ama Word belgesi değil (word/document.xml yok): dosyayı kaldırın",
    },
    "word_no_text": {
        "en": "Word file has no text: add text or remove it",
        "tr": "Word dosyasında metin yok: metin ekleyin veya dosyayı kaldırın",
    },
    "pdf_truncated": {
        "en": "truncated PDF (no end-of-file marker): download or export it again, or remove it",
        "tr": "yarım kalmış PDF (dosya sonu işareti yok): yeniden indirin ya da dışa aktarın veya kaldırın",
    },
    "pdf_encrypted": {
        "en": "encrypted PDF (password protected): save a copy without the password "
              "(e.g. `qpdf --decrypt in.pdf out.pdf`) or remove it",
        "tr": "şifreli PDF (parola korumalı): parolasız bir kopyasını kaydedin "
              "(örneğin `qpdf --decrypt in.pdf out.pdf`) veya kaldırın",
    },
    "pdf_damaged": {
        "en": "damaged PDF ({detail}): export it again or remove it",
        "tr": "bozuk PDF ({detail}): yeniden dışa aktarın veya kaldırın",
    },
    "pdf_no_text_layer": {
        "en": "no text layer on any of its {pages} pages: scanned PDFs are not supported; "
              "run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) or remove it",
        "tr": "{pages} sayfanın hiçbirinde metin katmanı yok: taranmış PDF'ler desteklenmiyor; "
              "önce OCR uygulayın (örneğin `ocrmypdf in.pdf out.pdf`) veya kaldırın",
    },
    "pdf_blank_after_cleaning": {
        "en": "no text left after removing page numbers and running headers: remove it",
        "tr": "sayfa numaraları ve üst bilgiler çıkarılınca metin kalmadı: dosyayı kaldırın",
    },
    "no_passages": {
        "en": "no passages: the document has only headings; add its text",
        "tr": "pasaj yok: belgede yalnızca başlıklar var; metnini ekleyin",
    },
    "passage_id_clash": {
        "en": "its passage ids ({clash}, …) clash with those of {other}, whose file name differs only in case, "
              "punctuation or extension: rename one of them",
        "tr": "pasaj kimlikleri ({clash}, …) {other} dosyasınınkilerle çakışıyor (dosya adları yalnızca büyük/küçük "
              "harf, noktalama veya uzantıda farklı): birini yeniden adlandırın",
    },
}


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of ``template``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Reason:
    """Why a file is skipped: a code of :data:`REASONS` and the values of its fields."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in REASONS:
            raise ValueError(f"unknown skip reason {self.code!r}")
        missing = placeholders(REASONS[self.code]["en"]) - set(self.params)
        if missing:
            raise ValueError(f"skip reason {self.code!r} needs {', '.join(sorted(missing))}")

    @classmethod
    def of(cls, code: str, **params: object) -> Reason:
        """``code`` with its fields given as any values (written with ``str``)."""
        return cls(code, {name: str(value) for name, value in params.items()})

    def text(self, lang: str = "en") -> str:
        """The reason in ``lang`` (English for a language without texts)."""
        return REASONS[self.code][lang if lang in LANGUAGES else "en"].format_map(self.params)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: object) -> Reason | None:
        """The reason recorded by :meth:`to_json`; None for anything else (older manifests, unknown codes)."""
        if not isinstance(data, dict):
            return None
        params = data.get("params")
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return None
        try:
            return cls(str(data.get("code")), {str(k): v for k, v in params.items()})
        except ValueError:
            return None
