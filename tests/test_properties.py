"""Fuzzed properties of cleaning, chunking, Turkish analysis and question normalisation.

Inputs look like the documents the tool reads: PDF-extracted lines with and without trailing
spaces, page-start lines that begin with a space, "•" bullets, upper-case headings, page numbers,
footnote digits glued to words, tables' captions, blank lines; and Markdown. Raw ``st.text()`` is
thrown in too.
"""

from __future__ import annotations

import os
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corpus import ChunkerConfig, chunk_document, clean_text
from corpus.chunking import BULLET_PREFIX
from corpus.models import CleanDocument, Passage
from corpus.sentences import split_sentences
from index.analysis import analyze, turkish_casefold
from qa import strings
from qa.answer import QuestionError, normalize_question

# REPORT_QA_FUZZ_EXAMPLES=5000 fuzzes harder (CI keeps the default).
FUZZ = settings(max_examples=int(os.environ.get("REPORT_QA_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

LOWER = "abcçdefgğhıijklmnoöprsştuüvyzqwx"
UPPER = "ABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ"
_word = st.text(alphabet=LOWER + UPPER, min_size=1, max_size=10)
_number = st.integers(0, 2030).map(str)
_glued = st.tuples(_word, st.integers(1, 40)).map(lambda t: f"{t[0]}{t[1]}")  # "zirvesi12" (a footnote?)
_apostrophe = st.tuples(_word, _word).map(lambda t: f"{t[0]}’{t[1].lower()}")
_punct = st.sampled_from(["", "", "", ".", ",", ";", ":", "?", "!", "…", ".”", ")", "3.", "."])
_token = st.tuples(st.one_of(_word, _word, _word, _number, _glued, _apostrophe), _punct).map("".join)
_words = st.lists(_token, min_size=1, max_size=14).map(" ".join)


@st.composite
def _pdf_line(draw) -> str:
    kind = draw(st.sampled_from(["text"] * 6 + ["bullet", "heading", "page", "blank", "blank", "caption", "raw"]))
    if kind == "blank":
        return draw(st.sampled_from(["", " ", "\t", "\f"]))
    if kind == "page":
        return draw(st.integers(1, 300).map(str))
    if kind == "heading":
        return draw(st.lists(st.text(alphabet=UPPER, min_size=2, max_size=9), min_size=1, max_size=4).map(" ".join))
    if kind == "caption":
        return f"Tablo {draw(st.integers(1, 9))}: {draw(_words)}"
    if kind == "raw":
        return draw(st.text(max_size=30)).replace("\n", " ")
    text = draw(_words)
    if kind == "bullet":
        text = draw(st.sampled_from(["•\t ", "• ", "•", " •  ", "▪ "])) + text
    lead = draw(st.sampled_from(["", "", "", " "]))  # a leading space starts a new page
    trail = draw(st.sampled_from(["", " ", "", "  "]))  # no trailing space: the word goes on
    return lead + text + trail


pdf_text = st.lists(_pdf_line(), min_size=0, max_size=40).map("\n".join)


@st.composite
def _md_line(draw) -> str:
    kind = draw(st.sampled_from(["text"] * 5 + ["heading", "bullet", "numbered", "blank", "blank", "raw"]))
    if kind == "blank":
        return draw(st.sampled_from(["", "   "]))
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + draw(st.sampled_from([" ", "  "])) + draw(_words)
    if kind == "bullet":
        return draw(st.sampled_from(["- ", "* ", "+ ", "  - "])) + draw(_words)
    if kind == "numbered":
        return f"{draw(st.integers(1, 99))}{draw(st.sampled_from(['.', ')']))} {draw(_words)}"
    if kind == "raw":
        return draw(st.text(max_size=30)).replace("\n", " ")
    return draw(st.sampled_from(["", " "])) + draw(_words) + draw(st.sampled_from(["", " "]))


md_text = st.lists(_md_line(), min_size=0, max_size=40).map("\n".join)
any_text = st.one_of(pdf_text, md_text, st.text(max_size=400))
styles = st.sampled_from(["pdf-extracted-text", "markdown"])
chunkers = st.tuples(st.integers(1, 40), st.integers(0, 60), st.integers(0, 80)).map(
    lambda t: ChunkerConfig(target_words=t[0] + t[1], min_words=t[0], max_words=t[0] + t[1] + t[2])
)


def _check_document(doc: CleanDocument) -> None:
    previous_end = -2
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
        assert block.text and block.text == block.text.strip()
        assert block.start >= previous_end + 2  # blocks are separated by a blank line, never overlap
        previous_end = block.end


def _check_passages(doc: CleanDocument, passages: list[Passage]) -> None:
    ids = [p.chunk_id for p in passages]
    assert len(ids) == len(set(ids))
    for p in passages:
        assert doc.text[p.start : p.end] == p.text and p.text.strip()
        assert p.sentences, p
        for s in p.sentences:
            assert doc.text[s.start : s.end] == s.text and s.text == s.text.strip() and s.text
            assert p.start <= s.start < s.end <= p.end
        # A passage never spans a heading, so never two sections.
        assert not any(b.kind == "heading" and b.start < p.end and p.start < b.end for b in doc.blocks)
        inside = [b for b in doc.blocks if b.start < p.end and p.start < b.end]
        assert {b.section for b in inside} == {p.section}
    # Coverage: every visible character of every non-heading block is in some passage. Headings
    # are passages' section titles, and the "• " that cleaning puts before a bullet is a marker
    # that a passage may leave out (a long bullet split between sentences does).
    for block in doc.blocks:
        if block.kind == "heading":
            continue
        skip = len(BULLET_PREFIX) if block.kind == "bullet" and block.text.startswith(BULLET_PREFIX) else 0
        for offset in range(block.start + skip, block.end):
            if not doc.text[offset].isspace():
                assert any(p.start <= offset < p.end for p in passages), (block, offset)


@FUZZ
@given(raw=any_text, style=styles)
@example(raw=" YÖNETİCİ\nÖZETİ\n\n•\t Türk devletleri 1992 yılında\nbaşlamıştır.1 \n\n12\n", style="pdf-extracted-text")
@example(raw="# Başlık\n\n- madde bir\n- madde iki\n\nParagraf.", style="markdown")
@example(raw="", style="pdf-extracted-text")
@example(raw="\f\f\r\n\x00", style="markdown")
def test_cleaning_offsets_point_into_the_cleaned_text(raw, style):
    doc = clean_text(raw, "doc.txt", style=style)
    _check_document(doc)
    assert doc.text == unicodedata.normalize("NFC", doc.text)


@FUZZ
@given(raw=any_text, style=styles, config=chunkers)
def test_passages_and_sentences_point_into_the_document_and_cover_it(raw, style, config):
    doc = clean_text(raw, "belge.md", style=style)
    _check_passages(doc, chunk_document(doc, config))


@FUZZ
@given(raw=st.one_of(pdf_text, md_text), style=styles)
def test_default_chunker_on_realistic_text(raw, style):
    doc = clean_text(raw, "rapor.txt", style=style)
    _check_passages(doc, chunk_document(doc))


def test_the_bundled_report_satisfies_the_same_properties(report, passages):
    _check_document(report)
    _check_passages(report, passages)


@FUZZ
@given(text=st.text(max_size=300), offset=st.integers(0, 10_000))
def test_sentences_point_into_any_text(text, offset):
    for s in split_sentences(text, offset):
        assert text[s.start - offset : s.end - offset] == s.text and s.text.strip() == s.text and s.text


@FUZZ
@given(text=st.one_of(st.text(), _words, st.text(alphabet="Iİıi̇ÇĞÖŞÜçğöşüΣσςẞß")))
@example(text="İSTANBUL’DA IĞDIR İi̇ Iı")
def test_turkish_casefolding_is_idempotent_and_analysis_never_crashes(text):
    folded = turkish_casefold(text)
    assert turkish_casefold(folded) == folded
    assert "I" not in folded and "İ" not in folded
    tokens = analyze(text)
    assert analyze(folded) == tokens
    assert all(t and t == turkish_casefold(t) for t in tokens)


def test_turkish_casefolding_examples():
    assert turkish_casefold("IĞDIR İSTANBUL") == "ığdır istanbul"
    assert analyze("TÜRKİYE’NİN") == analyze("türkiye’nin") == analyze("Türkiye")


_NOISE = "\x00\x07\x1b\u200b\u202e ?!.…😀🎉<>"


@FUZZ
@given(question=st.one_of(st.text(max_size=120), _words, st.text(alphabet=_NOISE, max_size=20)))
@example(question="Kazakhstan Қазақстан Kazakistan?")
@example(question="1998\x00 protokolü\x1b[31m nedir?\x7f")
@example(question="😀🎉🔥")
@example(question="?!… ...")
def test_question_normalisation_cleans_or_names_the_problem(question):
    try:
        text = normalize_question(question, 2000)
    except QuestionError as exc:
        assert str(exc) in (strings.EMPTY_QUESTION, strings.NO_WORDS)
        return
    assert text and text == text.strip() and len(text) <= 2000
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in text)
    assert normalize_question(text, 2000) == text
    assert any(c.isalnum() for c in text)


@pytest.mark.parametrize("question", ["x" * 2001, "x " * 1001, "ş" * 100_000])
def test_question_length_limit(question):
    with pytest.raises(QuestionError, match="over the limit of 2000"):
        normalize_question(question, 2000)


def test_a_split_long_bullet_keeps_its_marker():
    """Found by the coverage property: short bullets' passages start with "• ", split ones did not."""
    sentence = "Kelime " + " ".join(["kelime"] * 14) + "."
    doc = clean_text("- " + " ".join([sentence] * 4), "b.md", style="markdown")
    passages = chunk_document(doc, ChunkerConfig(target_words=20, min_words=5, max_words=30))
    assert len(passages) > 1
    assert passages[0].text.startswith(BULLET_PREFIX) and passages[0].start == doc.blocks[0].start
