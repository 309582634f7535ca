"""helpers.probing (Dixit et al. 2024): tasks, speaker z-scoring, nested CV without leakage,
SHAP ranking, the top-k sweep, Ridge probing, information increase, the authors' protocol."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler

from helpers import probing, verdicts
from helpers.errors import InvalidParameterError


def corpus_table(n_speakers=6, per_emotion=None):
    """A corpus table: speakers s0..., files per emotion (default 4 neutral, 8 anger)."""
    per_emotion = per_emotion or {"neutral": 4, "anger": 8}
    rows = [dict(speaker=f"s{s}", emotion=e) for s in range(n_speakers)
            for e, n in per_emotion.items() for _ in range(n)]
    return pd.DataFrame(rows)


def separable_task(n_speakers=10, per_class=6, d=20, informative=3, shift=1.5, seed=0):
    """Emotion rows shifted in the first `informative` dims, plus a per-speaker offset."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"s{i:02d}" for i in range(n_speakers)], 2 * per_class)
    y = np.tile(np.r_[np.ones(per_class), np.zeros(per_class)], n_speakers).astype(int)
    X = rng.normal(size=(len(y), d)) + rng.normal(scale=2, size=(n_speakers, d)).repeat(2 * per_class, axis=0)
    X[:, :informative] += shift * y[:, None]
    return X, y, groups


# ----------------------------------------------------------------------------- normalisation


def test_speaker_zscore_standardises_each_speaker_and_keeps_constants_finite():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(loc=5, scale=3, size=(12, 3)), columns=list("abc"))
    frame["c"] = 7.0  # constant: must become 0, not NaN
    speakers = np.repeat(["x", "y", "z"], 4)
    z = probing.speaker_zscore(frame, speakers)
    assert list(z.columns) == list("abc") and z.index.equals(frame.index)
    for speaker in "xyz":
        block = z[speakers == speaker]
        np.testing.assert_allclose(block[["a", "b"]].mean(), 0, atol=1e-12)
        np.testing.assert_allclose(block[["a", "b"]].std(ddof=0), 1, atol=1e-12)
    assert (z["c"] == 0).all()
    with pytest.raises(ValueError, match="speaker labels"):
        probing.speaker_zscore(frame, speakers[:5])


def test_speaker_zscore_matches_per_speaker_standard_scaler():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(9, 4)))
    speakers = ["a", "b", "a", "b", "a", "b", "c", "c", "c"]
    z = probing.speaker_zscore(frame, speakers).to_numpy()
    for speaker in "abc":
        rows = np.array(speakers) == speaker
        np.testing.assert_allclose(z[rows], StandardScaler().fit_transform(frame.to_numpy()[rows]))


# ----------------------------------------------------------------------------- tasks and folds


def test_build_tasks_balances_by_undersampling_the_larger_class_with_the_seed():
    meta = corpus_table(n_speakers=6)  # 48 anger vs 24 neutral, like RAVDESS's 192 vs 96
    tasks, skipped = probing.build_tasks(meta, ["anger"], seed=0)
    task = tasks["anger"]
    assert skipped == {}
    assert task.y.sum() == 24 and (task.y == 0).sum() == 24
    assert set(meta.emotion[task.rows][task.y == 1]) == {"anger"}
    assert set(meta.emotion[task.rows][task.y == 0]) == {"neutral"}
    assert (np.diff(task.rows) > 0).all()  # corpus order, no duplicates
    np.testing.assert_array_equal(task.groups, meta.speaker.to_numpy()[task.rows])
    again, _ = probing.build_tasks(meta, ["anger"], seed=0)
    other, _ = probing.build_tasks(meta, ["anger"], seed=1)
    np.testing.assert_array_equal(again["anger"].rows, task.rows)
    assert not np.array_equal(other["anger"].rows, task.rows)


def test_an_emotions_sample_does_not_depend_on_the_other_emotions():
    meta = corpus_table(per_emotion={"neutral": 4, "anger": 8, "fear": 8})
    both, _ = probing.build_tasks(meta, ["anger", "fear"], seed=3)
    alone, _ = probing.build_tasks(meta, ["fear"], seed=3)
    np.testing.assert_array_equal(both["fear"].rows, alone["fear"].rows)


def test_build_tasks_skips_absent_and_too_small_emotions_with_a_reason():
    meta = corpus_table(n_speakers=4, per_emotion={"neutral": 5, "anger": 5, "disgust": 1})
    tasks, skipped = probing.build_tasks(meta, ["anger", "disgust", "fear"], n_outer=5, n_inner=5)
    assert list(tasks) == ["anger"]
    assert "no fear files" in skipped["fear"]
    assert "only 4 files per class" in skipped["disgust"]
    with pytest.raises(InvalidParameterError, match="reference class"):
        probing.build_tasks(meta, ["neutral"])


