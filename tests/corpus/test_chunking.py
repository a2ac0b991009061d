"""Passages on the real report: structure, sizes, offsets and sentences."""

from __future__ import annotations

import statistics

import pytest

from corpus import ChunkerConfig, chunk_document, clean_text


def test_passages_never_span_two_sections(report, passages):
    headings = [b for b in report.blocks if b.kind == "heading"]
    for p in passages:
        inside = [h for h in headings if p.start < h.start < p.end]
        assert not inside, p.chunk_id


def test_offsets_and_sentences_point_into_the_cleaned_text(report, passages):
    for p in passages:
        assert report.text[p.start : p.end] == p.text
        assert p.sentences
        for s in p.sentences:
            assert report.text[s.start : s.end] == s.text
            assert p.start <= s.start < s.end <= p.end


def test_no_sentence_is_cut(passages):
    for p in passages:
        if p.kind == "text":
            assert p.text.rstrip()[-1] in ".:!?”’)", (p.chunk_id, p.text[-40:])


def test_passage_sizes(passages):
    lengths = [len(p.text) for p in passages]
    assert statistics.median(lengths) <= 1500
    assert max(lengths) <= 3000
    words = [p.word_count for p in passages]
    assert max(words) <= 250
    assert sum(w >= 60 for w in words) >= len(words) - 1  # one short closing paragraph sits after a table


def test_tables_are_whole_passages_with_caption_and_columns(passages):
    tables = [p for p in passages if p.kind == "table"]
    assert len(tables) == 2
    assert tables[1].text.startswith("Tablo 2:")
    assert "Model | Avantajlar | Dezavantajlar" in tables[1].text
    assert "Yüksek Karşılıklı Güven Modeli (ör. Five Eyes) | Derinlemesine entegrasyon" in tables[1].text


def test_passage_metadata(passages):
    ids = [p.chunk_id for p in passages]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "turk-dunyasinda-istihbarat-paylasimi-001"
    assert all(p.doc == "turk-dunyasinda-istihbarat-paylasimi.txt" for p in passages)
    assert all(p.page is not None and p.paragraph is not None for p in passages)
    assert passages[0].section == "YÖNETİCİ ÖZETİ"
    assert passages[0].embed_text.startswith("YÖNETİCİ ÖZETİ\n")


def test_chunking_is_deterministic(report, passages):
    assert [p.to_dict() for p in chunk_document(report)] == [p.to_dict() for p in passages]


def test_long_paragraph_is_split_between_sentences():
    sentence = "Bu cümle tam olarak on kelimeden oluşan bir deneme cümlesidir. "
    doc = clean_text("BAŞLIK\n" + sentence * 60 + "\n", "x.txt")
    parts = chunk_document(doc, ChunkerConfig(target_words=100, min_words=20, max_words=150))
    assert len(parts) > 1
    assert all(p.word_count <= 150 for p in parts)
    assert all(p.text.endswith("cümlesidir.") for p in parts)


def test_bad_chunker_config():
    with pytest.raises(ValueError, match="min_words"):
        ChunkerConfig(target_words=10, min_words=50, max_words=100)
