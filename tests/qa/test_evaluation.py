"""qa.evaluation: question files, relevance by content, metrics, and the dev-set quality floor."""

from __future__ import annotations

import json
import math

import ir_measures
import numpy as np
import pytest

from corpus import Passage, Sentence
from qa.answer import Answer, Citation
from qa.evaluation import (
    MEASURES,
    EvidenceMatcher,
    Question,
    QuestionFileError,
    Summary,
    bootstrap_ci,
    build_qrels,
    build_run,
    cites_evidence,
    default_questions_path,
    evaluate,
    first_quote_cites,
    judge,
    load_question_set,
    parse_questions,
    per_question_metrics,
    prepare_questions,
    question_pairs,
    relevant_passages,
    render_text,
)
from qa.modes import EVALUATION_ORDER

# ---------------------------------------------------------------- metrics on a hand-made case


def test_metrics_on_a_case_known_in_advance():
    # Relevant passage at rank 1 (q1), at rank 3 (q2), not retrieved (q3).
    relevant = {"q1": {"a"}, "q2": {"c"}, "q3": {"z"}}
    run = build_run({"q1": ["a", "b", "c"], "q2": ["a", "b", "c"], "q3": ["a", "b", "c"]})
    values = per_question_metrics(build_qrels(relevant), run)
    assert values["q1"] == {"hit@1": 1.0, "hit@5": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0}
    # One relevant passage at rank 3: DCG = 1/log2(3+1) = 0.5 and the ideal DCG is 1.
    assert values["q2"] == pytest.approx({"hit@1": 0.0, "hit@5": 1.0, "mrr@10": 1 / 3, "ndcg@10": 0.5})
    assert values["q3"] == {"hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    summary = Summary.of(list(values.values()), list(MEASURES))
    assert summary.n == 3
    assert summary.means == pytest.approx({"hit@1": 1 / 3, "hit@5": 2 / 3, "mrr@10": 4 / 9, "ndcg@10": 0.5})
    aggregate = ir_measures.calc_aggregate(list(MEASURES.values()), build_qrels(relevant), run)
    assert {name: aggregate[m] for name, m in MEASURES.items()} == pytest.approx(summary.means)


def test_ndcg_with_two_relevant_passages():
    # Relevant at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3).
    values = per_question_metrics(build_qrels({"q": {"a", "c"}}), build_run({"q": ["a", "b", "c"]}))
    assert values["q"]["ndcg@10"] == pytest.approx(1.5 / (1 + 1 / math.log2(3)))


def test_hit_at_5_ignores_rank_6_and_unretrieved_questions_score_zero():
    ranking = ["d1", "d2", "d3", "d4", "d5", "rel"]
    values = per_question_metrics(build_qrels({"q": {"rel"}, "lost": {"x"}}), build_run({"q": ranking}))
    assert values["q"]["hit@5"] == 0.0 and values["q"]["mrr@10"] == pytest.approx(1 / 6)
    assert values["lost"] == {"hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}


def test_run_scores_follow_the_given_order():
    run = build_run({"q": ["z", "a", "m"]})
    assert [d.doc_id for d in sorted(run, key=lambda d: -d.score)] == ["z", "a", "m"]


def test_bootstrap_is_reproducible_and_brackets_the_mean():
    rng = np.random.default_rng(0)
    values = rng.random((50, 2))
    low, high = bootstrap_ci(values)
    again = bootstrap_ci(values)
    assert np.array_equal(low, again[0]) and np.array_equal(high, again[1])
    assert np.all(low <= values.mean(axis=0)) and np.all(values.mean(axis=0) <= high)
    constant = bootstrap_ci(np.ones((7, 1)))
    assert constant[0][0] == constant[1][0] == 1.0
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_ci(np.empty((0, 2)))


# ---------------------------------------------------------------- relevance by content

DOC = "d.txt"
#      0         1         2         3         4         5
#      0123456789012345678901234567890123456789012345678901234
TEXT = "Giriş cümlesi. İSTİHBARAT paylaşımı 1998 yılında başladı. Son."


def _passage(chunk_id: str, start: int, end: int, doc: str = DOC) -> Passage:
    return Passage(chunk_id, doc, "", None, None, None, None, start, end, TEXT[start:end], "text",
                   (Sentence(TEXT[start:end], start, end),))


def _occurrences(span: str):
    return EvidenceMatcher({DOC: TEXT}).locate(span)


def test_span_matches_ignoring_case_whitespace_and_turkish_i():
    # "istihbarat  PAYLAŞIMI" → İ folds to i, I to ı; extra and missing spaces do not matter.
    (occ,) = _occurrences("istihbarat  PAYLAŞIMI\n1998")
    start = TEXT.index("İSTİHBARAT")
    assert occ.doc == DOC and occ.offsets[0] == start and occ.offsets[-1] == TEXT.index("1998") + 3
    assert _occurrences("ISTIHBARAT") == []  # dotless ı is another letter in Turkish
    assert _occurrences("nowhere to be found") == []


def test_span_inside_one_passage():
    first, second = _passage("p1", 0, 36), _passage("p2", 36, len(TEXT))
    assert relevant_passages(_occurrences("paylaşımı"), [first, second]) == {"p1"}
    assert relevant_passages(_occurrences("yılında başladı"), [first, second]) == {"p2"}


def test_chunk_boundary_gives_credit_to_the_passage_holding_at_least_half():
    span = "paylaşımı 1998 yılında"  # normalised: "paylaşımı1998yılında", 20 characters
    cut = TEXT.index("1998")  # p1 holds "paylaşımı" (9), p2 holds "1998yılında" (11)
    p1, p2 = _passage("p1", 0, cut), _passage("p2", cut, len(TEXT))
    assert relevant_passages(_occurrences(span), [p1, p2]) == {"p2"}
    # Cut after "paylaşımı1" → 10 of 20 characters on each side: both hold half.
    cut = TEXT.index("1998") + 1
    p1, p2 = _passage("p1", 0, cut), _passage("p2", cut, len(TEXT))
    assert relevant_passages(_occurrences(span), [p1, p2]) == {"p1", "p2"}
    # Odd length: "paylaşımı1998yılındab" has 21 characters, half rounded up is 11.
    span = "paylaşımı 1998 yılında b"
    assert relevant_passages(_occurrences(span), [p1, p2]) == {"p2"}


def test_passages_of_another_document_never_count():
    assert relevant_passages(_occurrences("paylaşımı"), [_passage("x", 0, 36, doc="other.txt")]) == frozenset()


def _question(qid: str, evidence: tuple[str, ...], answerable: bool = True) -> Question:
    return Question(qid, "tr", "Ne zaman başladı?", evidence, answerable, "fact", None, 1)


def test_span_not_in_corpus_names_the_question():
    questions = [_question("tr-x", ("1998 yılında başladı",)), _question("tr-y", ("bu cümle yok",))]
    with pytest.raises(QuestionFileError, match=r"q\.jsonl:1: question tr-y: evidence span 1 is not in the corpus"):
        prepare_questions(questions, {DOC: TEXT}, "q.jsonl", 2000)


def test_judge_needs_a_passage_holding_half_of_a_span():
    qset = prepare_questions([_question("tr-x", ("Giriş cümlesi",))], {DOC: TEXT}, "q.jsonl", 2000)
    assert judge(qset, [_passage("p1", 0, 14), _passage("p2", 14, len(TEXT))]) == {"tr-x": {"p1"}}
    with pytest.raises(QuestionFileError, match="question tr-x: no passage holds at least half"):
        judge(qset, [_passage("p2", 14, len(TEXT))])
    with pytest.raises(ValueError, match="corpus changed"):
        judge(qset, [Passage("p1", DOC, "", None, None, None, None, 0, 5, "other", "text")])


def test_a_citation_is_correct_by_passage_or_by_quoted_sentence():
    occurrences = _occurrences("paylaşımı 1998 yılında")
    p1, p2 = _passage("p1", 0, 40), _passage("p2", 40, len(TEXT))
    relevant = relevant_passages(occurrences, [p1, p2])
    assert relevant == {"p1"}

    def answer(passage: Passage, sentence: Sentence) -> Answer:
        return Answer("q", "tr", True, "…", [Citation(1, passage, sentence)])

    assert cites_evidence(answer(p1, p1.sentences[0]), relevant, occurrences)
    # p2 holds only "yılında" (7 of 20 characters), but the quoted sentence overlaps the span.
    assert cites_evidence(answer(p2, Sentence("yılında başladı.", 40, 56)), relevant, occurrences)
    assert not cites_evidence(answer(p2, Sentence("Son.", 58, 62)), relevant, occurrences)


def test_the_first_quote_cites_only_when_it_touches_the_span_itself():
    occurrences = _occurrences("paylaşımı 1998 yılında")
    p2 = _passage("p2", 40, len(TEXT))
    touching, elsewhere = Sentence("yılında başladı.", 40, 56), Sentence("Son.", 58, 62)

    def answer(*quotes: tuple[Passage, Sentence]) -> Answer:
        return Answer("q", "tr", True, "…", [Citation(n, p, s) for n, (p, s) in enumerate(quotes, 1)])

    assert first_quote_cites(answer((p2, touching), (p2, elsewhere)), occurrences)
    # Correctly cited (the second quote touches the span), but the first quote does not answer.
    assert not first_quote_cites(answer((p2, elsewhere), (p2, touching)), occurrences)
    assert not first_quote_cites(Answer("q", "tr", False, "…", []), occurrences)


# ---------------------------------------------------------------- question files

GOOD = {"id": "tr-1", "lang": "tr", "question": "Soru?", "evidence": ["kanıt"], "answerable": True, "kind": "fact"}


def _file(*items: object) -> bytes:
    return "\n".join(i if isinstance(i, str) else json.dumps(i, ensure_ascii=False) for i in items).encode()


def _error(data: bytes) -> str:
    with pytest.raises(QuestionFileError) as info:
        parse_questions(data, "q.jsonl")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_good_file_parses():
    (q,) = parse_questions(b"\xef\xbb\xbf" + _file(GOOD) + b"\n\n", "q.jsonl")
    assert q == Question("tr-1", "tr", "Soru?", ("kanıt",), True, "fact", None, 1)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "tr-2", "lang": "tr",', "q.jsonl:2: not valid JSON"),
        ('["a list"]', "q.jsonl:2: expected a JSON object, got an array"),
        ({k: v for k, v in GOOD.items() if k != "evidence"} | {"id": "tr-2"}, "q.jsonl:2: missing field 'evidence'"),
        (GOOD | {"id": "tr-2", "answerable": "yes"}, "question tr-2: field 'answerable' must be true or false"),
        (GOOD | {"id": "tr-2", "lang": "de"}, "q.jsonl:2: question tr-2: unknown lang 'de'"),
        (GOOD | {"id": "tr-2", "lang": 1}, "q.jsonl:2: question tr-2: field 'lang' must be a string, got a number"),
        (GOOD | {"id": "tr-2", "evidence": "kanıt"}, "field 'evidence' must be an array of strings"),
        (GOOD | {"id": "tr-2", "evidence": ["", "x"]}, "question tr-2: evidence span 1 must be a non-empty string"),
        (GOOD | {"id": "tr-2", "evidence": []}, "question tr-2: an answerable question needs at least one evidence"),
        (GOOD | {"id": "tr-2", "answerable": False}, "question tr-2: an unanswerable question must have empty"),
        (GOOD | {"id": "has space"}, "q.jsonl:2: field 'id' must be a non-empty string without spaces"),
        (GOOD | {"id": "tr-2", "answr": "x"}, "q.jsonl:2: unknown field 'answr'"),
        (GOOD, "q.jsonl:2: duplicate id 'tr-1' (first on line 1)"),
        (GOOD | {"id": "tr-2", "pair": "en-9"}, "q.jsonl:2: question tr-2: pair 'en-9' is not in the file"),
        (GOOD | {"id": "tr-2", "pair": "tr-1"}, "pair 'tr-1' is in the same language"),
        (GOOD | {"id": "tr-2", "split": "train"}, "question tr-2: field 'split' must be one of tune, test or null"),
    ],
)
def test_malformed_lines_are_named(line, message):
    assert message in _error(_file(GOOD, line))