def test_build_tasks_skips_when_too_few_speakers():
    meta = corpus_table(n_speakers=2, per_emotion={"neutral": 10, "anger": 10})
    _, skipped = probing.build_tasks(meta, ["anger"])
    assert "only 2 speakers" in skipped["anger"]


def test_fold_problem_reports_a_test_fold_without_the_emotion():
    groups = np.repeat(["a", "b", "c", "d"], 6)
    y = np.r_[np.ones(6), np.zeros(6), np.ones(3), np.zeros(3), np.ones(3), np.zeros(3)].astype(int)
    assert probing.fold_problem(y, groups, min_per_class=2) is not None  # speaker b has no emotion files
    y[6] = 1
    assert probing.fold_problem(y, groups, min_per_class=2) is None


def test_folds_with_fewer_speakers_than_folds_are_leave_one_speaker_out():
    groups = np.repeat(["DC", "JE", "JK", "KL"], 5)  # SAVEE has 4 speakers
    outer = probing.outer_folds(groups, n_outer=5)
    assert len(outer) == 4
    assert sorted(np.unique(groups[test])[0] for _, test in outer) == ["DC", "JE", "JK", "KL"]
    for train, test in outer:
        assert len(np.unique(groups[test])) == 1
        inner = probing.inner_folds(groups[train], n_inner=5)
        assert len(inner) == 3  # capped at the three training speakers
        assert all(len(np.unique(groups[train][val])) == 1 for _, val in inner)
    many = np.repeat([f"s{i}" for i in range(10)], 3)
    assert len(probing.outer_folds(many, 5)) == 5
    assert all(len(np.unique(many[test])) == 2 for _, test in probing.outer_folds(many, 5))


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize("y_true, y_pred", [
    ([1, 1, 0, 0], [1, 0, 0, 1]), ([1, 1, 1, 0], [1, 1, 1, 1]), ([0, 0, 0], [0, 0, 0]), ([1, 0], [0, 0]),
])
def test_f1_percent_equals_sklearns_binary_f1(y_true, y_pred):
    expected = 100 * f1_score(y_true, y_pred, pos_label=1, zero_division=0)
    assert probing.f1_percent(np.array(y_true), np.array(y_pred)) == pytest.approx(expected)


def test_ties_go_to_the_smallest_grid_value():
    assert probing.first_best([50.0, 80.0, 80.0, 70.0]) == 1
    assert probing.first_best([90.0, 90.0 - 1e-12, 89.0]) == 0
    assert probing.k_grid(1024) == tuple(range(10, 512, 10))
    assert probing.k_grid(64) == (10, 20, 30, 40, 50, 60)
    assert probing.k_grid(60)[-1] == 60


def test_logreg_matches_sklearns_default_solver_at_the_optimum():
    X, y, _ = separable_task(shift=0.8)
    X = StandardScaler().fit_transform(X)
    for C in probing.C_GRID[:3]:
        ours = probing.logreg(X, y, C)
        reference = LogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(X, y)
        np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-4)


def test_closed_form_linear_shap_equals_shaps_linear_explainer():
    import shap

    X, y, _ = separable_task(shift=0.7, d=8)
    X = StandardScaler().fit_transform(X)
    model = probing.logreg(X, y, 1.0)
    explained = probing.shap_values(probing.linear_explainer(model, X), X)
    np.testing.assert_allclose(explained, probing.linear_shap(model, X, X), atol=1e-12)
    assert probing.closed_form_gap(X, y) < 1e-12
    # shap's default background keeps 100 rows, so its mean is not the training mean
    sub = shap.LinearExplainer(model, shap.maskers.Independent(X))(X).values
    assert len(X) > 100 and np.abs(sub - probing.linear_shap(model, X, X)).max() > 1e-6


def test_nested_cv_never_uses_outer_test_speakers_for_C_k_or_ranking():
    X, y, groups = separable_task(n_speakers=10, d=30, shift=0.6)
    result = probing.nested_cv(X, y, groups, n_outer=5, n_inner=4, ks=(10, 20, 30))
    assert len(result.folds) == 5
    seen = np.zeros(len(y), dtype=int)
    for fold in result.folds:
        test_speakers = set(groups[fold.test_rows])
        assert not test_speakers & set(groups[fold.train_rows])
        inner_rows = np.concatenate([np.r_[a, b] for a, b in fold.inner_splits])
        assert not test_speakers & set(groups[inner_rows])
        for a, b in fold.inner_splits:  # each inner split partitions the outer training rows
            np.testing.assert_array_equal(np.sort(np.r_[a, b]), np.sort(fold.train_rows))
            assert not set(groups[a]) & set(groups[b])
        seen[fold.test_rows] += 1
    assert (seen == 1).all()  # every row is held out exactly once
    assert np.isfinite(result.oof_shap).all()


