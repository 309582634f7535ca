"""Shared evaluation helpers on hand-computed examples."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import evaluation as E


def test_uar_is_the_mean_of_per_class_recalls():
    y_true = ["a"] * 8 + ["b"] * 2
    y_pred = ["a"] * 8 + ["a", "b"]
    assert E.uar(y_true, y_pred) == pytest.approx((1.0 + 0.5) / 2)


def test_t_interval_matches_hand_computation():
    mean, low, high = E.mean_ci([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) × sd / √n
    assert mean == 2.0 and low == pytest.approx(2 - half) and high == pytest.approx(2 + half)
    assert np.isnan(E.mean_ci([5.0])[1])


def test_bootstrap_interval_contains_the_mean_and_is_seeded():
    values = np.random.default_rng(1).normal(3.0, 1.0, 200)
    first, second = E.bootstrap_ci(values, seed=4), E.bootstrap_ci(values, seed=4)
    assert first == second and first[1] < 3.0 < first[2] and first[2] - first[1] < 0.4


def test_speaker_folds_never_share_speakers_and_fall_back_to_loso():
    groups = np.repeat(["s1", "s2", "s3"], 4)
    folds = list(E.speaker_folds(groups, n_splits=5))
    assert len(folds) == 3
    for train, test in folds:
        assert set(groups[train]).isdisjoint(groups[test]) and len(set(groups[test])) == 1
    many = np.repeat([f"s{i}" for i in range(10)], 2)
    assert len(list(E.speaker_folds(many, n_splits=5))) == 5
    with pytest.raises(ValueError, match="at least 2 speakers"):
        list(E.speaker_folds(["s1"] * 3))


def test_confusion_table_rows_sum_to_one_and_long_form_keeps_keys():
    table = E.confusion_table(["a", "a", "b", "b"], ["a", "b", "b", "b"], labels=["a", "b"])
    assert table.loc["a", "a"] == 0.5 and table.loc["b", "b"] == 1.0
    long = E.confusion_long(table, fold=3)
    assert len(long) == 4 and set(long.columns) == {"true", "predicted", "fraction", "fold"}
