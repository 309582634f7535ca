"""Cue means per window, voiced-only averaging, Δf sign on a planted loud segment, aggregation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import acoustic_cues as ac
from helpers import saliency, verdicts
from helpers.signals import harmonic_voice


def _fake_llds():
    starts = np.arange(10) * 0.01
    return pd.DataFrame({
        "Loudness_sma3": np.arange(10, dtype=float),
        "F0semitoneFrom27.5Hz_sma3nz": [0, 0, 30, 30, 30, 0, 0, 40, 40, 0],
        "jitterLocal_sma3nz": [0, 0, .01, .01, .01, 0, 0, .03, .03, 0],
        "shimmerLocaldB_sma3nz": [0, 0, 1, 1, 1, 0, 0, 2, 2, 0],
        "HNRdBACF_sma3nz": [0, 0, 10, 10, 10, 0, 0, 20, 20, 0],
        "slope500-1500_sma3": np.linspace(-0.02, 0, 10),
        "start_s": starts,
    })


def test_voiced_only_means_differ_from_the_authors_zero_averaging():
    llds = _fake_llds()
    ours = ac.cue_means(llds)
    theirs = ac.cue_means(llds, voiced_only=False)
    assert ours["F0 (semitones)"] == pytest.approx(34.0)  # (3×30 + 2×40) / 5 voiced frames
    assert theirs["F0 (semitones)"] == pytest.approx(17.0)  # 170 / 10 frames, zeros included
    assert ours["loudness"] == theirs["loudness"] == pytest.approx(4.5)


def test_frame_selection_by_window():
    llds = _fake_llds()
    mask = ac.frame_mask(llds, [(0.02, 0.05), (0.07, 0.09)])
    assert np.flatnonzero(mask).tolist() == [2, 3, 4, 7, 8]
    means = ac.cue_means(llds, mask)
    assert means["loudness"] == pytest.approx((2 + 3 + 4 + 7 + 8) / 5)
    empty = ac.cue_means(llds, ac.frame_mask(llds, [(0.0, 0.02)]))
    assert np.isnan(empty["F0 (semitones)"]) and empty["loudness"] == pytest.approx(0.5)


def test_random_draws_are_seeded_distinct_and_respect_the_allowed_set():
    allowed = np.array([True, False, True, True, False, True])
    draws = ac.random_draws(6, 3, 5, np.random.default_rng(4), allowed)
    again = ac.random_draws(6, 3, 5, np.random.default_rng(4), allowed)
    assert all((a == b).all() for a, b in zip(draws, again))
    assert all(len(set(d)) == 3 and set(d) <= {0, 2, 3, 5} for d in draws)
    assert len(ac.random_draws(6, 5, 1, np.random.default_rng(0), allowed)[0]) == 4  # fewer allowed than k


def test_delta_f_is_positive_for_a_planted_loud_segment_and_padding_is_excluded():
    sr = 16000
    rng = np.random.default_rng(0)
    voice = harmonic_voice(150.0, 1.2, sr, rng)
    voice[int(0.5 * sr):int(0.8 * sr)] *= 4.0  # +12 dB for 0.3 s
    clip = saliency.preprocess(voice, sr, clip_s=2.0, n_mels=16)  # 0.8 s of zero padding
    llds = ac.clip_llds(clip.trimmed, sr)
    assert llds["start_s"].max() < 1.2  # LLDs come from the unpadded signal only
    grid = saliency.frames_to_samples(saliency.tile_windows(clip.n_valid_frames), 240, len(clip.trimmed)) / sr
    salient = grid[[4, 5]]  # 0.60–0.90 s: mostly inside the loud part
    draws = ac.random_draws(len(grid), 2, 20, np.random.default_rng(1))
    cues = ac.utterance_cues(llds, salient, grid, draws).assign(utterance="c", method="m")
    deltas = ac.delta_f(cues).set_index(["baseline", "cue"])["delta_f"]
    assert deltas["full clip", "loudness"] > 0.3 and deltas["random windows", "loudness"] > 0.3
    full = cues[(cues.region == "full clip") & (cues.cue == "loudness")].value.item()
    padded_llds = ac.clip_llds(clip.padded, sr)
    assert full > ac.cue_means(padded_llds)["loudness"]  # padding would dilute the baseline


def test_aggregate_delta_f_bootstrap_and_agreement():
    deltas = pd.DataFrame({
        "emotion": ["anger"] * 6 + ["sadness"] * 6,
        "method": "occlusion", "baseline": "full clip", "cue": "loudness",
        "delta_f": [1.0, 1.2, 0.8, 1.1, 0.9, 1.0, -0.5, -0.7, -0.6, -0.4, -0.5, -0.6],
    })
    table = ac.agreement(ac.aggregate_delta_f(deltas, seed=0, n_boot=500))
    anger = table[table.emotion == "anger"].iloc[0]
    assert anger.delta_f == pytest.approx(1.0) and anger.ci_low > 0.85 and anger.n == 6
    assert table.set_index("emotion").agrees.to_dict() == {"anger": "yes", "sadness": "yes"}
    flipped = deltas.assign(delta_f=-deltas.delta_f)
    assert set(ac.agreement(ac.aggregate_delta_f(flipped, n_boot=200)).agrees) == {"no"}


def test_expert_table_directions():
    table = ac.expert_cue_table().set_index("cue")
    assert table.loc["jitter", "high_arousal"] == "mixed"
    assert ac.expected_sign("loudness", "anger") == 1 and ac.expected_sign("F0 (semitones)", "sadness") == -1
    assert ac.expected_sign("HNR (dB)", "anger") == 0 and ac.expected_sign("loudness", "neutral") == 0


def test_unrestricted_random_baseline_includes_pauses_and_keeps_the_non_silent_draws():
    sr = 16000
    rng = np.random.default_rng(0)
    voice = harmonic_voice(150.0, 1.5, sr, rng)
    voice[int(0.45 * sr):int(1.05 * sr)] = 0.0  # a 0.6-s pause in the middle
    clip = saliency.preprocess(voice, sr, clip_s=2.0, n_mels=16, trim=False)
    pause = np.zeros((16, clip.spectrogram.shape[1]))
    pause[:, 40:60] = 1.0  # an explainer that picks the pause (frames 40–60 = 0.6–0.9 s)
    old_windows, _ = ac.clip_analysis(clip, {"m": pause}, k=2, n_draws=30, rng=np.random.default_rng(3), unrestricted=False)
    windows, cues = ac.clip_analysis(clip, {"m": pause}, k=2, n_draws=30, rng=np.random.default_rng(3),
                                     rng_any=np.random.default_rng(5))
    assert set(windows.method) == {"m", ac.RANDOM, ac.RANDOM_ANY}
    same = windows[windows.method != ac.RANDOM_ANY].reset_index(drop=True)
    pd.testing.assert_frame_equal(same, old_windows)  # the non-silent draws do not change
    in_pause = lambda w: ((w.start_s >= 0.45) & (w.end_s <= 1.05)).any()
    assert not in_pause(windows[windows.method == ac.RANDOM])  # non-silent draws never sit in the pause
    assert in_pause(windows[windows.method == ac.RANDOM_ANY])
    voiced = cues[cues.variant == "voiced-only"].assign(utterance="u")
    deltas = ac.delta_f(voiced).set_index(["baseline", "cue"]).delta_f
    assert set(deltas.index.get_level_values("baseline")) == set(ac.BASELINES)
    # salient = the pause: negative against both baselines, much less so when pauses may be drawn too
    assert deltas[ac.RANDOM, "loudness"] < deltas[ac.RANDOM_ANY, "loudness"] < 0


def _deltas(values_by_emotion, baseline=ac.RANDOM, cue="loudness"):
    rows = []
    for emotion, values in values_by_emotion.items():
        for n, v in enumerate(values):
            for method, shift in (("occlusion", 0.01), ("CRP", -0.01)):
                rows.append(dict(utterance=f"{emotion}{n}", emotion=emotion, method=method, baseline=baseline, cue=cue,
                                 delta_f=v + shift))
    return pd.DataFrame(rows)


def _rows(**kwargs):
    deltas = pd.concat([_deltas({"anger": [0.5, 0.6, 0.4, 0.7, 0.5, 0.6], "sadness": [-0.3, 0.4, -0.2, 0.5, -0.1, 0.1]}),
                        _deltas({"anger": [0.5] * 6, "sadness": [0.0] * 6}, baseline=ac.RANDOM_ANY)])
    clip_info = pd.DataFrame({"utterance": ["a1", "a2", "a3", "s1", "s2", "s3"],
                              "emotion": ["anger"] * 3 + ["sadness"] * 3, "predicted": ["sadness"] * 3 + ["anger"] * 3})
    salient = pd.DataFrame({"utterance": clip_info.utterance, "method": "occlusion", "cue": "loudness",
                            "value": [1.0, 1.1, 0.9, 1.0, 1.05, 0.95]})
    defaults = dict(dataset="cremad", accuracy=0.61, n_classes=6, deltas=deltas, salient=salient, clip_info=clip_info, seed=4)
    return {r["item"]: r for r in ac.paper_vs_run_rows(**{**defaults, **kwargs})}


def test_paper_vs_run_rows_decide_by_bootstrap_ci_and_mark_planted_directions_by_construction():
    rows = _rows()
    anger, sad = rows["anger: Δf loudness vs random windows (correct clips)"], rows["sadness: Δf loudness vs random windows (correct clips)"]
    assert anger["agrees"] == "yes" and anger["basis"] == "paper text" and anger["sampling_noise"] == "yes"
    assert verdicts.has_ci(anger["this_run"]) and anger["this_run"].startswith("+0.55")  # clip means over both methods
    assert sad["agrees"] == "unclear"  # the CI straddles 0
    assert rows["anger: Δf F0 (semitones) vs random windows (correct clips)"]["agrees"] == "n/a"  # no clips: no test
    assert rows["test accuracy, CREMA-D / TESS (random split)"]["agrees"] == "n/a"
    same = rows["misclassified clips: salient loudness of true anger minus true sadness"]
    assert same["agrees"] == "yes" and verdicts.has_ci(same["this_run"])  # 1.00 vs 1.00, CI well inside ±0.25
    hit = rows["occlusion: top-k windows hit the planted cue more often than random windows"]
    assert hit["agrees"] == "n/a" and "no planted windows" in hit["note"]
    planted = _rows(planted=True, dataset="synthetic-time")
    assert {planted[f"{e}: Δf loudness vs random windows (correct clips)"]["agrees"] for e in ("anger", "sadness")} == {"n/a"}
    assert planted["anger: Δf loudness vs random windows (correct clips)"]["basis"] == "by construction"
    assert planted["anger: Δf F0 (semitones) vs random windows (correct clips)"]["basis"] == "by construction"  # no clips
    assert verdicts.problems(pd.DataFrame(list(planted.values()))) == []


def test_paper_vs_run_hit_rows_are_paired_over_clips():
    hits = pd.DataFrame({"utterance": np.repeat(np.arange(8), 3),
                         "method": ["occlusion", "CRP", ac.RANDOM] * 8,
                         "fraction_overlapping": np.array([[0.6, 0.3, 0.2], [0.8, 0.1, 0.3], [0.6, 0.4, 0.2], [0.4, 0.2, 0.2],
                                                           [0.6, 0.2, 0.3], [0.8, 0.3, 0.1], [0.6, 0.1, 0.2], [0.4, 0.3, 0.3]]).ravel()})
    rows = _rows(hits=hits, planted=True, dataset="synthetic-time")
    occlusion = rows["occlusion: top-k windows hit the planted cue more often than random windows"]
    crp = rows["CRP: top-k windows hit the planted cue more often than random windows"]
    assert occlusion["agrees"] == "yes" and verdicts.has_ci(occlusion["this_run"]) and "n = 8 clips" in occlusion["note"]
    assert crp["agrees"] == "unclear"  # 0.24 vs 0.225: the paired CI covers 0


def test_equivalence_verdict():
    assert ac.equivalence_verdict(-0.1, 0.1, 0.2) == "yes"
    assert ac.equivalence_verdict(0.3, 0.5, 0.2) == "no" and ac.equivalence_verdict(-0.5, -0.25, 0.2) == "no"
    assert ac.equivalence_verdict(0.1, 0.3, 0.2) == "unclear" and ac.equivalence_verdict(np.nan, 0.1, 0.2) == "unclear"
