"""Issue 11: the answerability model's regularisation is chosen by grouped cross-validation inside tune."""

from __future__ import annotations

import pytest

from qa.answerability import FEATURES, Features
from qa.cross_validation import Item, choose_l2, cross_validate, fit_with_threshold, model_threshold


def _features(similarity: float, type_missing: float) -> Features:
    return Features(**(dict.fromkeys(FEATURES, 0.0) | {"similarity": similarity, "type_missing": type_missing}))


def _items() -> list[Item]:
    """Ten pairs: answerable ones carry the type, near-miss ones lack it; one pair never reaches the model."""
    items = []
    for n in range(10):
        items.append(Item(f"a{n}", True, _features(0.85 + n / 200, 0.0)))
        items.append(Item(f"a{n}", True, _features(0.84 + n / 200, 0.0)))
        items.append(Item(f"m{n}", False, _features(0.86 + n / 300, 1.0)))
    items.append(Item("broad", True, None, answered=True))
    items.append(Item("off", False, None))
    return items


def test_cross_validation_decides_each_fold_by_a_model_fitted_on_the_others():
    figures = cross_validate(_items(), l2=0.01, keep=0.9)
    # Separable by type_missing: near-miss questions are declined, answerable ones answered, held out
    # too (a held-out answerable question may fall just under a threshold fitted at the others' edge).
    assert figures.answered >= 0.9 and figures.declined >= 0.9
    assert figures.value == figures.answered + figures.declined


def test_a_noisy_signal_scores_lower_held_out_than_in_sample():
    # Near-miss questions differ from answerable ones only by chance wobble in similarity.
    items = [Item(f"g{n}", n % 2 == 0, _features(0.8 + ((n * 7919) % 13) / 100, 0.0)) for n in range(40)]
    inside = fit_with_threshold(items, 0.01, 0.9)
    in_sample = sum(not inside.answers(i.features) for i in items if not i.answerable and i.features) / 20
    assert cross_validate(items, 0.01, 0.9).declined < in_sample


def test_the_best_cross_validated_strength_is_chosen_and_too_few_groups_refused():
    l2, figures = choose_l2(_items(), keep=0.9, grid=(0.01, 0.1))
    assert l2 == 0.1 and figures == cross_validate(_items(), 0.1, 0.9)
    with pytest.raises(ValueError, match="at least 5 question groups"):
        cross_validate(_items()[:3], 0.01, 0.9)


def test_the_threshold_keeps_the_share_of_answerable_questions():
    probabilities = [(True, 0.9), (True, 0.8), (True, 0.3), (False, 0.2), (False, 0.5)]
    # Keeping 2 of 3 answerable allows 0.8 (declines both near-miss); keeping all needs 0.3 or lower.
    assert model_threshold(probabilities, 3, 0, 0.6) == 0.8
    assert model_threshold(probabilities, 3, 0, 1.0) == 0.3
