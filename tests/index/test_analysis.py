"""Turkish-aware analysis for BM25."""

from index.analysis import analyze, strip_apostrophe_suffix, turkish_casefold


def test_turkish_casefold():
    assert turkish_casefold("ISPARTA İZMİR") == "ısparta izmir"
    assert turkish_casefold("İSTİHBARAT") == "istihbarat"


def test_apostrophe_suffixes():
    assert strip_apostrophe_suffix("türkiye’nin") == "türkiye"
    assert strip_apostrophe_suffix("ankara'da") == "ankara"
    assert analyze("Türkiye’nin")[0] == analyze("Türkiye")[0]


def test_inflections_conflate():
    assert analyze("paylaşımı") == analyze("paylaşımının") == analyze("PAYLAŞIMI")


def test_stopwords_removed():
    assert analyze("ve ile bu the of") == []
    assert "1998" in analyze("1998 yılında")
