"""The catalog of skip reasons: every reason in both languages, with the same fields."""

from __future__ import annotations

import pytest

from corpus.reasons import LANGUAGES, REASONS, Reason, placeholders


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_is_written_in_every_language_with_the_same_fields(code: str) -> None:
    texts = REASONS[code]
    assert set(texts) == set(LANGUAGES)
    assert len({frozenset(placeholders(text)) for text in texts.values()}) == 1, texts
    params = {name: "X" for name in placeholders(texts["en"])}
    english, turkish = Reason(code, params).text("en"), Reason(code, params).text("tr")
    assert english != turkish and "{" not in english + turkish
    assert not english.endswith(".") and not turkish.endswith(".")  # read after "skipped <file>: "


def test_a_reason_needs_a_known_code_and_all_its_fields() -> None:
    with pytest.raises(ValueError, match="unknown skip reason"):
        Reason("nonsense")
    with pytest.raises(ValueError, match="needs kind"):
        Reason("empty_binary")
    assert Reason.of("not_utf8", byte=17).text("tr").startswith("geçerli UTF-8 değil (17. bayt)")
    assert Reason.of("pdf_encrypted").text("de") == Reason.of("pdf_encrypted").text("en")


def test_a_recorded_reason_reads_back_and_anything_else_is_none() -> None:
    reason = Reason.of("duplicate", first="rapor.md")
    assert Reason.from_json(reason.to_json()) == reason
    for junk in (None, "pdf_encrypted", {"code": "gone", "params": {}}, {"code": "duplicate", "params": {"first": 1}},
                 {"code": "duplicate", "params": {}}):
        assert Reason.from_json(junk) is None
