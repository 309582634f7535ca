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


# ------------------------------------------------------------------ helpers of the method runs

from helpers import faithfulness_methods as fm  # noqa: E402


def test_balanced_subset_takes_turns_over_labels():
    positions = np.arange(10)
    labels = np.array(["a"] * 7 + ["b"] * 3)
    assert fm.balanced_subset(positions, labels, 4).tolist() == [0, 1, 7, 8]
    assert fm.balanced_subset(positions, labels, 0).tolist() == list(range(10))
    assert fm.balanced_subset(positions, labels, 8).tolist() == [0, 1, 2, 3, 4, 7, 8, 9]


def test_speaker_halves_are_disjoint_and_hold_both_genders():
    speakers = np.repeat([f"f0{i}" for i in range(1, 6)] + [f"m0{i}" for i in range(1, 6)], 3)
    genders = np.where(np.char.startswith(speakers, "f"), "female", "male")
    train, explain = fm.speaker_halves(speakers, genders)
    assert sorted(np.concatenate([train, explain]).tolist()) == list(range(len(speakers)))
    assert not set(speakers[train]) & set(speakers[explain])
    assert sorted(set(speakers[train])) == ["f01", "f03", "f05", "m02", "m04"]
    for half in (train, explain):  # the old middle cut gave all-female vs all-male halves
        assert set(genders[half]) == {"female", "male"}
    train, explain = fm.speaker_halves(["b", "a", "c", "d", "a"])  # no genders: alternate sorted ids
    assert sorted(train.tolist()) == [1, 2, 4] and sorted(explain.tolist()) == [0, 3]
    with pytest.raises(ValueError, match="two speakers"):
        fm.speaker_halves(["a", "a"])


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


def test_family_scores_use_the_mean_so_big_families_do_not_win_by_size():
    categories = np.array(["A"] * 6 + ["B"])
    importance = np.array([1.0] * 6 + [3.0])
    assert fm.family_scores(importance, categories, ("A", "B")).tolist() == [1.0, 3.0]




# ------------------------------------------------------------------ issue 31: nulls, seeds, regions, verdicts

def test_normalise_curves_per_class():
    rows = []
    for emotion, (top, bottom) in {"a": (1.0, 0.0), "b": (10.0, 6.0)}.items():
        for kind in fa.KINDS:
            curve = np.linspace(top, bottom, 3) if kind == "deletion" else np.linspace(bottom, top, 3)
            rows.append(pd.DataFrame(dict(kind=kind, order="explanation", draw="explanation", step=np.arange(3),
                                          fraction=np.linspace(0, 1, 3), score=curve, item=0, emotion=emotion)))
    curves = fa.normalise_curves(pd.concat(rows, ignore_index=True))
    deletion = curves[curves.kind == "deletion"]
    assert deletion.groupby("emotion").normalised.apply(list).tolist() == [[1.0, 0.5, 0.0]] * 2  # one scale per class


def test_hierarchical_bootstrap_resamples_seeds_then_speakers_then_files():
    frame = pd.DataFrame(dict(seed=[1, 1, 1, 1, 2, 2, 2, 2], speaker=list("aabbaabb"), item=range(8),
                              value=[0.0, 2.0, 4.0, 6.0, 1.0, 1.0, 1.0, 1.0]))
    estimate, low, high = fa.hierarchical_bootstrap(frame, "value", n_boot=500)
    assert estimate == pytest.approx((3.0 + 1.0) / 2)  # mean over seeds of means over speakers of means over files
    assert low < estimate < high
    same = frame.assign(value=1.0)
    assert fa.hierarchical_bootstrap(same, "value") == (1.0, 1.0, 1.0)
    # a seed that disagrees with the others widens the interval more than the same spread over files would
    seeds = pd.DataFrame(dict(seed=np.repeat([1, 2, 3], 4), speaker="a", item=range(12), value=np.repeat([0.0, 0.0, 3.0], 4)))
    files = seeds.assign(seed=1, value=np.tile([0.0, 0.0, 3.0, 0.0], 3))
    width = lambda f: np.subtract(*fa.hierarchical_bootstrap(f, "value")[2:0:-1])
    assert width(seeds) > width(files)
    assert all(np.isnan(fa.hierarchical_bootstrap(frame.assign(value=np.nan), "value")))


