"""The plain questions the report answers in one sentence: answered, and cited right.

``qa/data/sanity_questions.jsonl`` (19 Turkish/English pairs: when, where, who, how many, which
year) was written from the report text, blind to the tool, and is in neither dev split. It
guards the obvious cases that a change to declining or sentence selection could lose while its
tune figures rise: in issue 11 an answerability feature that raised cross-validated near-miss
declining also declined "Türk Devletleri Teşkilatı hangi yıl bu adı aldı?" and was reverted
(docs/notes/issue-11-glossary.md).
"""

from __future__ import annotations

import pytest

from qa.evaluation import evaluate, load_question_set, sanity_questions_path
from qa.modes import RetrievalMode

# Measured on the shipped settings: 36 of 38 answered, all 36 cited right (0.947). The floor was
# set at 35 of 38 minus one question of slack; a change that loses more should be looked at.
FLOOR = 0.89


@pytest.fixture(scope="module")
def report(engine):
    qset = load_question_set(sanity_questions_path(), engine.settings.index_config().corpus_dir,
                             engine.settings.max_question_chars)
    return evaluate(engine, qset, retrievers=[RetrievalMode.HYBRID], k=10)


def test_the_sanity_questions_are_plain_answerable_pairs(report):
    questions = report.qset.questions
    assert len(questions) == 38 and all(q.answerable for q in questions)
    assert {q.lang for q in questions} == {"tr", "en"}
    assert all(q.pair for q in questions)


def test_quality_floor_obvious_questions_are_answered_and_cited(report):
    shares = report.reports["hybrid"].answers.answerable.means
    assert shares["answered"] >= FLOOR, shares
    assert shares["correctly_cited"] >= FLOOR, shares
