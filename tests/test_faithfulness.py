"""Score functions on hand-made maps with known answers; an oracle scores at the maximum and a
random explainer at chance."""
import numpy as np
import pandas as pd
import pytest

from helpers import faithfulness as fa
from helpers.errors import InvalidParameterError


def test_mass_scores_on_a_hand_made_map():
    relevance = np.array([0.0, 1.0, 3.0, 0.0, -5.0])  # negative relevance is not mass
    region = np.array([False, False, True, True, False])
    assert fa.mass_fraction(relevance, region) == pytest.approx(0.75)
    assert fa.mass_ratio(relevance, region) == pytest.approx(0.75 / 0.4)
    assert fa.normalised_mass(relevance, region) == pytest.approx((0.75 - 0.4) / 0.6)
    assert fa.pointing_game(relevance, region) == 1.0
    assert np.isnan(fa.mass_fraction(-np.ones(5), region))


def test_reversed_map_points_outside():
    relevance = np.array([3.0, 1.0, 0.0, 0.0, 0.0])
    region = np.array([False, False, True, True, False])
    assert fa.pointing_game(relevance, region) == 0.0
    assert fa.mass_fraction(relevance, region) == 0.0
    assert fa.normalised_mass(relevance, region) == pytest.approx(-0.4 / 0.6)


def test_region_must_be_partial_and_same_shape():
    with pytest.raises(InvalidParameterError, match="some but not all"):
        fa.mass_fraction(np.ones(3), np.ones(3, bool))
    with pytest.raises(InvalidParameterError, match="one shape"):
        fa.pointing_game(np.ones(3), np.ones(4, bool))


def test_rank_scores():
    scores = [0.1, 0.9, 0.5, 0.3]
    assert [fa.rank_of(scores, i) for i in range(4)] == [4, 1, 2, 3]
    assert fa.rank_score(scores, 1) == 1.0 and fa.rank_score(scores, 0) == 0.0
    assert fa.rank_score(scores, 2) == pytest.approx(2 / 3)
    assert fa.rank_of([1.0, 1.0, 0.0], 1) == 2  # ties: lower index first
    with pytest.raises(InvalidParameterError, match="not one of the 4 units"):
        fa.rank_of(scores, 4)


def oracle_and_random(rng, shape=(16, 40), window=slice(10, 16)):
    region = np.zeros(shape, bool)
    region[:, window] = True
    oracle = region.astype(float) + 1e-3 * rng.random(shape) * region
    return region, oracle, rng.random(shape)


def test_oracle_scores_at_the_maximum_and_random_at_chance():
    rng = np.random.default_rng(0)
    results = {"oracle": [], "random": []}
    for _ in range(300):
        region, oracle, random_map = oracle_and_random(rng)
        results["oracle"].append((fa.normalised_mass(oracle, region), fa.pointing_game(oracle, region)))
        results["random"].append((fa.normalised_mass(random_map, region), fa.pointing_game(random_map, region)))
    oracle, random = np.array(results["oracle"]), np.array(results["random"])
    assert np.allclose(oracle, 1.0)
    share = 6 / 40
    assert abs(random[:, 0].mean()) < 0.02  # chance: the normalised mass is 0
    assert abs(random[:, 1].mean() - share) < 0.06  # chance: the region's share
    ranks = [fa.rank_score(rng.random(8), 3) for _ in range(2000)]
    assert abs(np.mean(ranks) - 0.5) < 0.03
    assert fa.rank_score(np.eye(8)[3], 3) == 1.0


def test_unit_relevance_and_order():
    relevance = np.array([[1.0, 2.0, 0.5, 4.0], [1.0, 0.0, 0.5, 4.0]])
    units = np.array([[0, 0, 1, -1], [0, 0, 1, -1]])  # last column is padding: never a unit
    assert fa.unit_relevance(relevance, units).tolist() == [4.0, 1.0]
    assert fa.most_relevant_first(relevance, units).tolist() == [0, 1]