def test_three_way_verdict():
    assert fa.three_way(0.2, 0.4, 0.05) == "yes"
    assert fa.three_way(-0.3, 0.01, 0.05) == "no"
    assert fa.three_way(0.0, 0.3, 0.05) == "undecided"
    assert fa.three_way(float("nan"), 0.3, 0.05) == "undecided"
    assert fa.learned_threshold(0.5) == pytest.approx(0.55) and fa.learned_threshold(0.2) == pytest.approx(0.28)


def toy_benchmark(trained, randomised, accuracy_correct=1.0, rho_random=0.1, rho_seeds=0.9, cue_type="band", n=8, noise=0.01):
    """A Benchmark over 2 seeds × 2 speakers × n files with the given per-file primary scores and ρ."""
    metric = fa.PRIMARY[cue_type]
    rows, sanity, predictions = [], [], []
    rng = np.random.default_rng(0)
    for seed in (1, 2):
        for item in range(n):
            speaker = "ab"[item % 2]
            for model, value in (("trained", trained), ("randomised", randomised)):
                rows.append(dict(seed=seed, item=item, speaker=speaker, emotion="anger", model=model, metric=metric,
                                 value=value + noise * rng.standard_normal(), chance=0.0))
            for test, rho in ((fa.RANDOMISED_TEST, rho_random), (fa.BETWEEN_SEEDS_TEST, rho_seeds)):
                sanity.append(dict(seed=seed, item=item, speaker=speaker, test=test, rho_signed=rho, rho_abs=rho))
            predictions.append(dict(seed=seed, item=item, speaker=speaker, correct=accuracy_correct))
    return fm.Benchmark("m", "p", cue_type, "q", pd.DataFrame(rows), sanity=pd.DataFrame(sanity),
                        predictions=pd.DataFrame(predictions), chance_accuracy=1 / 3)


def test_located_uses_the_randomised_model_as_null():
    high_null = fa.verdict_row(toy_benchmark(trained=0.40, randomised=0.40))
    assert high_null["located"] == "no"  # a score far above the theoretical chance (0) is not enough
    assert high_null["null"].startswith("0.40")
    assert fa.verdict_row(toy_benchmark(trained=0.40, randomised=0.0))["located"] == "yes"
    assert fa.verdict_row(toy_benchmark(trained=0.45, randomised=0.40, noise=0.05))["located"] == "undecided"  # within δ = 0.05


def test_sanity_is_judged_against_the_between_seeds_reference_and_unlearned_rows_are_na():
    assert fa.verdict_row(toy_benchmark(0.4, 0.0, rho_random=0.5, rho_seeds=0.9))["sane"] == "yes"
    assert fa.verdict_row(toy_benchmark(0.4, 0.0, rho_random=0.5, rho_seeds=0.5))["sane"] == "no"
    unlearned = fa.verdict_row(toy_benchmark(0.4, 0.0, accuracy_correct=0.0))
    assert unlearned["model_learned"] == "no" and (unlearned["located"], unlearned["sane"]) == ("n/a", "n/a")
    row = fa.verdict_row(toy_benchmark(0.4, 0.0))
    assert row["seeds"] == 2 and row["primary_metric"] == fa.POOLED_METRIC == "pooled mass" and row["faithful"] == "n/a"
    assert fa.verdict_row(toy_benchmark(0.9, 0.5, cue_type="family"))["primary_metric"] == "rank score"