def test_invalid_utf8_and_empty_files():
    assert "q.jsonl:1: line is not valid UTF-8" in _error(b'{"id": "\xff"}')
    assert "q.jsonl: no questions" in _error(b"\n \n")


def test_every_problem_is_counted_in_one_line():
    message = _error(_file("{", GOOD, "[1]", "nope"))
    assert message.startswith("q.jsonl:1: not valid JSON") and message.endswith("(and 2 more problems)")


def test_pairs_link_tr_and_en_once():
    en = GOOD | {"id": "en-1", "lang": "en", "pair": "tr-1"}
    questions = parse_questions(_file(GOOD | {"pair": "en-1"}, en), "q.jsonl")
    assert [(tr.id, en.id) for tr, en in question_pairs(questions)] == [("tr-1", "en-1")]
    unanswerable = {"id": "en-2", "lang": "en", "question": "?", "evidence": [], "answerable": False, "pair": "tr-1"}
    assert "disagrees on 'answerable'" in _error(_file(GOOD, unanswerable))
    assert "disagrees on 'split'" in _error(_file(GOOD | {"pair": "en-1"}, en | {"split": "tune"}))


def test_a_split_field_overrides_the_hash():
    hashed = parse_questions(_file(GOOD), "q.jsonl")[0].split
    other = "tune" if hashed == "test" else "test"
    (q,) = parse_questions(_file(GOOD | {"split": other}), "q.jsonl")
    assert q.split == other