def test_changing_the_outer_test_speakers_changes_nothing_chosen_for_that_fold():
    X, y, groups = separable_task(n_speakers=10, d=30, shift=0.5, seed=4)
    before = probing.nested_cv(X, y, groups, n_outer=5, n_inner=4, ks=(10, 20, 30))
    test = before.folds[0].test_rows
    X2, y2 = X.copy(), y.copy()
    X2[test] = np.random.default_rng(9).normal(scale=5, size=X2[test].shape)
    y2[test] = 1 - y2[test]
    after = probing.nested_cv(X2, y2, groups, n_outer=5, n_inner=4, ks=(10, 20, 30))
    a, b = before.folds[0], after.folds[0]
    np.testing.assert_array_equal(a.test_rows, b.test_rows)
    assert (a.C, a.k, a.C_top) == (b.C, b.k, b.C_top)
    np.testing.assert_array_equal(a.ranking, b.ranking)
    np.testing.assert_array_equal(a.k_scores, b.k_scores)
    assert a.f1 != b.f1  # the test fold itself did change, and only its score saw it


def test_minimal_set_sweep_finds_the_known_answer():
    """y is the sign of the sum of 30 dims; 10 more dims are constant zeros. Fewer than 30 dims
    lose information; 40 adds only zeros (identical predictions), so the tie goes to k = 30."""
    rng = np.random.default_rng(0)
    n_speakers, per_speaker = 12, 30
    signal = rng.normal(size=(n_speakers * per_speaker, 30))
    y = (signal.sum(axis=1) > 0).astype(int)
    X = np.hstack([signal, np.zeros((len(y), 10))])
    groups = np.repeat([f"s{i:02d}" for i in range(n_speakers)], per_speaker)
    result = probing.nested_cv(X, y, groups, n_outer=4, n_inner=3, ks=probing.k_grid(40))
    assert result.fold_ks == [30, 30, 30, 30]
    assert result.k_final == 30
    for fold in result.folds:
        assert set(fold.ranking[:30]) == set(range(30))  # zeros have zero SHAP: ranked last
        assert fold.k_scores[2] > fold.k_scores[1] > fold.k_scores[0]
        assert fold.k_scores[3] == pytest.approx(fold.k_scores[2])
    assert result.f1_top > 85