def test_too_few_explained_items_decide_nothing_about_the_explanation():
    """Four items (information increase: one per emotion) that all agree give a zero-width
    bootstrap interval; below MIN_ITEMS the explanation verdicts stay undecided, while the
    same effect on enough items is decided and the model's own verdict is unaffected."""
    few = fa.verdict_row(toy_benchmark(trained=0.40, randomised=0.0, rho_random=0.1, rho_seeds=0.9, n=2, noise=0.0))
    assert few["files"] == 4 < fa.MIN_ITEMS
    assert few["score_minus_null"] == "0.40 [0.40, 0.40]"  # the degenerate interval the rule is for
    assert (few["model_learned"], few["located"], few["sane"]) == ("yes", "undecided", "undecided")
    enough = fa.verdict_row(toy_benchmark(trained=0.40, randomised=0.0, n=fa.MIN_ITEMS // 2, noise=0.0))
    assert enough["files"] == fa.MIN_ITEMS and (enough["located"], enough["sane"]) == ("yes", "yes")
    assert fa.verdict_row(toy_benchmark(0.4, 0.0, accuracy_correct=0.0, n=2))["located"] == "n/a"  # unlearned stays n/a


def test_sanity_without_a_between_seeds_reference_is_na_not_undecided():
    """A single run (information increase on a pretrained embedding: no retraining by seed)
    has no reference for ρ, so `sane` is n/a while ρ against the randomised model is still reported."""
    b = toy_benchmark(0.4, 0.0, rho_random=0.5)
    b.sanity = b.sanity[b.sanity.test != fa.BETWEEN_SEEDS_TEST]
    row = fa.verdict_row(b)
    assert row["sane"] == "n/a" and row["rho_between_seeds"] == "n/a" and row["rho_randomised"].startswith("0.50")
    assert row["located"] == "yes"


def test_signed_and_absolute_rho_of_a_toy_linear_model():
    """Linear SHAP w·(x − μ): with random weights the signed map is unrelated to the trained one,
    but the magnitudes still correlate through |x − μ| (ρ ≈ 0.5), about where the old fixed
    threshold of 0.5 sat; two seeds of the trained model (weights differing by noise) agree more."""
    rng = np.random.default_rng(3)
    signed, absolute, seeds_abs = [], [], []
    w = rng.normal(size=88)
    for _ in range(200):
        deviation = rng.normal(size=88) * rng.gamma(1.0, 1.0, size=88)  # features deviate by different amounts
        trained, random_w = w * deviation, rng.normal(size=88) * deviation
        other_seed = (w + 0.3 * rng.normal(size=88)) * deviation
        rho = fa.similarities(trained, random_w)
        signed.append(rho["rho_signed"])
        absolute.append(rho["rho_abs"])
        seeds_abs.append(fa.similarities(trained, other_seed)["rho_abs"])
    assert abs(np.mean(signed)) < 0.05
    assert 0.3 < np.mean(absolute) < 0.7
    assert np.mean(seeds_abs) > np.mean(absolute) + 0.2


def test_between_seed_rows_pair_consecutive_seeds_on_shared_files():
    maps = {(1, 0): np.arange(5.0), (2, 0): np.arange(5.0) ** 2, (1, 1): np.arange(5.0), (2, 2): np.ones(5)}
    rows = fm.between_seed_rows(maps, {0: "a", 1: "b"})
    assert [(r["seed"], r["item"], r["speaker"]) for r in rows] == [(1, 0, "a")]
    assert rows[0]["rho_signed"] == pytest.approx(1.0) and rows[0]["test"] == fa.BETWEEN_SEEDS_TEST
    three = {(s, 0): np.arange(5.0) * s for s in (1, 2, 3)}
    assert [r["seed"] for r in fm.between_seed_rows(three, {})] == [1, 2, 3]  # 1-2, 2-3, 3-1


def twin_meta():
    return pd.DataFrame(dict(speaker=["s1"] * 4 + ["s2"] * 4, take=[1, 1, 2, 2] * 2,
                             emotion=["neutral", "anger", "neutral", "anger"] * 2))


def test_twin_positions_and_family_region_holds_the_largest_shifts():
    meta = twin_meta()
    twins = fm.twin_positions(meta)
    assert twins.tolist() == [0, 0, 2, 2, 4, 4, 6, 6]
    rng = np.random.default_rng(0)
    z = rng.normal(size=(8, 6))
    z[1::2] = z[0::2] + np.array([3.0, 0.0, 0.0, 1.5, 0.0, 0.0]) + 0.01 * rng.normal(size=(4, 6))  # planted: 0; leak: 3
    shift = fm.twin_shift(z, meta, twins)
    assert np.isnan(shift[0]).all() and not np.isnan(shift[1]).any()
    for row in (1, 3, 5, 7):
        region = fm.shift_region(shift[row])
        assert region[0] and region[3] and not region[[1, 2, 4, 5]].any()  # the leak is in, the quiet features out
        assert np.abs(shift[row][region]).min() > np.abs(shift[row][~region]).max()


def test_keras_free_cascade_reinitialises_from_the_top():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    trained = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    untrained = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    one = fm._reinitialise_top(trained, untrained, 1)
    assert torch.equal(one[2].weight, untrained[2].weight) and torch.equal(one[0].weight, trained[0].weight)
    assert not torch.equal(trained[2].weight, untrained[2].weight)  # the original is left alone


def test_summary_sentences_follow_the_table():
    verdicts = pd.DataFrame([
        dict(method="A", cue_type="band", seeds=3, model_learned="yes", located="yes", faithful="no", sane="undecided"),
        dict(method="B", cue_type="time", seeds=3, model_learned="no", located="n/a", faithful="n/a", sane="n/a"),
        dict(method="C", cue_type="band", seeds=3, model_learned="yes", located="yes", faithful="yes", sane="yes")])
    text = fa.summary_sentences(verdicts)
    assert "3 training seeds" in text
    assert "B [time] did not demonstrably learn" in text
    assert "A [band] and C [band]: locate the planted cue" in text
    assert "A [band]: do not pass deletion" in text and "A [band]: are undecided on the randomisation" in text
    flipped = fa.summary_sentences(verdicts.assign(located=["no", "n/a", "no"]))
    assert flipped != text and "A [band] and C [band]: do not locate" in flipped
    assert "one randomised model per seed" in text  # a table without the null_models column
    drawn = fa.summary_sentences(verdicts.assign(null_models=[5, 5, 1]))
    assert "the mean over 5 randomised models per seed (C: 1)" in drawn


def test_readme_markers_are_replaced_and_read_back():
    text = f"intro\n{fa.SUMMARY_START}\nold\n{fa.SUMMARY_END}\nrest"
    new = fa.replace_between_markers(text, "new line")
    assert new == f"intro\n{fa.SUMMARY_START}\nnew line\n{fa.SUMMARY_END}\nrest" and fa.between_markers(new) == "new line"
    with pytest.raises(InvalidParameterError, match="markers"):
        fa.replace_between_markers("no markers", "x")


def test_readme_summary_equals_the_committed_verdict_table():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    table = pd.read_csv(root / "figures" / "faithfulness" / "table_verdicts.csv")
    readme = (root / "README.md").read_text()
    assert fa.between_markers(readme) == fa.summary_sentences(table), \
        "README summary is stale: run `python -m helpers.faithfulness` after re-executing the notebook"


def test_a_map_without_positive_relevance_scores_chance_mass():
    rows = fm.score_rows(0, "anger", -np.ones(5), np.array([True, False, False, False, False]))
    assert {r["metric"]: r["value"] for r in rows}["normalised mass"] == 0.0  # not NaN: the null keeps every file


def test_information_increase_names_its_embedding_briefly_and_nulls_a_pretrained_one_with_its_random_copy():
    from helpers import embeddings

    assert fm.embedding_short_label("ge2e") == "ge2e, pretrained stand-in"
    assert fm.embedding_short_label("tiny-wavlm") == "tiny-wavlm, random-init stand-in"
    assert fm.embedding_short_label("microsoft/wavlm-large") == "microsoft/wavlm-large"
    copy = fm.RANDOM_COPIES["ge2e"]
    assert copy == "ge2e-random" and copy in embeddings.STAND_INS and "ge2e" not in embeddings.STAND_INS
    assert "tiny-wavlm" not in fm.RANDOM_COPIES  # random already: its null permutes the labels


def test_pooling_to_the_shared_grid_keeps_mass_and_puts_maps_on_one_scale():
    import librosa

    from helpers.spectrograms import cqt_frequencies

    edges = fa.grid_band_edges()
    assert len(edges) == fa.GRID_BANDS + 1 and edges[0] == 0 and edges[-1] == pytest.approx(8000)
    mel = librosa.mel_frequencies(34, fmin=0.0, fmax=8000.0)[1:-1]
    times = np.arange(100) * 0.015  # 1.5 s of frames
    rng = np.random.default_rng(0)
    relevance = rng.normal(size=(32, 100))
    grid = fa.pool_to_grid(relevance, mel, times, edges)
    assert grid.shape == (16, 15) and grid.sum() == pytest.approx(np.clip(relevance, 0, None).sum())
    band = fa.grid_region("band", 1200, 1650, edges, times)
    assert band[:, 0].tolist() == [6 <= b <= 7 for b in range(16)] and band.all(axis=1).sum() == 2
    window = fa.grid_region("time", 0.52, 0.92, edges, times)
    assert np.flatnonzero(window[0]).tolist() == [5, 6, 7, 8]
    # a cue-blind (uniform) Mel map scores chance on the grid; the same on CQT bins does not,
    # because the 96 log-spaced bins put fewer bins in the planted band than its share of the grid
    mel_uniform = fa.normalised_mass(fa.pool_to_grid(np.ones((32, 100)), mel, times, edges), band)
    cqt_uniform = fa.normalised_mass(fa.pool_to_grid(np.ones((96, 100)), cqt_frequencies(), times, edges), band)
    assert abs(mel_uniform) < 0.01 and cqt_uniform < -0.04  # 7 of 96 CQT bins vs 2 of 16 grid bands
    oracle = np.where((cqt_frequencies() >= 1200) & (cqt_frequencies() < 1650), 1.0, 0.0)[:, None] * np.ones((1, 100))
    assert fa.normalised_mass(fa.pool_to_grid(oracle, cqt_frequencies(), times, edges), band) == pytest.approx(1.0)


def test_map_runs_score_pooled_mass_for_the_planted_band():
    meta = pd.DataFrame(dict(speaker=["a"], emotion=["anger"], cue_lo_hz=[1200.0], cue_hi_hz=[1650.0],
                             cue_start_s=[np.nan], cue_end_s=[np.nan]))
    freqs = np.linspace(50, 7950, 40)
    run = fm.MapRun(0, meta, np.array([0]), [], [50], [], None, [], [], 1, "band", freqs, [np.arange(50) * 0.02])
    inside = ((freqs >= 1145) & (freqs < 1689))[:, None] * np.ones((1, 50))
    rows = run.pooled_rows(0, 0, {"trained": inside, "randomised": np.ones((40, 50))})
    assert [r["model"] for r in rows] == ["trained", "randomised"] and {r["metric"] for r in rows} == {fa.POOLED_METRIC}
    assert rows[0]["value"] == pytest.approx(1.0) and rows[1]["value"] < 0.5


def test_component_weights_pool_onto_grid_bands_by_overlap():
    grid = fa.grid_band_edges()
    components = np.array([0.0, 1000.0, 2000.0, 8000.0])
    pooled = fa.pool_components([1.0, -3.0, 2.0], components, grid)
    assert pooled.shape == (16, 1) and pooled.sum() == pytest.approx(3.0)  # negative weight is not mass
    assert pooled[:5, 0].sum() == pytest.approx(5 * 188.6 / 1000.0, rel=0.01)  # bands below 943 Hz: their share of [0, 1000)
    meta = pd.DataFrame(dict(speaker=["a"], emotion=["anger"], cue_lo_hz=[1200.0], cue_hi_hz=[1650.0]))
    rows = fm.pooled_band_rows(3, meta.iloc[0], 0, {"trained": [0.0, 1.0, 0.0], "randomised": [1.0, 1.0, 1.0]}, components)
    assert [r["seed"] for r in rows] == [3, 3] and rows[0]["value"] > rows[1]["value"]


def test_the_null_of_a_file_is_the_mean_over_its_randomised_draws():
    region = np.array([True, False, False, False])
    inside, outside, half = np.array([1.0, 0, 0, 0]), np.array([0, 1.0, 0, 0]), np.array([1.0, 1.0, 0, 0])
    ranker = lambda r: (np.asarray(r), 0)
    rows = fm.item_rows(7, 3, "s1", "anger", {"trained": inside, "randomised": fm.Draws([inside, outside, half])}, region, ranker)
    by = {(r["model"], r["metric"]): r["value"] for r in rows}
    singles = [{r["metric"]: r["value"] for r in fm.item_rows(7, 3, "s1", "anger", {"randomised": m}, region, ranker)}
               for m in (inside, outside, half)]
    for metric in ("normalised mass", "pointing game", "rank score"):
        assert by[("randomised", metric)] == pytest.approx(np.mean([s[metric] for s in singles]))
    assert by[("trained", "normalised mass")] == pytest.approx(1.0) and by[("randomised", "normalised mass")] < 1.0
    assert len(rows) == 6  # one row per model and metric, not one per draw
    # ρ with the trained map: the mean over the draws, and a single map is its own mean
    rho = fm.null_similarities(inside, fm.Draws([inside, outside]))
    assert rho["rho_signed"] == pytest.approx(np.mean([fa.similarities(inside, m)["rho_signed"] for m in (inside, outside)]))
    assert fm.null_similarities(inside, outside) == fa.similarities(inside, outside)
    flat = np.zeros(4)  # a constant map: ρ undefined for that draw, the others still count
    assert np.isnan(fa.similarities(inside, flat)["rho_signed"])
    assert fm.null_similarities(inside, fm.Draws([outside, flat]))["rho_signed"] == fa.similarities(inside, outside)["rho_signed"]
    assert np.isnan(fm.null_similarities(inside, fm.Draws([flat, flat]))["rho_signed"])


def test_randomised_networks_get_distinct_seeds_across_training_seeds_and_draws():
    seeds = [fm.null_seed(s, k) for s in range(7, 12) for k in range(fm.N_NULL)]
    assert len(set(seeds)) == len(seeds) and fm.null_seed(7, 0) == 1007  # draw 0 is the earlier single null


def test_pooled_mass_of_draws_is_their_mean():
    meta = pd.DataFrame(dict(speaker=["a"], emotion=["anger"], cue_lo_hz=[1200.0], cue_hi_hz=[1650.0]))
    components = np.array([0.0, 1000.0, 2000.0, 8000.0])
    one = lambda w: fm.pooled_band_rows(3, meta.iloc[0], 0, {"randomised": w}, components)[0]["value"]
    draws = fm.Draws([np.array([0.0, 1.0, 0.0]), np.array([1.0, 1.0, 1.0])])
    both = fm.pooled_band_rows(3, meta.iloc[0], 0, {"randomised": draws}, components)
    assert len(both) == 1 and both[0]["value"] == pytest.approx((one(draws[0]) + one(draws[1])) / 2)


def _toy_family_data(seed=0, n_speakers=4, takes=3, n_features=16):
    """A FamilyData whose emotional files move their planted family's features from the twin."""
    rng = np.random.default_rng(seed)
    families = ("Energy", "Frequency", "Spectral", "Temporal")
    planted = dict(zip(fm.FAMILY_EMOTIONS, ("Energy", "Spectral", "Frequency", "Temporal")))
    categories = np.repeat(families, n_features // 4)
    rows, z = [], []
    for s in range(n_speakers):
        for t in range(takes):
            base = rng.normal(size=n_features)
            for emotion in ("neutral", *fm.FAMILY_EMOTIONS):
                shift = np.where(categories == planted.get(emotion), 2.0, 0.0) if emotion != "neutral" else 0.0
                z.append(base + shift + 0.1 * rng.normal(size=n_features))
                rows.append(dict(speaker=f"{'fm'[s % 2]}{s:02d}", gender="fm"[s % 2], take=t, emotion=emotion,
                                 cue_family=planted.get(emotion, "")))
    return fm.FamilyData(pd.DataFrame(rows), np.array(z), categories, families)


def test_shap_benchmark_averages_its_null_over_n_null_random_models():
    data = _toy_family_data()
    one, five = fm.shap_egemaps(data, seed=3, n_null=1), fm.shap_egemaps(data, seed=3, n_null=5)
    trained = lambda b: b.scores[b.scores.model == "trained"].reset_index(drop=True)
    null = lambda b: b.scores[b.scores.model == "randomised"].value.to_numpy()
    pd.testing.assert_frame_equal(trained(one), trained(five))  # the trained model and its curves are untouched
    pd.testing.assert_frame_equal(one.curves, five.curves)
    assert len(null(one)) == len(null(five)) and not np.allclose(null(one), null(five))
    assert "5 draws" in five.notes and "1 draws" in one.notes


def test_verdict_agreement_counts_equal_verdicts_and_lists_the_ones_that_moved():
    base = dict(accuracy="0.9 [0.8, 1.0]", score_minus_null="0.2 [0.1, 0.3]", deletion_gain="0.3 [0.2, 0.4]",
                rho_between_seeds="0.8 [0.7, 0.9]", model_learned="yes", located="yes", faithful="yes", sane="yes")
    first = pd.DataFrame([dict(base, method="A", cue_type="band"), dict(base, method="A", cue_type="time")])
    second = first.copy()
    assert fa.verdict_agreement(first, second)[:2] == (8, 8)
    second.loc[1, ["located", "score_minus_null"]] = ["undecided", "0.1 [0.0, 0.2]"]
    same, total, moved = fa.verdict_agreement(first, second.iloc[::-1])  # matched by method and cue, not position
    assert (same, total) == (7, 8) and len(moved) == 1
    assert moved.iloc[0][["cue_type", "verdict", "first", "second", "second_ci"]].tolist() == \
        ["time", "located", "yes", "undecided", "0.1 [0.0, 0.2]"]
    with pytest.raises(InvalidParameterError, match=r"A \[time\]"):
        fa.verdict_agreement(first, second.iloc[:1])