# ---------------------------------------------------------------- the shipped dev set, real engine


@pytest.fixture(scope="module")
def dev_report(engine):
    settings = engine.settings
    qset = load_question_set(default_questions_path(), settings.index_config().corpus_dir,
                             settings.max_question_chars)
    return evaluate(engine, qset, retrievers=EVALUATION_ORDER, k=10)


def test_every_dev_span_is_found_and_every_answerable_question_judged(dev_report):
    answerable = [q for q in dev_report.qset.questions if q.answerable]
    assert len(answerable) == len(dev_report.relevant) > 50
    assert all(dev_report.relevant[q.id] for q in answerable)
    assert len(question_pairs(dev_report.qset.questions)) >= 10


def test_quality_floor_hybrid_hit_at_5_in_each_language(dev_report):
    by_language = dev_report.reports["hybrid"].by_language
    assert set(by_language) == {"tr", "en"}
    for lang, summary in by_language.items():
        assert summary.means["hit@5"] >= 0.85, (lang, summary.means)


def test_report_groups_add_up(dev_report):
    hybrid = dev_report.reports["hybrid"]
    assert hybrid.overall.n == sum(s.n for s in hybrid.by_language.values())
    assert hybrid.overall.n == sum(s.n for s in hybrid.by_kind.values())
    assert {"off-topic", "not-in-report"} <= set(hybrid.answers.declined_by_kind)
    for o in hybrid.outcomes:
        if o.first_relevant is not None:
            assert o.metrics is not None and o.metrics["mrr@10"] == pytest.approx(1 / o.first_relevant)
    lo, hi = hybrid.overall.ci95["mrr@10"]
    assert lo <= hybrid.overall.means["mrr@10"] <= hi


def test_declines_are_counted_with_and_without_their_own_message(dev_report):
    """``own_message``: declined with the kind's own message (off topic / not in the report)."""
    hybrid = dev_report.reports["hybrid"]
    for kind, reason in (("off-topic", "off_topic"), ("not-in-report", "not_in_report")):
        outcomes = [o for o in hybrid.outcomes if o.question.group == kind]
        own = sum(o.answer.declined == reason for o in outcomes) / len(outcomes)
        summary = hybrid.answers.declined_by_kind[kind]
        assert summary.means["own_message"] == pytest.approx(own)
        assert summary.means["own_message"] <= summary.means["declined"]
    assert hybrid.answers.declined_by_kind["off-topic"].means["own_message"] == 1.0


def test_text_report_has_one_table_for_all_retrievers(dev_report):
    text = render_text(dev_report)
    rows = [line.split()[0] for line in text.splitlines() if line.split()[:1] in (["bm25"], ["dense"], ["hybrid"])]
    assert {"bm25", "dense", "hybrid"} <= set(rows)
    assert "Cross-lingual gap" in text and "off-topic" in text
