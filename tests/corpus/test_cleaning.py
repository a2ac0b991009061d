"""Cleaning on the real report: every PDF artefact listed in shared/README.md."""

from __future__ import annotations

import re

from corpus import clean_text


def test_words_split_across_lines_are_rejoined(report):
    assert "Türk Keneşi olarak kurumsallaşmış ve 2021" in report.text
    assert "çok taraflı bir uluslararası örgüt yapısına" in report.text
    assert "kurumsal laşmış" not in report.text and "ulus lararası" not in report.text


def test_words_that_end_at_a_line_break_stay_apart(report):
    # "…Zirvesi”yle " + "başlamıştır" had a trailing space: two words.
    assert "Zirvesi”yle başlamıştır" in report.text
    assert "ulusal güvenliğin" in report.text


def test_footnote_markers_are_removed(report):
    assert "çıkmaktadır. Devletlerin" in report.text
    assert "çıkmaktadır.1" not in report.text
    assert "11 Eylül sonrasında" in report.text
    assert "etmektedir.10" not in report.text and "10 11 Eylül" not in report.text
    assert "CARICC üzerinden" in report.text
    assert "yakalanması ve" in report.text


def test_footnote_after_closing_quote_and_semicolon():
    doc = clean_text("Birinci cümle edilmesi”;2 sonra devam.\n", "x.txt")
    assert "edilmesi”; sonra" in doc.text


def test_real_numbers_stay(report):
    for number in ("1998", "5 Ağustos 2022", "70 sivilin", "100 ayrı", "20 Mayıs 1998", "F-16"):
        assert number in report.text


def test_running_header_and_repeated_heading_are_dropped(report):
    assert "ORTAK GÜVENLİKTE STRATEJİK FIRSATLAR" not in report.text
    assert not re.search(r"(?m)^13$", report.text)
    assert report.text.count("SONUÇ") == 1
    assert "13" in report.removed


def test_section_headings_are_recognised(report):
    headings = [b.text for b in report.blocks if b.kind == "heading"]
    assert headings == [
        "YÖNETİCİ ÖZETİ",
        "İSTİHBARAT VE İSTİHBARAT PAYLAŞIMI",
        "TÜRK DEVLETLERİ ARASINDA İSTİHBARAT PAYLAŞIMI",
        "SONUÇ",
    ]


def test_bullets_are_recognised(report):
    bullets = [b for b in report.blocks if b.kind == "bullet"]
    assert len(bullets) == 9
    assert bullets[0].text.startswith("• Türk devletleri arasındaki güvenlik iş birliği, 1992")
    assert all(b.section == "YÖNETİCİ ÖZETİ" for b in bullets)


def test_tables_are_kept_with_their_captions(report):
    tables = [b for b in report.blocks if b.kind == "table"]
    assert [t.caption for t in tables] == [
        "Tablo 1: İstihbarat Paylaşımında Fırsatlar ve Riskler",
        "Tablo 2: Farklı İstihbarat Paylaşım Mekanizmalarının Avantaj ve Dezavantajları",
    ]
    first, second = (t.text.split("\n") for t in tables)
    assert first[1] == "Fırsatlar | Riskler" and len(first) == 6
    assert second[1] == "Model | Avantajlar | Dezavantajlar" and len(second) == 5
    assert second[4].startswith("Hiyerarşik Yapılanma Modeli (ör. ABD-Japonya SIGINT) | Baskın aktörün")
    assert second[4].endswith("İlişki dengesizliğinin yol açabileceği güven sorunu")


def test_pages_start_at_lines_beginning_with_a_space(report):
    pages = sorted({b.page for b in report.blocks})
    assert pages == list(range(1, 10))
    para = next(b for b in report.blocks if b.text.startswith("Bu çalışma, açık kaynaklar"))
    assert para.page == 3
    # A sentence running over a page break stays in one paragraph.
    assert "kriz yönetimi, ortak tatbikat" in report.text
    assert "5 yıllık saklama süresini" in next(b.text for b in report.blocks if "(PNR)" in b.text)


def test_block_offsets_point_into_the_text(report):
    for block in report.blocks:
        assert report.text[block.start : block.end] == block.text


def test_markdown_style():
    doc = clean_text("# Başlık\n\nBir paragraf\nikinci satır.\n\n- madde bir\n- madde iki\n", "a.md", style="markdown")
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["heading", "paragraph", "bullet", "bullet"]
    assert doc.blocks[1].text == "Bir paragraf ikinci satır."
    assert doc.blocks[2].section == "Başlık"
