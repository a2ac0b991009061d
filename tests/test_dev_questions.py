"""The shipped dev questions are well-formed and their evidence spans are really in the report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from index.analysis import turkish_casefold

DEV = Path(__file__).resolve().parent.parent / "qa" / "data" / "dev_questions.jsonl"


def _norm(text: str) -> str:
    return " ".join(turkish_casefold(text).split())


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_evidence_span_is_in_exactly_one_passage(questions, report, passages):
    text = _norm(report.text)
    for q in questions:
        for span in q["evidence"]:
            assert _norm(span) in text, (q["id"], span)
            holders = [p.chunk_id for p in passages if _norm(span) in _norm(p.text)]
            assert len(holders) == 1, (q["id"], span, holders)


def test_shape_and_sizes(questions):
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids)
    by_id = {q["id"]: q for q in questions}
    for q in questions:
        assert q["lang"] in ("tr", "en") and q["question"].strip()
        assert bool(q["evidence"]) == q["answerable"], q["id"]
        if "pair" in q:
            assert by_id[q["pair"]]["pair"] == q["id"] and by_id[q["pair"]]["lang"] != q["lang"]
    answerable = Counter(q["lang"] for q in questions if q["answerable"])
    assert answerable["tr"] >= 20 and answerable["en"] >= 20
    kinds = Counter(q["kind"] for q in questions if not q["answerable"])
    assert kinds["off-topic"] >= 10 and kinds["not-in-report"] >= 6