def test_final_ranking_comes_from_out_of_fold_shap_and_k_final_is_the_lower_median():
    X, y, groups = separable_task(d=12, informative=2, shift=2.0)
    result = probing.nested_cv(X, y, groups, n_outer=5, n_inner=3, ks=(10, 12))
    np.testing.assert_array_equal(result.ranking, probing.rank_by_importance(np.abs(result.oof_shap).mean(axis=0)))
    assert set(result.ranking[:2]) == {0, 1}
    result.folds[0].k, result.folds[1].k = 12, 12
    assert sorted(result.fold_ks)[(5 - 1) // 2] == result.k_final


# ----------------------------------------------------------------------------- probing


def test_information_increase_on_a_hand_computed_example():
    # (0.8 / 0.5) × (1 / 0.5) = 3.2; (1.0 / 1.0) × 1 = 1; (0.5 / 2) × 0.5 = 0.125
    got = probing.information_increase([0.8, 1.0, 0.5, 1.0, np.nan], [0.5, 1.0, 2.0, 0.0, 1.0])
    np.testing.assert_allclose(got[:3], [3.2, 1.0, 0.125])
    assert np.isnan(got[3]) and np.isnan(got[4])


def brute_force_probe(E, T, groups, cols, n_outer, n_inner, alphas):
    """One target at a time, one Ridge per alpha: what `probe` must equal."""
    sse = np.zeros(T.shape[1])
    for train, test in probing.outer_folds(groups, n_outer):
        splits = probing.inner_folds(groups[train], n_inner)
        for j in range(T.shape[1]):
            errors = []
            for alpha in alphas:
                error = 0.0
                for a, b in splits:
                    scaler = StandardScaler().fit(E[train][a][:, cols])
                    model = Ridge(alpha=alpha).fit(scaler.transform(E[train][a][:, cols]), T[train][a, j])
                    error += ((model.predict(scaler.transform(E[train][b][:, cols])) - T[train][b, j]) ** 2).sum()
                errors.append(error)
            alpha = alphas[int(np.argmin(errors))]
            scaler = StandardScaler().fit(E[train][:, cols])
            model = Ridge(alpha=alpha).fit(scaler.transform(E[train][:, cols]), T[train][:, j])
            sse[j] += ((model.predict(scaler.transform(E[test][:, cols])) - T[test][:, j]) ** 2).sum()
    return np.sqrt(sse / len(T))


def test_multi_output_probe_equals_separate_per_target_searches():
    rng = np.random.default_rng(5)
    E = rng.normal(size=(60, 8))
    T = np.c_[E[:, 0] * 2 + 0.1 * rng.normal(size=60), rng.normal(size=60), E[:, 1] - E[:, 2]]
    groups = np.repeat([f"s{i}" for i in range(6)], 10)
    sets = {"all": np.arange(8), "top": np.array([0, 1, 2])}
    got = probing.probe(E, T, groups, sets, n_outer=3, n_inner=2)
    for name, cols in sets.items():
        expected = brute_force_probe(E, T, groups, cols, 3, 2, probing.ALPHA_GRID)
        np.testing.assert_allclose(got[name], expected, rtol=1e-10)
    assert got.loc[0, "top"] < 0.3 and got.loc[1, "top"] > 0.8  # signal vs noise target
    assert got.loc[1, "alpha_top"] == 100.0  # the noise target wants the strongest penalty


# ----------------------------------------------------------------------------- categories and ground truth


def test_category_mapping_is_complete_with_the_authors_counts():
    from helpers.features import egemaps_families

    families = egemaps_families()
    assert len(families) == 88 and families.feature.is_unique
    assert families.category.value_counts().to_dict() == {"Spectral": 43, "Frequency": 24, "Energy": 15, "Temporal": 6}
    assert set(families.category) == set(probing.CATEGORY_ORDER)
    lookup = families.set_index("feature").category
    assert lookup["loudness_sma3_amean"] == "Energy"
    assert lookup["HNRdBACF_sma3nz_amean"] == "Energy"
    assert lookup["F0semitoneFrom27.5Hz_sma3nz_amean"] == "Frequency"
    assert lookup["jitterLocal_sma3nz_amean"] == "Frequency"
    assert lookup["mfcc1_sma3_amean"] == "Spectral"
    assert lookup["VoicedSegmentsPerSec"] == "Temporal"


def planted_features(family: str, n_speakers=8, per_class=8, n_shifted=None, seed=0):
    """A feature-level planted corpus: 88 eGeMAPS columns, speaker offsets, and the emotion
    shifting only the columns of one family (the first `n_shifted` of them if given)."""
    from helpers.features import egemaps_families

    families = egemaps_families()
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"p{i}" for i in range(n_speakers)], 2 * per_class)
    emotion = np.tile(["anger"] * per_class + ["neutral"] * per_class, n_speakers)
    values = rng.normal(size=(len(speakers), 88)) + rng.normal(scale=3, size=(n_speakers, 88)).repeat(2 * per_class, axis=0)
    shifted = np.flatnonzero(families.category == family)[:n_shifted]
    values[np.ix_(emotion == "anger", shifted)] += 1.2
    meta = pd.DataFrame({"speaker": speakers, "emotion": emotion})
    return meta, pd.DataFrame(values, columns=families.feature), families


@pytest.mark.parametrize("family, n_shifted", [("Energy", None), ("Temporal", 3), ("Frequency", 8)])
def test_shap_finds_the_planted_family_when_categories_are_averaged(family, n_shifted):
    meta, values, families = planted_features(family, n_shifted=n_shifted)
    tasks, skipped = probing.build_tasks(meta, ["anger"], n_outer=4, n_inner=3)
    assert skipped == {}
    results = probing.egemaps_only(tasks, probing.speaker_zscore(values, meta.speaker), n_outer=4, n_inner=3)
    table = probing.ground_truth_table(results, families, {"anger": family}, "planted")
    row = table.iloc[0]
    assert row.top_by_mean == family and row.recovered_mean == "yes" and row.planted_rank_by_mean == 1
    assert row.egemaps_f1 > 70  # chance is 50


def test_category_summary_uses_mean_and_median_not_the_sum():
    table = pd.DataFrame({"dataset": "d", "emotion": "e", "category": ["Spectral"] * 43 + ["Temporal"] * 6,
                          "value": [0.2] * 43 + [0.9] * 6})
    summary = probing.category_summary(table, "value")
    assert list(summary.category.astype(str)) == ["Spectral", "Temporal"]
    np.testing.assert_allclose(summary["mean"], [0.2, 0.9])
    assert probing.top_category_from_summary(summary) == {("d", "e"): "Temporal"}  # a sum would say Spectral
    order = probing.category_order(summary.assign(median=[0.1, 0.5]), "median")
    assert order.loc[("d", "e")] == "Temporal > Spectral"


