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
    oracle = fa.normalise_curves(fa.curves_for(predict, x, 0.0, units, weights, rng, n_random=20).assign(item=0, method="oracle"))
    wrong = fa.curves_for(predict, x, 0.0, units, -weights, rng, n_random=20).assign(item=0, method="anti")
    assert oracle.query("kind == 'deletion' and step == 0").normalised.eq(1.0).all()
    assert oracle.query("kind == 'insertion' and step == 0").normalised.eq(0.0).all()
    areas = fa.curve_areas(pd.concat([oracle, wrong]), keys=("method", "item"), value="score").set_index(["method", "kind"])
    assert areas.loc[("oracle", "deletion"), "gain"] > 1.0
    assert areas.loc[("oracle", "insertion"), "gain"] > 1.0
    assert areas.loc[("anti", "deletion"), "gain"] < -1.0  # the reverse order does worse than random
    unit_free = fa.curve_areas(oracle, keys=("method", "item")).set_index("kind").gain
    assert 0 < unit_free["deletion"] < 1 and unit_free["deletion"] == pytest.approx(
        areas.loc[("oracle", "deletion"), "gain"] / weights.sum())
    gains = []
    for seed in range(300):  # random explanations: no gain on average (within 3 standard errors)
        r = np.random.default_rng(100 + seed)
        curves = fa.curves_for(predict, x, 0.0, units, r.random(8), r, n_random=3).assign(item=seed, method="random")
        gains.append(fa.curve_areas(curves, keys=("method", "item"), value="score").query("kind == 'deletion'").gain.iloc[0])
    assert abs(np.mean(gains)) < 3 * np.std(gains) / np.sqrt(len(gains)) < 0.5


def test_curve_predict_must_return_one_score_per_input():
    with pytest.raises(InvalidParameterError, match="one score per input"):
        fa.curves_for(lambda b: np.zeros((len(b), 2)), np.ones(3), 0.0, np.arange(3), np.ones(3), np.random.default_rng(0))


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


# ------------------------------------------------------------------ helpers of the method runs

from helpers import faithfulness_methods as fm  # noqa: E402


def test_balanced_subset_takes_turns_over_labels():
    positions = np.arange(10)
    labels = np.array(["a"] * 7 + ["b"] * 3)
    assert fm.balanced_subset(positions, labels, 4).tolist() == [0, 1, 7, 8]
    assert fm.balanced_subset(positions, labels, 0).tolist() == list(range(10))
    assert fm.balanced_subset(positions, labels, 8).tolist() == [0, 1, 2, 3, 4, 7, 8, 9]


def test_planted_region_in_time_and_frequency():
    row = pd.Series(dict(cue_start_s=0.2, cue_end_s=0.4, cue_lo_hz=1000.0, cue_hi_hz=2000.0))
    times, freqs = np.arange(10) * 0.1, np.array([500.0, 1000.0, 1500.0, 2000.0])
    time_region = fm.planted_region("time", row, times, freqs, n_valid=8)
    assert time_region.shape == (4, 8) and time_region[0].tolist() == [False, False, True, True] + [False] * 4
    assert time_region.all(axis=0).sum() == 2
    shifted = fm.planted_region("time", row, times, freqs, n_valid=8, offset_s=0.1)  # trimmed lead-in of 0.1 s
    assert np.flatnonzero(shifted[0]).tolist() == [1, 2]
    band_region = fm.planted_region("band", row, times, freqs, n_valid=8)
    assert band_region[:, 0].tolist() == [False, True, True, False]


def test_spectrogram_units_cover_valid_frames_only():
    units = fm.spectrogram_units("time", (3, 10), n_valid=8, n_units=4)
    assert units[0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, -1, -1]
    assert (units == units[0]).all()
    bands = fm.spectrogram_units("band", (4, 6), n_valid=5, n_units=2)
    assert bands[:, 0].tolist() == [0, 0, 1, 1] and (bands[:, 5] == -1).all()


def test_splits_are_disjoint_and_speaker_split_holds_speakers_out():
    meta = pd.DataFrame({"speaker": np.repeat(list("abcd"), 6), "emotion": np.tile(["x", "y", "z"], 8)})
    train, explain = fm.split_rows(meta, "speaker")
    assert set(meta.speaker[train]) == {"a", "b"} and set(meta.speaker[explain]) == {"c", "d"}
    train, explain = fm.split_rows(meta, "random", seed=1)
    assert not set(train) & set(explain) and len(train) + len(explain) == 24
    counts = meta.emotion[explain].value_counts()
    assert len(explain) == 8 and set(counts.index) == {"x", "y", "z"} and counts.max() - counts.min() <= 1  # stratified
    with pytest.raises(InvalidParameterError, match="split"):
        fm.split_rows(meta, "by-take")


def test_family_scores_use_the_mean_so_big_families_do_not_win_by_size():
    categories = np.array(["A"] * 6 + ["B"])
    importance = np.array([1.0] * 6 + [3.0])
    assert fm.family_scores(importance, categories, ("A", "B")).tolist() == [1.0, 3.0]


def test_verdict_table_reads_the_three_tables():
    b = fm.Benchmark("m", "p", "time", "q", pd.DataFrame(
        [dict(item=i, emotion="anger", metric="pointing game", value=1.0, chance=0.2) for i in range(8)]
        + [dict(item=i, emotion="anger", metric="normalised mass", value=0.5, chance=0.0) for i in range(8)]),
        sanity=pd.DataFrame([dict(item=i, test="w", similarity=0.9) for i in range(8)]), accuracy=0.9, chance_accuracy=0.5)
    scores = fa.score_table([b])
    assert scores.set_index("metric").loc["pointing game", "above_chance"] == "yes"
    models = pd.DataFrame([dict(method="m", cue_type="time", held_out_accuracy=0.9, chance=0.5)])
    verdict = fa.verdict_table(scores, fa.area_table([b]), fa.sanity_table([b]), models).iloc[0]
    assert (verdict.model_learned, verdict.located, verdict.faithful, verdict.sane) == ("yes", "yes", "n/a", "no")
    assert verdict.normalised_mass == "0.50"
