"""Das 2022 analysis helpers: outliers/scaling, CV with fixed transfer sets, triads, latent
geometry (ρ, Procrustes) and DeepLIFT completeness."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import autoencoders as ae
from helpers import latent_analysis as la
from helpers.errors import InvalidParameterError

FAST = ae.TrainConfig(epochs=5)


def toy_corpus(n_per=12, d=88, shift=1.5, seed=0, offset=0.0) -> la.Corpus:
    rng = np.random.default_rng(seed)
    ys, xs = [], []
    for k, e in enumerate(la.EMOTIONS):
        centre = np.zeros(d)
        centre[k] = shift
        xs.append(rng.normal(size=(n_per, d)) + centre + offset)
        ys += [e] * n_per
    y = np.array(ys)
    return la.Corpus(np.vstack(xs), y, np.array([f"s{i % 4}" for i in range(len(y))]), np.arange(len(y)))


def test_outlier_rule_drops_only_samples_beyond_ten_sd_then_standardises_the_rest():
    X = np.random.default_rng(0).normal(size=(200, 3))
    X[7, 1] = 1e6  # z ≈ sqrt(199) ≈ 14.1 > 10
    X[8, 2] = 12.0  # 12 sd of the bulk, but it inflates the std: its z (≈ 9.1) stays under 10
    prep = la.Preprocessor().fit(X)
    assert np.flatnonzero(~prep.fit_keep_).tolist() == [7]
    kept = prep.transform(X[prep.fit_keep_])
    np.testing.assert_allclose(kept.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(kept.std(axis=0), 1, atol=1e-12)
    assert la.Preprocessor(threshold=3).fit(X).fit_keep_.sum() < 199
    with pytest.raises(InvalidParameterError):
        la.Preprocessor(threshold=0)


def test_train_scaling_fits_on_the_training_fold_only_and_never_drops_evaluation_rows():
    train, valid = toy_corpus(seed=1), toy_corpus(n_per=5, seed=2)
    transfer = toy_corpus(n_per=5, seed=3, offset=50.0)  # every row would be an outlier for train's statistics
    fold = la.run_fold(train, valid, {"far": transfer}, methods=("raw",), scaling="train", seed=0)
    mean, sd = train.X.mean(axis=0), train.X.std(axis=0)  # no training outliers in this toy set
    np.testing.assert_allclose(fold.data["valid"].X, (valid.X - mean) / sd)
    np.testing.assert_allclose(fold.data["far"].X, (transfer.X - mean) / sd)
    assert len(fold.data["far"].y) == 20  # not dropped
    assert fold.data["far"].X.mean() > 30  # standardised with train's statistics, not its own


def test_per_corpus_scaling_uses_each_corpus_own_statistics():
    transfer = toy_corpus(n_per=5, seed=3, offset=50.0)
    cleaned, dropped = la.clean_per_corpus(transfer)
    assert dropped == 0
    np.testing.assert_allclose(cleaned.X.mean(axis=0), 0, atol=1e-9)
    cv = la.cross_validate(toy_corpus(seed=1), {"far": transfer}, methods=("raw",), scaling="per_corpus",
                           n_splits=3, seed=0)
    assert cv.dropped.dataset.tolist() == ["train corpus", "far"]
    np.testing.assert_allclose(cv.fold.data["far"].X.mean(axis=0), 0, atol=1e-9)


@pytest.mark.parametrize("scaling", la.SCALINGS)
def test_transfer_sets_are_never_used_for_fitting(scaling):
    train, valid = toy_corpus(seed=1), toy_corpus(n_per=5, seed=2)
    junk = toy_corpus(n_per=5, seed=9, shift=-30.0)
    if scaling == "per_corpus":
        train, _ = la.clean_per_corpus(train)
        valid = la.Corpus(valid.X - 0.1, valid.y, valid.groups, valid.ids)
    alone = la.run_fold(train, valid, {}, scaling=scaling, seed=4, ae_config=FAST)
    with_t = la.run_fold(train, valid, {"junk": junk}, scaling=scaling, seed=4, ae_config=FAST)
    for method in la.METHODS:
        np.testing.assert_array_equal(alone.predictions[(method, "valid")], with_t.predictions[(method, "valid")])
    np.testing.assert_array_equal(alone.embeddings[("dae", "valid")], with_t.embeddings[("dae", "valid")])
    assert {r["dataset"] for r in with_t.scores} == {"train", "valid", "junk"}


def test_cross_validation_scores_every_fold_method_and_dataset():
    cv = la.cross_validate(toy_corpus(), {"t": toy_corpus(n_per=4, seed=5)}, methods=("raw", "pca"),
                           n_splits=4, seed=1, keep_fold=2)
    assert len(cv.scores) == 4 * 2 * 3 and cv.kept_fold == 2
    assert set(cv.scores.dataset) == {"train", "valid", "t"}
    assert cv.scores.uar.between(0, 1).all()
    raw_train = cv.scores[(cv.scores.method == "raw") & (cv.scores.dataset == "train")].uar
    assert raw_train.min() == 1.0  # 36 samples in 88 dimensions are linearly separable
    summary = la.summarise(cv.scores)
    assert len(summary) == 2 * 3 and (summary.uar_low <= summary.uar).all()


def test_folds_are_validated():
    with pytest.raises(InvalidParameterError, match="stratified, speaker"):
        la.folds(toy_corpus(), mode="loso")
    with pytest.raises(InvalidParameterError, match="smallest class has 3"):
        la.folds(toy_corpus(n_per=3), n_splits=10)
    with pytest.raises(InvalidParameterError, match="train, per_corpus"):
        la.cross_validate(toy_corpus(), scaling="global")
    speaker = la.folds(toy_corpus(), n_splits=10, mode="speaker")
    assert len(speaker) == 4  # 4 speakers → leave one speaker out


def test_summarise_matches_a_hand_computed_t_interval():
    scores = pd.DataFrame({"method": "raw", "dataset": "valid", "uar": [0.5, 0.7], "accuracy": [0.5, 0.7]})
    row = la.summarise(scores).iloc[0]
    half = 12.706204736174707 * 0.1414213562373095 / np.sqrt(2)
    assert row.uar == pytest.approx(0.6) and row.uar_high == pytest.approx(0.6 + half)


def test_triads_in_the_paper_order_and_their_confusions():
    assert [la.triad_name(t) for t in la.TRIADS] == ["N-S-H", "N-S-A", "N-H-A", "S-H-A"]
    scores, conf = la.run_triads(toy_corpus(), {"t": toy_corpus(n_per=4, seed=5)}, seed=0,
                                 triads=la.TRIADS[:1], methods=("raw", "dae"), n_splits=3, ae_config=FAST)
    assert set(scores.triad) == {"N-S-H"} and len(scores) == 3 * 2 * 3
    rows = conf.groupby(["dataset", "true"]).fraction.sum()
    np.testing.assert_allclose(rows.to_numpy(), 1.0)
    assert set(conf["true"]) == {"neutral", "sadness", "happiness"}


def test_arousal_correlation_picks_the_dimension_with_largest_abs_rho():
    arousal = np.array([0.0, -0.6, 0.6, 0.8, 0.1])
    latent = np.column_stack([[1, 2, 3, 4, 5], -arousal * 3])
    table = la.arousal_correlation(latent, arousal)
    best = table[table.best].iloc[0]
    assert best.dim == 2 and best.rho == pytest.approx(-1.0)


def rotate(points, degrees):
    t = np.radians(degrees)
    return points @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])


@pytest.mark.parametrize("angle", [30.0, -100.0, 0.0])
def test_procrustes_angle_recovers_a_known_rotation(angle):
    ref = np.array([[0.0, 0.0], [1.0, 0.2], [2.0, 1.5], [-0.5, 1.0]])
    other = rotate(ref, -angle) * 3.0 + np.array([5.0, -2.0])  # rotated, scaled, shifted
    result = la.procrustes_angle(ref, other)
    assert result["angle_deg"] == pytest.approx(angle, abs=1e-9)
    assert result["disparity"] == pytest.approx(0.0, abs=1e-12)
    assert la.procrustes_angle(ref, ref * np.array([1, -1]))["disparity"] > 0.01  # a mirror is no rotation


def test_deeplift_is_complete_for_each_latent_unit():
    X = np.random.default_rng(0).normal(size=(40, 88))
    model, _ = ae.train_autoencoder(X, ae.TrainConfig(kind="dae", epochs=5), seed=0)
    ref = X[:10].mean(axis=0)
    attr, delta = la.deeplift(model, X[10:], ref)
    assert attr.shape == (30, 88, 2) and delta.shape == (30, 2)
    gap = attr.sum(axis=1) - (ae.encode(model, X[10:]) - ae.encode(model, ref[None]))
    np.testing.assert_allclose(gap, 0, atol=1e-4)
    assert np.abs(delta).max() < 1e-4
    assert np.abs(attr).max() > 1e-3  # not trivially zero


def test_neutral_reference_uses_correct_neutral_predictions():
    X = np.array([[1.0], [3.0], [10.0], [20.0]])
    y = np.array(["neutral", "neutral", "neutral", "anger"])
    ref, note = la.neutral_reference(X, y, np.array(["neutral", "neutral", "anger", "anger"]))
    assert ref.tolist() == [2.0] and "2 correctly" in note
    ref, note = la.neutral_reference(X, y, np.array(["anger"] * 4))
    assert ref.tolist() == [14 / 3] and "all neutral" in note


def test_group_attributions_and_effect_sizes_by_hand():
    groups = pd.DataFrame({"feature": ["a", "b", "c"], "group": ["g1", "g1", "g2"]})
    attr = np.array([[[1.0, 0.0], [3.0, 2.0], [5.0, -1.0]]])  # 1 sample × 3 features × 2 dims
    long = la.group_attributions(attr, np.array(["anger"]), groups, ["g1", "g2"])
    got = long.set_index(["group", "dim"]).attribution
    assert got[("g1", "dim 1")] == 2.0 and got[("g1", "dim 2")] == 1.0 and got[("g2", "dim 2")] == -1.0
    X = np.array([[0.0, 0, 0], [2.0, 0, 0], [4.0, 1, 0], [6.0, 1, 0]])
    y = np.array(["neutral", "neutral", "anger", "anger"])
    eff = la.group_effect_sizes(X, y, groups, ["g1", "g2"], ["neutral", "anger"])
    # feature a: d = 4 / sqrt(2) = 2.828; b: constant within class → |1 - 0| / 0 → inf guarded to 0
    assert eff.set_index("group").effect_size["g1"] == pytest.approx((4 / np.sqrt(2) + 0) / 2)
    agree = la.ranking_agreement(
        pd.concat([long.assign(group=g, attribution=v) for g, v in (("g1", 3.0), ("g2", 1.0), ("g3", 0.5))]),
        pd.DataFrame({"emotion": "anger", "group": ["g1", "g2", "g3"], "effect_size": [2.0, 1.0, 0.0]}),
        top=1)
    assert agree.iloc[0].spearman_rho == pytest.approx(1.0) and agree.iloc[0].top1_overlap == 1


def test_rotation_table_uses_shared_classes_and_skips_too_few():
    ref = np.array([[0.0, 0.0], [1.0, 0.2], [2.0, 1.5], [-0.5, 1.0]])
    labels = np.array(list(la.EMOTIONS))
    latents = {"train": (ref, labels), "turned": (rotate(ref, -45.0), labels),
               "three": (rotate(ref[:3], 20.0), labels[:3]), "two": (ref[:2], labels[:2])}
    table = la.rotation_table(latents, la.EMOTIONS)
    assert table.dataset.tolist() == ["turned", "three"] and table.classes.tolist() == [4, 3]
    assert table.angle_deg.iloc[0] == pytest.approx(45.0)


def test_align_dims_undoes_a_swap_and_a_sign_flip():
    ref = np.array([[0.0, 0.0], [1.0, 0.2], [2.0, 1.5], [-0.5, 1.0]])
    swapped = np.column_stack([-ref[:, 1] * 2, ref[:, 0] + 1])  # dim 1 = −dim 2 of ref, dim 2 = dim 1
    perm, signs = la.align_dims(swapped, ref)
    assert perm.tolist() == [1, 0] and signs.tolist() == [1.0, -1.0]
    np.testing.assert_allclose((swapped[:, perm] * signs)[:, 0], ref[:, 0] + 1)


def test_pooled_deeplift_covers_every_fold_and_stays_complete():
    cv = la.cross_validate(toy_corpus(shift=4.0), methods=("dae",), n_splits=3, seed=0, ae_config=FAST, keep_all=True)
    assert len(cv.folds) == 3 and cv.fold is cv.folds[cv.kept_fold]
    pooled, notes = la.pooled_deeplift(cv.folds, cv.fold)
    assert len(notes) == 3 and {k for k, *_ in pooled} <= {0, 1, 2}
    n_tp = sum(int((f.data["valid"].y == f.predictions[("dae", "valid")]).sum()) for f in cv.folds)
    assert sum(len(y) for *_, y in pooled) == n_tp
    assert max(float(np.abs(d).max()) for _, _, d, _ in pooled) < 1e-4