def test_minmax_scales_to_the_unit_interval():
    np.testing.assert_allclose(probing.minmax([2.0, 4.0, 3.0]), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(probing.minmax([1.0, 1.0]), [0.0, 0.0])


def test_normalise_then_select_zscores_over_all_of_a_speakers_files_before_the_cut():
    """The authors' order: a speaker's mean and spread include emotions that no task uses."""
    meta = corpus_table(n_speakers=3, per_emotion={"neutral": 3, "anger": 3, "boredom": 4})
    rng = np.random.default_rng(0)
    values = pd.DataFrame(rng.normal(size=(len(meta), 2)), columns=["f0", "loudness"])
    values.loc[meta.emotion == "boredom", "loudness"] -= 5.0  # boredom is quiet: it moves the speaker's mean
    kept, (z,) = probing.normalise_then_select(meta, [values], ["anger"])
    assert list(kept.emotion.unique()) == ["neutral", "anger"] and len(z) == len(kept) == 18
    keep = meta.emotion.isin(["neutral", "anger"]).to_numpy()
    expected = probing.speaker_zscore(values, meta.speaker)[keep].reset_index(drop=True)
    pd.testing.assert_frame_equal(z, expected)
    # over the kept files alone the loudness would average 0 per speaker; over all files it
    # cannot, because the quiet boredom files pulled each speaker's mean down
    assert (z.loudness.groupby(kept.speaker).mean() > 0.5).all()
    again, (none, z2) = probing.normalise_then_select(meta, [None, values], ["anger"])
    assert none is None and again.equals(kept) and z2.equals(z)
    with pytest.raises(ValueError, match="rows"):
        probing.normalise_then_select(meta, [values.iloc[:5]], ["anger"])


# ----------------------------------------------------------------------------- the authors' protocol


def test_authors_task_reproduces_their_seeded_draws_and_the_neutral_vs_neutral_rows():
    labels = np.array(["anger"] * 10 + ["neutral"] * 5 + ["fear"] * 10)
    rows, y = probing.authors_task(labels, "anger")
    np.random.seed(42)  # what their emotion_all_merger does
    emo = np.random.choice(10, size=5, replace=False)
    neu = np.random.choice(5, size=5, replace=False)
    np.testing.assert_array_equal(rows, np.r_[emo, 10 + neu])
    np.testing.assert_array_equal(y, np.r_[np.ones(5), np.zeros(5)])
    rows, y = probing.authors_task(labels, "neutral")
    assert sorted(rows[y == 1]) == sorted(rows[y == 0]) == list(range(10, 15))  # every file with both labels


def test_authors_protocol_runs_on_a_small_task_and_reports_a_k_from_the_sweep():
    X, y, groups = separable_task(n_speakers=6, per_class=5, d=12, shift=1.0)
    meta = pd.DataFrame({"emotion": np.where(y == 1, "anger", "neutral"), "speaker": groups})
    table = probing.authors_table(meta, X[:, :10], X, ["anger"], "toy")
    assert list(table.emotion) == ["anger", "neutral"]
    anger = table.iloc[0]
    assert anger.k == 10 and 50 < anger.embedding_all_f1 <= 100
    neutral = table.iloc[1]
    assert neutral.egemaps_f1 == 0 and neutral.embedding_all_f1 == 0  # w = 0: no positive predictions
    for column in probing.F1_COLUMNS:  # the per-fold values behind each mean, for the CIs
        folds = probing.split_folds(anger[f"{column}_folds"])
        assert len(folds) == 5 and abs(folds.mean() - anger[column]) <= 0.1, column
    ours = pd.DataFrame([dict(dataset="toy", emotion="anger", egemaps_f1=90.0, embedding_all_f1=80.0,
                              embedding_top_f1=70.0, k_final=10)])
    both = probing.protocol_comparison(ours, table)
    theirs = both[(both.protocol == "authors' code") & (both.emotion == "anger")].iloc[0]
    assert theirs.embedding_top_f1_inflation == pytest.approx(round(anger.embedding_top_f1 - 70.0, 1))


# ----------------------------------------------------------------------------- paper vs run


def f1_rows(dataset, embedding, per_emotion):
    """An f1_table with per-fold columns: {emotion: (egemaps folds, all folds, top folds)}."""
    rows = []
    for emotion, folds in per_emotion.items():
        means = [round(float(np.mean(f)), 1) for f in folds]
        rows.append(dict(dataset=dataset, emotion=emotion, embedding=embedding, egemaps_f1=means[0],
                         embedding_all_f1=means[1], embedding_top_f1=means[2], k_final=20,
                         **{f"{c}_folds": probing.join_folds(f) for c, f in zip(probing.F1_COLUMNS, folds)}))
    return pd.DataFrame(rows)


def long_tables(dataset, emotion, shap_means, info_medians, n=12, seed=0):
    """Fig. 2 / 3 tables for one emotion: n features per category around the given values."""
    rng = np.random.default_rng(seed)
    frames = []
    for category, shap_mean, info_median in zip(probing.CATEGORY_ORDER, shap_means, info_medians):
        frames.append(pd.DataFrame({"dataset": dataset, "emotion": emotion, "category": category,
                                    "feature": [f"{category}{i}" for i in range(n)],
                                    "scaled_shap": shap_mean + 0.01 * rng.normal(size=n),
                                    "info_increase": info_median + 0.01 * rng.normal(size=n)}))
    long = pd.concat(frames, ignore_index=True)
    return long, long


WAVLM = "microsoft/wavlm-large, layer -1"
STAND_IN = "tiny-wavlm (random-init stand-in), layer -1"


def by_item(rows, text):
    hits = [r for r in rows if text in r["item"]]
    assert len(hits) == 1, [r["item"] for r in rows]
    return hits[0]


def test_replica_rows_are_decided_by_equivalence_and_corrected_rows_stay_na():
    f1 = f1_rows("ravdess", WAVLM, {"anger": ([70, 72, 71, 69, 70], [80, 81, 79, 80, 80], [85, 86, 84, 85, 85]),
                                     "sadness": ([60, 62, 61, 59, 60], [70, 70, 71, 69, 70], [72, 71, 73, 70, 72])})
    near, far = {"anger": ([92, 92.5, 91.5, 92, 92.1], [98, 98.2, 98, 98.1, 98.2], [100] * 5),
                 "sadness": ([60, 61, 62, 59, 60], [82, 83, 82.5, 83, 82.7], [96, 97, 96.5, 96.4, 96.6])}, None
    authors = f1_rows("ravdess", WAVLM, near).rename(columns={"k_final": "k"})
    rows = probing.ravdess_rows(f1, authors)
    anger = by_item(rows, "anger (eGeMAPS / WavLM all / WavLM top / k): authors' protocol replica")
    assert anger["agrees"] == "yes" and anger["sampling_noise"] == "yes"
    assert verdicts.has_ci(anger["note"])
    sadness = by_item(rows, "sadness (eGeMAPS / WavLM all / WavLM top / k): authors' protocol replica")
    assert sadness["agrees"] == "no"  # eGeMAPS 60.4 against the authors' 75.6
    corrected = by_item(rows, "anger (eGeMAPS / WavLM all / WavLM top / k): corrected")
    assert corrected["agrees"] == "n/a" and corrected["this_run"].startswith("70.4 / 80.0 / 85.0")
    assert by_item(rows, "disgust")["this_run"] == "skipped"
    # the same numbers from a stand-in: n/a, and the row's dataset says stand-in
    stand_in = probing.ravdess_rows(f1.assign(embedding=STAND_IN), authors)
    replica = by_item(stand_in, "anger (eGeMAPS / WavLM all / WavLM top / k): authors' protocol replica")
    assert replica["agrees"] == "n/a" and "stand-in" in replica["dataset"]


def test_equivalence_is_unclear_when_the_ci_straddles_the_tolerance():
    assert probing.equivalence([92.0, 92.2, 91.9], 92.1)[1] == "yes"
    assert probing.equivalence([60.0, 61.0, 59.0], 75.6)[1] == "no"
    text, verdict = probing.equivalence([80.0, 100.0, 84.0, 96.0], 92.1)  # mean 90: CI crosses −5
    assert verdict == "unclear" and verdicts.has_ci(text)
    assert probing.equivalence([], 92.1)[1] == "unclear"


def test_combine_needs_every_case_for_yes_and_one_for_no():
    assert probing.combine(["yes", "yes"]) == "yes"
    assert probing.combine(["yes", "unclear"]) == "unclear"
    assert probing.combine(["unclear", "no", "yes"]) == "no"
    assert probing.combine([]) == "unclear"


def test_f1_claims_use_fold_cis_and_unclear_when_the_ci_straddles_zero():
    clear = {"anger": ([80, 82, 81, 79, 80], [90, 92, 91, 90, 91], [95, 96, 95, 94, 96]),
             "sadness": ([60, 62, 61, 59, 60], [85, 86, 84, 85, 85], [90, 91, 92, 89, 90])}
    rows = probing.f1_claim_rows(f1_rows("ravdess", WAVLM, clear))
    assert by_item(rows, "beats eGeMAPS")["agrees"] == "yes"
    assert by_item(rows, "top dims beat all dims")["agrees"] == "yes"
    assert by_item(rows, "lowest F1 (eGeMAPS)")["agrees"] == "yes"
    assert by_item(rows, "lowest F1 (eGeMAPS)")["basis"] == "authors' repository"
    # embedding all dims vs eGeMAPS differing by +5, −5, +5, −5, +2 over the folds: the CI straddles 0
    noisy = {"anger": ([80, 80, 80, 80, 80], [85, 75, 85, 75, 82], [90] * 5),
             "sadness": ([70, 70, 70, 70, 70], [75, 65, 75, 65, 72], [80] * 5)}
    rows = probing.f1_claim_rows(f1_rows("ravdess", WAVLM, noisy))
    row = by_item(rows, "beats eGeMAPS")
    assert row["agrees"] == "unclear" and verdicts.has_ci(row["note"])
    # sadness clearly above anger: no
    assert by_item(probing.f1_claim_rows(f1_rows("ravdess", WAVLM, {"anger": clear["sadness"], "sadness": clear["anger"]})),
                   "lowest F1 (eGeMAPS)")["agrees"] == "no"


def test_stand_in_and_planted_rows_are_na_whatever_the_numbers():
    clear = {"anger": ([80, 82, 81, 79, 80], [90, 92, 91, 90, 91], [95, 96, 95, 94, 96]),
             "sadness": ([60, 62, 61, 59, 60], [85, 86, 84, 85, 85], [90, 91, 92, 89, 90])}
    f1 = f1_rows("synthetic", STAND_IN, clear)
    shap_long, info_long = long_tables("synthetic", "anger", [0.9, 0.1, 0.2, 0.3], [4.0, 3.0, 2.0, 1.0])
    rows = probing.paper_rows(f1, shap_long, info_long)
    assert {r["agrees"] for r in rows} == {"n/a"}
    for text in ("beats eGeMAPS", "top dims beat", "lowest F1 (embedding", "median information increase"):
        assert "stand-in" in by_item(rows, text)["dataset"], text
    assert by_item(rows, "lowest F1 (eGeMAPS)")["basis"] == "by construction"
    assert by_item(rows, "category for anger")["basis"] == "by construction"
    assert by_item(rows, "category for anger")["this_run"] == "Energy"
    from helpers.plotting import PAPER_VS_RUN_COLUMNS
    from helpers.verdicts import problems
    table = pd.DataFrame(rows).fillna({"dataset": "synthetic"}).reindex(columns=PAPER_VS_RUN_COLUMNS)
    assert problems(table) == []


def test_real_model_rows_decide_the_order_and_the_shap_category_with_cis():
    f1 = f1_rows("ravdess", WAVLM, {"anger": ([80, 82, 81, 79, 80], [90, 92, 91, 90, 91], [95, 96, 95, 94, 96])})
    shap_long, info_long = long_tables("ravdess", "anger", [0.9, 0.1, 0.2, 0.3], [4.0, 3.0, 2.0, 1.0])
    order = probing.info_order_rows(info_long, f1)[0]
    assert order["agrees"] == "yes" and verdicts.has_ci(order["note"])
    shap = by_item(probing.shap_category_rows(shap_long, f1), "category for anger")
    assert (shap["agrees"], shap["basis"], shap["this_run"]) == ("yes", "paper text", "Energy")
    swapped = info_long.assign(info_increase=np.where(info_long.category == "Energy", 0.5, info_long.info_increase))
    assert probing.info_order_rows(swapped, f1)[0]["agrees"] == "no"
    # Energy and Frequency equal up to noise: the first step straddles 0
    tied = info_long.assign(info_increase=np.where(info_long.category == "Energy",
                                                   info_long.info_increase - 1.0, info_long.info_increase))
    assert probing.info_order_rows(tied, f1)[0]["agrees"] == "unclear"


def test_eq1_terms_multiply_to_eq1_and_name_the_factor_that_orders_the_categories():
    # Energy is encoded better in the top dims (ratio 1.2) but poorly (RMSE_top 1.0);
    # Temporal hardly gains (ratio 1.01) but is encoded well (RMSE_top 0.25)
    rmse = {"Energy": (1.2, 1.0), "Frequency": (0.9, 0.8), "Spectral": (0.6, 0.55), "Temporal": (0.2525, 0.25)}
    rows = [dict(dataset="d", emotion="anger", feature=f"{c}{i}", category=c, rmse_all=a * (1 + 0.01 * i),
                 rmse_top=t * (1 + 0.01 * i)) for c, (a, t) in rmse.items() for i in range(3)]
    long = pd.DataFrame(rows)
    long["info_increase"] = probing.information_increase(long.rmse_all, long.rmse_top)
    long.loc[0, ["rmse_all", "rmse_top", "info_increase"]] = np.nan  # a constant feature stays NaN
    terms = probing.eq1_terms(long)
    np.testing.assert_allclose(terms.ratio * terms.inv_top, terms.info_increase)
    assert terms.loc[0, ["ratio", "inv_top"]].isna().all()
    table = probing.eq1_term_table(terms).iloc[0]
    assert table.n_features == 11
    assert table.order_ratio == "Energy > Frequency > Spectral > Temporal"
    assert table.order_inv_top == "Temporal > Spectral > Frequency > Energy"
    assert table.order_info_increase == table.order_inv_top  # 1/RMSE_top decides
    assert table.rho_inv_top > table.rho_ratio and table.driver == "1 / RMSE_top"
    sentence = probing.eq1_driver_summary(probing.eq1_term_table(terms))
    assert "1 / RMSE_top than with the ratio in 1 of 1" in sentence and "ratio in 0 of 1." in sentence


# ----------------------------------------------------------------------------- exercise helpers


def test_probe_top_k_is_the_probing_of_analyse_task_at_its_own_k():
    X_emb, y, groups = separable_task(n_speakers=6, per_class=6, d=24, informative=4)
    rng = np.random.default_rng(1)
    X_ege = X_emb[:, :5] @ rng.normal(size=(5, 6)) + 0.3 * rng.normal(size=(len(y), 6))
    X_ege[:, 5] = 1.0  # a constant feature: NaN, never a division by zero
    task = probing.Task("anger", np.arange(len(y)), y, groups)
    analysis = probing.analyse_task(task, X_ege, X_emb, n_outer=3, n_inner=3)
    again = probing.probe_top_k(task, X_ege, X_emb, analysis.embedding.ranking[:analysis.embedding.k_final], 3, 3)
    pd.testing.assert_frame_equal(again, analysis.probing)
    assert again.loc[5].isna()[["rmse_all", "rmse_top", "info_increase"]].all()


def test_probe_top_k_changes_only_the_top_columns_with_k():
    X_emb, y, groups = separable_task(n_speakers=6, per_class=6, d=24, informative=4)
    X_ege = X_emb[:, [0, 1, 2]] + 0.1 * np.random.default_rng(2).normal(size=(len(y), 3))
    task = probing.Task("anger", np.arange(len(y)), y, groups)
    few, more = (probing.probe_top_k(task, X_ege, X_emb, np.arange(k), 3, 3) for k in (3, 20))
    np.testing.assert_array_equal(few.rmse_all, more.rmse_all)
    assert not np.allclose(few.rmse_top, more.rmse_top)
    # the first three dims carry the targets: probing from exactly them beats probing from all 24
    assert (few.rmse_top < few.rmse_all).all() and (few.info_increase > more.info_increase).all()
    np.testing.assert_allclose(few.info_increase, few.rmse_all / few.rmse_top**2)


@pytest.mark.parametrize("dims", [[], [0, 0], [24], [-1]])
def test_probe_top_k_rejects_dims_the_embedding_lacks(dims):
    X_emb, y, groups = separable_task(n_speakers=4, per_class=4, d=24)
    task = probing.Task("anger", np.arange(len(y)), y, groups)
    with pytest.raises(InvalidParameterError, match="top_dims"):
        probing.probe_top_k(task, X_emb[:, :2], X_emb, dims, 3, 3)


def test_planted_family_check_finds_the_planted_family_and_reports_skips():
    meta, values, families = planted_features("Temporal", n_shifted=4)
    meta = meta.assign(cue_family=np.where(meta.emotion == "anger", "Temporal", "none"))
    table, skipped = probing.planted_family_check(meta, values, families, ["anger", "sadness"],
                                                  n_outer=4, n_inner=3, dataset="planted")
    assert list(table.emotion) == ["anger"] and set(skipped) == {"sadness"}
    row = table.iloc[0]
    assert (row.dataset, row.planted_family, row.top_by_mean, row.recovered_mean) == ("planted", "Temporal", "Temporal", "yes")
    with pytest.raises(InvalidParameterError, match="cue_family"):
        probing.planted_family_check(meta.drop(columns="cue_family"), values, families, ["anger"])


def test_notes_name_a_pretrained_stand_in_without_calling_it_random():
    ge2e = probing.embedding_label("ge2e", -1)
    clear = {"anger": ([80, 82, 81, 79, 80], [90, 92, 91, 90, 91], [95, 96, 95, 94, 96])}
    shap_long, info_long = long_tables("synthetic", "anger", [0.9, 0.1, 0.2, 0.3], [4.0, 3.0, 2.0, 1.0])
    rows = probing.paper_rows(f1_rows("synthetic", ge2e, clear), shap_long, info_long)
    for text in ("beats eGeMAPS", "top dims beat", "median information increase"):
        found = by_item(rows, text)
        assert found["agrees"] == "n/a" and "stand-in" in found["dataset"], text
        assert f"a stand-in ({ge2e}), not WavLM" in found["note"] and "random-init" not in found["note"], text
    tiny = probing.paper_rows(f1_rows("synthetic", STAND_IN, clear), shap_long, info_long)
    assert "a random-init stand-in, not WavLM" in by_item(tiny, "beats eGeMAPS")["note"]
