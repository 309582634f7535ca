"""Envelope (Eq. 7), activation trajectory (Eq. 9), energy ratio (Eq. 10) on hand-made arrays."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import cam_analysis as ca


def test_envelope_matches_when_block_energies_follow_the_column_sums():
    cam = np.zeros((3, 6))
    cam[0, :4] = [1, 2, 3, 4]
    cam[:, 4:] = 100.0  # padding columns: must be ignored
    signal = np.repeat(np.sqrt([0.5, 1.0, 1.5, 2.0]), 2)  # block energies 1, 2, 3, 4 (K = 2)
    signal = np.append(signal, 9.0)  # N = 9: K = ⌊9/4⌋ = 2, the last sample is dropped
    q, big_q, rmse = ca.envelope(cam, signal, n_valid=4)
    np.testing.assert_allclose(q, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(big_q, [0.25, 0.5, 0.75, 1.0])
    assert rmse == pytest.approx(0.0, abs=1e-12)


def test_envelope_rmse_hand_computed():
    cam = np.zeros((2, 5))
    cam[1, :4] = [1, 2, 3, 4]
    cam[:, 4] = 50.0
    q, big_q, rmse = ca.envelope(cam, np.ones(8), n_valid=4)
    np.testing.assert_allclose(big_q, 1.0)
    assert rmse == pytest.approx(np.sqrt((0.75**2 + 0.5**2 + 0.25**2) / 4))


def test_activation_trajectory_eq9():
    freqs = np.array([100.0, 200.0, 300.0, 400.0])
    cam = np.array([[0, 0, 1, 5, 9],
                    [1, 0, 1, 5, 9],
                    [0.5, 0, 1, 5, 9],
                    [0.4, 0, 1, 5, 9]], dtype=float)
    voiced = np.array([True, True, True, False])
    trajectory = ca.activation_trajectory(cam, freqs, n_valid=4, columns=voiced)
    assert trajectory.shape == (4,)  # the padding column is not part of it
    assert trajectory[0] == pytest.approx(250.0)  # rows with ≥ 0.5 of the column max: 200, 300 Hz
    assert np.isnan(trajectory[1])  # all-zero column
    assert trajectory[2] == pytest.approx(250.0)  # all rows tie
    assert np.isnan(trajectory[3])  # unvoiced
    f0 = np.array([250.0, np.nan, 200.0, 100.0])
    assert ca.rmse(trajectory, f0) == pytest.approx(np.sqrt((0 + 50.0**2) / 2))


def test_energy_ratio_eq10_and_padding_excluded():
    linear = np.array([[1.0, 2.0, 0.0], [3.0, 1.0, 0.0]])
    linear[:, 2] = 0.0
    mask = np.array([[10.0, 0.5, 100.0], [2.0, 1.0, 0.0]])
    # threshold 0.1 × 100 = 10: only cell (0, 0) inside; energy 1 / (1 + 4 + 9 + 1)
    assert ca.energy_ratio(linear, 2, mask) == pytest.approx(1 / 15)
    assert ca.energy_ratio(linear, 2, mask, beta=0.01) == pytest.approx(11 / 15)  # threshold 1: drops (0, 1)
    assert ca.energy_ratio(linear, 2, mask, beta=0.001) == pytest.approx(1.0)
    assert np.isnan(ca.energy_ratio(linear, 2, np.zeros_like(mask)))


def test_mass_inside_window():
    cam = np.zeros((2, 12))
    cam[0, :10] = 1.0
    cam[1, 3:5] = 4.0
    cam[:, 10:] = 99.0  # padding
    # hop 100 at sr 1000: column j at 0.1 j s; window [0.3, 0.5) → columns 3, 4
    inside, share = ca.mass_inside(cam, 10, 100, 1000, 0.3, 0.5)
    assert inside == pytest.approx((2 + 8) / (10 + 8))  # column sums 1 outside, 5 inside
    assert share == pytest.approx(0.2)


def test_praat_f0_on_a_sine_and_silence():
    sr, hop = 22050, 512
    t = np.arange(sr) / sr
    signal = np.concatenate([0.5 * np.sin(2 * np.pi * 200.0 * t), np.zeros(sr // 2)])
    n_columns = 1 + len(signal) // hop
    f0 = ca.praat_f0(signal, sr, hop, n_columns)
    assert f0.shape == (n_columns,)
    voiced = f0[np.isfinite(f0)]
    assert len(voiced) > 30
    np.testing.assert_allclose(voiced, 200.0, rtol=0.01)
    assert np.all(np.isnan(f0[-10:]))  # the silent tail is unvoiced


def test_octave_jumps_counts_isolated_octave_errors():
    f0 = np.full(30, 200.0)
    f0[10] = 400.0
    f0[20] = 100.0
    f0[25] = np.nan
    assert ca.octave_jumps(f0) == 2
    assert ca.octave_jumps(np.full(30, 200.0) * np.linspace(1, 1.3, 30)) == 0


def test_summary_table_layout():
    df = pd.DataFrame({"gender": ["female"] * 3 + ["male"], "emotion": ["anger", "anger", "sadness", "anger"],
                       "value": [0.1, 0.3, 0.2, np.nan]})
    table = ca.summary_table(df, "value", ["anger", "sadness"]).set_index(["gender", "statistic"])
    assert table.loc[("female", "mean"), "anger"] == pytest.approx(0.2)
    assert table.loc[("female", "range"), "anger"] == pytest.approx(0.2)
    assert table.loc[("female", "n"), "sadness"] == 1
    assert np.isnan(table.loc[("male", "mean"), "anger"]) and table.loc[("male", "n"), "anger"] == 0


def test_mask_coverage_counts_unpadded_cells_above_beta():
    mask = np.zeros((2, 6))
    mask[0, :2] = [1.0, 0.5]
    mask[1, 5] = 9.0  # padding column: ignored by the area but sets the maximum
    assert ca.mask_coverage(mask, 4, beta=0.05) == pytest.approx(2 / 8)
    assert ca.mask_coverage(mask, 4, beta=0.1) == pytest.approx(1 / 8)
    assert ca.mask_coverage(mask, 6, beta=0.5) == pytest.approx(1 / 12)
    assert np.isnan(ca.mask_coverage(np.zeros((2, 6)), 4))


def test_loudest_window_finds_the_energetic_columns_and_matches_mass_inside():
    hop, sr = 100, 1000  # one column every 0.1 s
    linear = np.ones((3, 20))
    linear[:, 6:9] = 3.0
    linear[:, 15:] = 10.0  # padding beyond n_valid = 12
    start, end = ca.loudest_window(linear, 12, hop, sr, 0.3)
    assert (start, end) == pytest.approx((0.6, 0.9))
    cam = np.zeros((3, 20))
    cam[:, 6:9] = 1.0
    inside, share = ca.mass_inside(cam, 12, hop, sr, start, end)
    assert inside == pytest.approx(1.0) and share == pytest.approx(3 / 12)
    assert ca.loudest_window(linear, 12, hop, sr, 5.0) == pytest.approx((0.0, 1.2))  # longer than the clip


def test_padding_mass_counts_padded_columns_and_the_edge_band():
    cam = np.zeros((2, 40))
    cam[:, 30:] = 1.0  # everything in the padding (n_valid = 30)
    out = ca.padding_mass(cam, n_valid=30, half_width=3)
    assert out["padding_mass"] == pytest.approx(1.0) and out["padding_share"] == pytest.approx(10 / 40)
    assert out["edge_mass"] == pytest.approx(3 / 10) and out["edge_share"] == pytest.approx(6 / 40)  # columns 27..32
    speech = np.zeros((2, 40))
    speech[0, 5] = 2.0
    speech[1, 28] = 2.0  # inside the edge band, on the speech side
    out = ca.padding_mass(speech, n_valid=30, half_width=3)
    assert out["padding_mass"] == 0.0 and out["edge_mass"] == pytest.approx(0.5)
    unpadded = ca.padding_mass(speech, n_valid=40)
    assert unpadded["padding_share"] == 0.0 and np.isnan(unpadded["edge_mass"]) and np.isnan(unpadded["edge_share"])
    assert np.isnan(ca.padding_mass(np.zeros((2, 40)), 30)["padding_mass"])


# ------------------------------------------------------------ paper-vs-run rows

EMOS = ("anger", "boredom", "fear", "happiness", "neutral", "sadness")


def _analysis(rng, env_slow=0.1, env_rest=0.3, f0_anger=500.0, f0_rest=100.0, energy=92.0, spread=0.01, n=6):
    rows = []
    for gender in ("female", "male"):
        for emotion in EMOS:
            for k in range(n):
                env = (env_slow if emotion in ("sadness", "boredom") else env_rest) + rng.normal(0, spread)
                f0 = (f0_anger if emotion == "anger" else f0_rest) + rng.normal(0, 100 * spread)
                rows.append(dict(gender=gender, emotion=emotion, envelope_rmse=env, f0_rmse_hz=f0,
                                 energy_ratio_pct=energy + rng.normal(0, 100 * spread), mask_area=0.5,
                                 padding_mass=0.4, padding_share=0.2, edge_mass=0.3, edge_share=0.1))
    return pd.DataFrame(rows)


def _rows(analysis, **overrides):
    from helpers.simplenet import TABLE2_PAPER

    table2 = pd.DataFrame([dict(model=m, shape=f"{h} × {w}", paper=f"{h} × {w}", agrees="yes") for m, (h, w) in TABLE2_PAPER.items()])
    summaries = {m: ca.summary_table(analysis, m, EMOS) for m in ("envelope_rmse", "f0_rmse_hz", "energy_ratio_pct")}
    kwargs = dict(dataset="synthetic", n_files=240, table2=table2, counts={"last_conv": 295168, "dense_kernel": 33914880},
                  accuracy=pd.DataFrame(dict(gender=["female", "male"], model=[1, 1], accuracy=[0.6, 0.7])),
                  analysis=analysis, summaries=summaries,
                  similarity=pd.DataFrame(dict(gender="female", emotion=list(EMOS), correlation=0.95, others=[0.9, 0.92, 0.91, 0.93, 0.9, 0.94])),
                  correct_counts=pd.DataFrame({"female": 3, "male": 2}, index=list(EMOS)), n_models=2, filters=(8, 16, 32), seed=3)
    kwargs.update(overrides)
    table = pd.DataFrame(ca.comparison_rows(**kwargs)).set_index("item")
    from helpers.verdicts import problems

    assert problems(table.reset_index().assign(dataset=table.get("dataset", "synthetic"))) == []
    return table


def test_comparison_rows_decide_the_papers_claims_from_bootstrap_intervals():
    table = _rows(_analysis(np.random.default_rng(0)))
    for gender in ("female", "male"):
        assert table.loc[f"envelope RMSE lower for sadness and boredom than for the rest ({gender})", "agrees"] == "yes"
        assert table.loc[f"F0-trajectory RMSE higher for anger than for the rest ({gender})", "agrees"] == "yes"
    headline = table.loc["Ê mean about 90 % in every gender × emotion cell"]
    assert headline.agrees == "yes" and headline.sampling_noise == "yes" and "12 cells" in headline.this_run
    assert table.loc["masks R and R̂ very similar (Fig 3)", "agrees"] == "yes"
    assert table.loc["Table 1 files", "agrees"] == "n/a"  # synthetic corpus
    assert table.loc["Table 2 last conv VGG16", "agrees"] == "yes" and table.loc["Table 2 last conv VGG16", "basis"] == "paper text"
    assert len(table.filter(like="Table 5 mean", axis=0)) == 12 and set(table.filter(regex=r"^Table \d mean", axis=0).agrees) == {"n/a"}
    # the reverse orderings are a clear "no"
    reverse = _rows(_analysis(np.random.default_rng(0), env_slow=0.3, env_rest=0.1, f0_anger=100.0, f0_rest=500.0))
    assert reverse.loc["envelope RMSE lower for sadness and boredom than for the rest (female)", "agrees"] == "no"
    assert reverse.loc["F0-trajectory RMSE higher for anger than for the rest (male)", "agrees"] == "no"


def test_comparison_rows_say_unclear_when_the_interval_straddles():
    analysis = _analysis(np.random.default_rng(1), n=3)
    analysis["envelope_rmse"] = np.resize([0.1, 0.2, 0.3], len(analysis))  # every emotion: the same three values
    analysis["f0_rmse_hz"] = np.resize([100.0, 300.0, 500.0], len(analysis))
    table = _rows(analysis)
    assert table.loc["envelope RMSE lower for sadness and boredom than for the rest (female)", "agrees"] == "unclear"
    assert table.loc["F0-trajectory RMSE higher for anger than for the rest (female)", "agrees"] == "unclear"
    this_run = table.loc["envelope RMSE lower for sadness and boredom than for the rest (female)", "this_run"]
    low, high = (float(v) for v in this_run.split("[")[1].split("]")[0].split(","))
    assert low < 0 < high


def test_energy_headline_fails_on_one_low_cell_and_ignores_cells_under_three():
    analysis = _analysis(np.random.default_rng(2))
    low = (analysis.gender == "male") & (analysis.emotion == "fear")
    analysis.loc[low, "energy_ratio_pct"] = 30.0 + np.arange(low.sum())
    verdict = ca.energy_cell_verdict(analysis)
    assert verdict["agrees"] == "no" and "lowest male fear" in verdict["this_run"]
    tiny = analysis[~low | (analysis.index.isin(analysis.index[low][:2]))]  # that cell keeps 2 recordings
    assert ca.energy_cell_verdict(tiny)["agrees"] == "yes" and "11 cells" in ca.energy_cell_verdict(tiny)["this_run"]


def test_comparison_rows_n_a_for_construction_one_model_and_the_full_corpus_count():
    recovery = pd.DataFrame(dict(mass_inside=[0.5, 0.6, 0.55], window_share=[0.2, 0.2, 0.2]))
    table = _rows(_analysis(np.random.default_rng(3)), recovery=recovery, ground_truth="synthetic-time", n_models=1,
                  dataset="emodb", n_files=421, split_correct=np.array([1, 1, 0, 1]),
                  held_out=pd.DataFrame(dict(gender="male", speaker=["03", "10"], correct=[False, True])))
    planted = table.loc["Grad-CAM mass in the planted 0.4 s window (not in paper)"]
    assert (planted.agrees, planted.basis, planted.dataset) == ("n/a", "by construction", "synthetic-time")
    assert "[" in planted.this_run
    assert table.loc["masks R and R̂ very similar (Fig 3)", "agrees"] == "n/a"  # one model: nothing to compare
    assert table.loc["Table 1 files", "agrees"] == "no"  # 421 published files vs the paper's 417
    held = table.loc["test accuracy with the test speakers held out (not in paper)"]
    assert held.agrees == "n/a" and "held-out speakers 0.50" in held.this_run and "paper split 0.75" in held.this_run
    assert table.loc["Grad-CAM mass in the zero-padded columns (not in paper)", "agrees"] == "n/a"


def test_mask_similarity_separates_the_best_model_from_the_others():
    rng = np.random.default_rng(0)
    best = {"anger": rng.random((4, 5)), "fear": np.zeros((4, 5)), "sadness": rng.random((4, 5))}
    other = {"anger": rng.random((4, 5)), "fear": np.zeros((4, 5)), "sadness": 2 * best["sadness"]}
    total = {e: best[e] + other[e] for e in best}
    table = ca.mask_similarity(best, total, "female").set_index("emotion")
    assert list(table.index) == ["anger", "sadness"]  # no map for fear
    assert table.loc["sadness", "others"] == pytest.approx(1.0)
    # independent masks: r(R, R̂) stays high (R is part of R̂), r(R, R̂ − R) does not
    assert table.loc["anger", "correlation"] > 0.5 and abs(table.loc["anger", "others"]) < table.loc["anger", "correlation"] - 0.3
    one_model = ca.mask_similarity(best, best, "male")
    assert one_model.others.isna().all() and (one_model.correlation == 1.0).all()