def test_perturbed_inputs_delete_and_insert_in_order():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    units = np.array([0, 0, 1, 2])
    deletion = fa.perturbed_inputs(x, 0.0, units, [2, 0, 1], "deletion")
    assert deletion.tolist() == [[1, 2, 3, 4], [1, 2, 3, 0], [0, 0, 3, 0], [0, 0, 0, 0]]
    insertion = fa.perturbed_inputs(x, 0.0, units, [2, 0, 1], "insertion")
    assert insertion.tolist() == [[0, 0, 0, 0], [0, 0, 0, 4], [1, 2, 0, 4], [1, 2, 3, 4]]
    with pytest.raises(InvalidParameterError, match="kind"):
        fa.perturbed_inputs(x, 0.0, units, [0], "both")


def test_area_under_a_known_curve():
    assert fa.area_under([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    assert fa.area_under([1.0, 0.0, 0.0]) == pytest.approx(0.25)
    assert fa.area_under([0.0, 0.5, 1.0]) == pytest.approx(0.5)


def linear_model(weights):
    """A model whose score is the sum of the units it sees: the oracle explanation is its weights."""
    return lambda batch: np.asarray(batch) @ weights


def test_deletion_and_insertion_reward_the_oracle_and_not_a_random_map():
    rng = np.random.default_rng(1)
    weights = np.array([5.0, 0.1, 0.2, 3.0, 0.0, 0.3, 1.0, 0.1])
    x, units = np.ones(8), np.arange(8)
    predict = linear_model(weights)
    oracle = fa.curves_for(predict, x, 0.0, units, weights, rng, n_random=20).assign(item=0, method="oracle")
    wrong = fa.curves_for(predict, x, 0.0, units, -weights, rng, n_random=20).assign(item=0, method="anti")
    areas = fa.curve_areas(pd.concat([oracle, wrong]), keys=("method", "item")).set_index(["method", "kind"])
    assert areas.loc[("oracle", "deletion"), "gain"] > 1.0
    assert areas.loc[("oracle", "insertion"), "gain"] > 1.0
    assert areas.loc[("anti", "deletion"), "gain"] < -1.0  # the reverse order does worse than random
    gains = []
    for seed in range(300):  # random explanations: no gain on average (within 3 standard errors)
        r = np.random.default_rng(100 + seed)
        curves = fa.curves_for(predict, x, 0.0, units, r.random(8), r, n_random=3).assign(item=seed, method="random")
        gains.append(fa.curve_areas(curves, keys=("method", "item")).query("kind == 'deletion'").gain.iloc[0])
    assert abs(np.mean(gains)) < 3 * np.std(gains) / np.sqrt(len(gains)) < 0.5


def test_curve_predict_must_return_one_score_per_input():
    with pytest.raises(InvalidParameterError, match="one score per input"):
        fa.perturbation_curve(lambda b: np.zeros((len(b), 2)), np.ones(3), 0.0, np.arange(3), [0, 1, 2])


def test_rank_similarity_and_verdict():
    a = np.arange(10.0)
    assert fa.rank_similarity(a, a ** 2) == pytest.approx(1.0)
    assert fa.rank_similarity(a, -a) == pytest.approx(-1.0)
    assert np.isnan(fa.rank_similarity(a, np.ones(10)))
    assert fa.sanity_verdict(0.9) == "fails (barely changes)"
    assert fa.sanity_verdict(0.1) == "passes (changes)"
    assert fa.sanity_verdict(float("nan")) == "n/a"


def test_summarise_gives_mean_ci_and_count():
    values = pd.DataFrame({"method": ["a"] * 4 + ["b"] * 2, "v": [1.0, 1.0, 1.0, 1.0, 0.0, np.nan]})
    table = fa.summarise(values, "v", ["method"]).set_index("method")
    assert table.loc["a", ["mean", "ci_low", "ci_high"]].tolist() == [1.0, 1.0, 1.0]
    assert table.loc["b", "n"] == 1 and table.loc["b", "mean"] == 0.0
