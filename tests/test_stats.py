"""Cramér two-sample test (helpers.stats) against hand-computed values and known outcomes."""
import numpy as np
import pytest

from helpers.errors import InvalidParameterError
from helpers.stats import cramer_statistic, cramer_test, lookup_matrix, phi_cramer


def test_statistic_matches_hand_computation_in_one_dimension():
    # x = (0, 1), y = (3,): phi(d^2) = |d| / 2
    # sum_xy phi = (3 + 2)/2 = 2.5; sum_xx phi = 2 * 0.5 = 1; sum_yy = 0
    # T = (2*1/3) * (2*2.5/2 - 1/4 - 0) = (2/3) * 2.25 = 1.5
    assert cramer_statistic([0.0, 1.0], [3.0]) == pytest.approx(1.5)


def test_statistic_matches_hand_computation_in_two_dimensions():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])  # distance 5 between them
    y = np.array([[0.0, 0.0], [0.0, 0.0]])
    # xy: distances 0,0,5,5 -> phi sum = 5; xx: 2*2.5 = 5; yy: 0
    # T = (4/4) * (2*5/4 - 5/4 - 0) = 1.25
    assert cramer_statistic(x, y) == pytest.approx(1.25)
    assert phi_cramer(25.0) == pytest.approx(2.5)
    assert lookup_matrix(np.vstack([x, y]))[0, 1] == pytest.approx(2.5)


def test_identical_samples_give_zero_and_swapping_is_symmetric():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    assert cramer_statistic(a, a) == pytest.approx(0.0, abs=1e-12)
    assert cramer_statistic(a, b) == pytest.approx(cramer_statistic(b, a))


def test_rejects_shifted_and_accepts_same_distribution():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 8))
    shifted = cramer_test(x, rng.normal(loc=1.5, size=(10, 8)), seed=0)
    assert shifted.rejected and shifted.p_value < 0.05 and shifted.statistic > shifted.crit_value
    same = cramer_test(x, rng.normal(size=(10, 8)), seed=0)
    assert same.accepted and same.p_value > 0.05


def test_p_value_and_critical_value_follow_r_definitions():
    result = cramer_test([0.0, 1.0, 2.0], [0.5, 1.5], replicates=200, seed=3)
    assert result.replicates == 200 and (result.m, result.n) == (3, 2)
    # p = 1 - rank/(R+1) is a multiple of 1/(2*(R+1)) and lies in [0, R/(R+1)]
    assert 0 <= result.p_value <= 200 / 201
    assert (result.p_value * 2 * 201) == pytest.approx(round(result.p_value * 2 * 201))
    assert cramer_test([0.0, 1.0, 2.0], [0.5, 1.5], replicates=200, seed=3) == result


def test_bad_input_is_rejected_with_choices():
    with pytest.raises(InvalidParameterError, match="ordinary, permutation"):
        cramer_test([1.0, 2.0], [3.0], sim="eigen")
    with pytest.raises(InvalidParameterError, match="same dimension"):
        cramer_test(np.zeros((3, 2)), np.zeros((3, 3)))
