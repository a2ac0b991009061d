"""Grouped k-fold cross-validation of the answerability model inside the tune split.

The in-sample figures of ``report-qa calibrate`` flatter the model: its weights and threshold
were fitted on the very questions they are scored on. Here the tune questions are split into
folds by pair (both sides of a tr/en pair stay together), each fold is decided by a model and a
threshold fitted on the others, exactly as ``calibrate`` fits on all of tune, and the pooled
held-out decisions give the cross-validated figures. The L2 regularisation is the one with the
best cross-validated figures; the test split is never consulted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answerability import AnswerabilityModel, Features, fit

# Regularisation strengths tried, weakest first.
L2_GRID = (0.01, 0.03, 0.1)
FOLDS = 5
# Each repeat shuffles the pairs into folds with another fixed seed (deterministic).
REPEATS = 2


@dataclass(frozen=True)
class Item:
    """One answerable or near-miss tune question as the model sees it.

    ``features`` is None when the question never reaches the model: declined as off topic
    (``answered`` False) or a broad question answered regardless (``answered`` True).
    """

    group: str
    answerable: bool
    features: Features | None
    answered: bool = False


@dataclass(frozen=True)
class Figures:
    """Shares over the tune questions: answerable ones answered, near-miss ones declined."""

    answered: float
    declined: float

    @property
    def value(self) -> float:
        return self.answered + self.declined


def model_threshold(probabilities: list[tuple[bool, float]], n_answerable: int, answered_anyway: int,
                     keep: float) -> float:
    """The probability threshold that declines most near-miss questions (best answered + declined share)
    while at least ``keep`` of the ``n_answerable`` answerable questions stay answered."""
    near_miss = sum(1 for label, _ in probabilities if not label)
    best, best_value = 0.0, -1.0
    for t in sorted({round(p, 4) for _, p in probabilities}):
        answered = answered_anyway + sum(1 for label, p in probabilities if label and p >= t)
        if n_answerable == 0 or answered / n_answerable < keep:
            break
        declined = sum(1 for label, p in probabilities if not label and p < t)
        value = answered / n_answerable + (declined / near_miss if near_miss else 0.0)
        if value > best_value:
            best, best_value = t, value
    return best


def fit_with_threshold(items: Sequence[Item], l2: float, keep: float) -> AnswerabilityModel:
    """The model fitted on the ``items`` that reach it, with :func:`model_threshold` chosen on them."""
    samples = [(i.answerable, i.features) for i in items if i.features is not None]
    model = fit([f for _, f in samples], [label for label, _ in samples], l2=l2)
    passed = [(label, model.probability(f)) for label, f in samples]
    n_answerable = sum(1 for i in items if i.answerable)
    anyway = sum(1 for i in items if i.answerable and i.features is None and i.answered)
    return AnswerabilityModel(model.weights, model.bias, model.mean, model.scale,
                              model_threshold(passed, n_answerable, anyway, keep))


def cross_validate(items: Sequence[Item], l2: float, keep: float, folds: int = FOLDS,
                   repeats: int = REPEATS) -> Figures:
    """The pooled held-out figures of ``repeats`` grouped ``folds``-fold splits of ``items``.

    Raises:
        ValueError: fewer groups than folds.
    """
    groups = sorted({i.group for i in items})
    if len(groups) < folds:
        raise ValueError(f"cross-validation needs at least {folds} question groups, got {len(groups)}")
    answered: list[float] = []
    declined: list[float] = []
    for repeat in range(repeats):
        order = groups[:]
        random.Random(repeat).shuffle(order)
        fold_of = {g: n % folds for n, g in enumerate(order)}
        decided: list[tuple[Item, bool]] = []  # (item, answered)
        for fold in range(folds):
            model = fit_with_threshold([i for i in items if fold_of[i.group] != fold], l2, keep)
            for i in items:
                if fold_of[i.group] == fold:
                    decided.append((i, i.answered if i.features is None else model.answers(i.features)))
        good = [a for i, a in decided if i.answerable]
        bad = [a for i, a in decided if not i.answerable]
        answered.append(sum(good) / len(good) if good else 0.0)
        declined.append(sum(not a for a in bad) / len(bad) if bad else 0.0)
    return Figures(round(sum(answered) / repeats, 3), round(sum(declined) / repeats, 3))


def choose_l2(items: Sequence[Item], keep: float, grid: Sequence[float] = L2_GRID) -> tuple[float, Figures]:
    """The L2 strength with the best cross-validated answered + declined share (the stronger on a tie)."""
    scored = [(l2, cross_validate(items, l2, keep)) for l2 in grid]
    return max(scored, key=lambda pair: (round(pair[1].value, 4), pair[0]))
