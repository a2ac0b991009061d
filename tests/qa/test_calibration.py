"""qa.calibration: validated question files, the Answerer seam, and the shipped thresholds."""

from __future__ import annotations

import dataclasses
import json

import pytest

from corpus.errors import ReportQAError
from qa.answer import Answer
from qa.answerability import AnswerabilityModel, default_model_path
from qa.answerers import AnswerRequest
from qa.calibration import calibrate
from qa.cross_validation import L2_GRID
from qa.evaluation import QuestionFileError, dev_question_paths
from qa.settings import Settings

GOOD = {"id": "tr-1", "lang": "tr", "question": "Protokol ne zaman imzalandı?",
        "evidence": ["20 Mayıs 1998 tarihinde"], "answerable": True}


def test_a_broken_question_file_names_every_bad_line(engine, tmp_path):
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(GOOD), '{"id": "tr-2", "lang": ', json.dumps(GOOD | {"id": "tr-3", "lang": "fr"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(QuestionFileError) as info:
        calibrate(engine, path)
    assert isinstance(info.value, ReportQAError)
    assert info.value.problems[0].startswith(f"{path}:2: not valid JSON")
    assert info.value.problems[1] == f"{path}:3: question tr-3: unknown lang 'fr' (expected 'tr' or 'en')"
    assert "\n" not in str(info.value) and str(info.value).endswith("(and 1 more problem)")


def test_a_missing_question_file_is_a_question_file_error(engine, tmp_path):
    with pytest.raises(QuestionFileError, match="cannot read question file"):
        calibrate(engine, tmp_path / "nope.jsonl")


def test_the_dev_set_gives_the_shipped_thresholds_and_model(engine):
    """Calibration fits on tune only; what it fits is what ships; the test split is out of sample."""
    result = calibrate(engine)
    defaults = Settings.model_fields
    assert result.thresholds == {"tr": defaults["abstain_threshold_tr"].default,
                                 "en": defaults["abstain_threshold_en"].default}
    assert result.model == AnswerabilityModel.load(default_model_path())
    # Issue 11 part 2: the regularisation is chosen by grouped cross-validation inside tune.
    assert result.l2 in L2_GRID and result.cv is not None
    # Floors of the three-file set (the third file, written blind, holds harder near-miss questions:
    # measured CV 0.927 answered / 0.632 declined, test near-miss 0.40 tr / 0.41 en).
    assert result.cv.answered >= 0.92 and result.cv.declined >= 0.6
    for lang in ("tr", "en"):
        assert result.counts["tune"][lang]["answerable"] > 50 and result.counts["test"][lang]["answerable"] > 50
        test = result.declined["test"][lang]
        assert test["off-topic"] == 1.0
        assert test["answerable"] <= 0.08
        assert test["not-in-report"] >= 0.35


def test_the_earlier_floors_still_hold_on_the_question_files_they_were_set_on(engine):
    """The floors set on the first two dev files are not lowered: fitted on those files' tune split
    as before, the model still meets them on their test split."""
    result = calibrate(engine, dev_question_paths()[:2])
    assert result.cv is not None and result.cv.answered >= 0.92 and result.cv.declined >= 0.7
    for lang in ("tr", "en"):
        test = result.declined["test"][lang]
        assert test["off-topic"] == 1.0 and test["answerable"] <= 0.08 and test["not-in-report"] >= 0.5


class _ParaphrasingAnswerer:
    """An answerer with no relevance score: calibration cannot apply to it."""

    name = "paraphrasing"

    def answer(self, request: AnswerRequest) -> Answer:
        return Answer(request.text, request.language, False, "", [], request.hits, request.qid)


def test_an_answerer_without_a_relevance_score_cannot_be_calibrated(engine):
    other = dataclasses.replace(engine, answerer=_ParaphrasingAnswerer())
    with pytest.raises(ReportQAError, match="calibration applies to the extractive answerer"):
        calibrate(other)


def test_keep_must_be_a_share(engine):
    with pytest.raises(ValueError, match="keep must be in"):
        calibrate(engine, keep=0.0)
