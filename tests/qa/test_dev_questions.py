"""The shipped dev questions are well-formed and their evidence spans are really in the report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from index.analysis import turkish_casefold

DEV = Path(__file__).resolve().parents[2] / "qa" / "data" / "dev_questions.jsonl"


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


DEV2 = DEV.parent / "dev_questions_2.jsonl"


def test_second_set_spans_are_in_the_report_and_sizes_hold(report, passages):
    """Issue 11's set: ≥100 questions, ≥30 English answerable, ≥30 near-miss, every section covered."""
    questions = [json.loads(line) for line in DEV2.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 100
    text = _norm(report.text)
    sections: set[str] = set()
    for q in questions:
        for span in q["evidence"]:
            assert _norm(span) in text, (q["id"], span)
            sections |= {p.section for p in passages if _norm(span) in _norm(p.text)}
    assert sections == {p.section for p in passages}
    assert sum(1 for q in questions if q["answerable"] and q["lang"] == "en") >= 30
    near_miss = Counter(q["lang"] for q in questions if q["kind"] == "not-in-report")
    assert sum(near_miss.values()) >= 30 and near_miss["tr"] >= 10 and near_miss["en"] >= 10


def test_split_is_deterministic_keeps_pairs_together_and_covers_both_sides():
    from qa.evaluation import SPLITS, dev_question_paths, load_question_files, select_split

    questions = load_question_files(dev_question_paths())
    by_id = {q.id: q for q in questions}
    for q in questions:
        if q.pair:
            assert by_id[q.pair].split == q.split, q.id
    for split in SPLITS:
        chosen = select_split(questions, split)
        assert {q.split for q in chosen} == {split}
        for lang in ("tr", "en"):
            for kind in ("off-topic", "not-in-report"):
                assert sum(1 for q in chosen if q.lang == lang and q.kind == kind) >= 5, (split, lang, kind)
            assert sum(1 for q in chosen if q.lang == lang and q.answerable) >= 25, (split, lang)
    # The split is a pure function of the ids: the same on every run and machine.
    assert [q.split for q in load_question_files(dev_question_paths())] == [q.split for q in questions]
    with pytest.raises(ValueError, match="unknown split"):
        select_split(questions, "train")


DEV3 = DEV.parent / "dev_questions_3.jsonl"


def test_third_set_spans_are_in_the_report_and_sizes_hold(report, passages):
    """The third set, written blind from the report: ≥100 questions, ≥35 en / ≥25 tr answerable,
    ≥40 near-miss (≥18 per language), ≥10 off-topic, every section covered, ids unique across sets."""
    questions = [json.loads(line) for line in DEV3.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 100
    earlier = {json.loads(line)["id"] for path in (DEV, DEV2)
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids) and not set(ids) & earlier
    text = _norm(report.text)
    normed = [(p, _norm(p.text)) for p in passages]
    sections: set[str] = set()
    for q in questions:
        assert q["lang"] in ("tr", "en") and q["question"].strip()
        assert bool(q["evidence"]) == q["answerable"], q["id"]
        for span in q["evidence"]:
            assert _norm(span) in text, (q["id"], span)
            holders = [p for p, body in normed if _norm(span) in body]
            assert len(holders) == 1, (q["id"], span, [p.chunk_id for p in holders])
            sections.add(holders[0].section)
    assert sections == {p.section for p in passages}
    answerable = Counter(q["lang"] for q in questions if q["answerable"])
    assert answerable["en"] >= 35 and answerable["tr"] >= 25
    near_miss = Counter(q["lang"] for q in questions if q["kind"] == "not-in-report")
    assert sum(near_miss.values()) >= 40 and near_miss["tr"] >= 18 and near_miss["en"] >= 18
    assert sum(1 for q in questions if q["kind"] == "off-topic") >= 10
    by_id = {q["id"]: q for q in questions}
    for q in questions:
        if "pair" in q:
            other = by_id[q["pair"]]
            assert other["pair"] == q["id"] and other["lang"] != q["lang"], q["id"]


DEV4 = DEV.parent / "dev_questions_4.jsonl"


def test_fourth_set_is_all_tune_so_the_test_split_is_unchanged(report, passages):
    """The fourth set, written blind for tune only: ≥50 answerable pairs, ≥15 near-miss pairs and
    ≥5 off-topic pairs, every span in the report, ids new; its `split` field keeps the test split
    what it was with three files."""
    from qa.evaluation import load_question_files, load_questions, select_split

    fourth = load_questions(DEV4)
    assert {q.split for q in fourth} == {"tune"}
    pairs = Counter(q.kind for q in fourth if q.pair and q.lang == "en")
    answerable_pairs = sum(1 for q in fourth if q.pair and q.lang == "en" and q.answerable)
    assert answerable_pairs >= 50 and pairs["not-in-report"] >= 15 and pairs["off-topic"] >= 5
    earlier = load_question_files((DEV, DEV2, DEV3))
    assert not {q.id for q in fourth} & {q.id for q in earlier}
    text = _norm(report.text)
    sections = set()
    for q in fourth:
        for span in q.evidence:
            assert _norm(span) in text, (q.id, span)
            sections |= {p.section for p in passages if _norm(span) in _norm(p.text)}
    assert sections == {p.section for p in passages}
    assert select_split([*earlier, *fourth], "test") == select_split(earlier, "test")
