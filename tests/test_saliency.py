"""Trimming, occlusion on a toy model, window tiling/ranking/top-k, frame → sample mapping."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers import saliency
from helpers.errors import InvalidParameterError


def test_first_nonsilent_segment_is_kept(sine_wave):
    sr = 16000
    tone = sine_wave(220, 0.8, sr, amp=0.5)
    y = np.concatenate([np.zeros(int(0.3 * sr)), tone, np.zeros(int(0.7 * sr)), tone, np.zeros(int(0.2 * sr))])
    ranges = saliency.nonsilent_ranges(y, sr)
    assert len(ranges) == 2
    start, stop = ranges[0]
    # pydub semantics: a silence is ≥ 0.5 s, so the leading 0.3 s is not trimmed away
    assert start == 0 and abs(stop / sr - 1.1) < 0.03
    clip = saliency.preprocess(y, sr, clip_s=2.0, n_mels=32)
    assert clip.offset == 0 and len(clip.trimmed) == stop and len(clip.padded) == 2 * sr
    assert clip.spectrogram.shape == (32, 134)
    assert clip.n_valid_frames == int(np.ceil(stop / 240))


def test_leading_long_silence_is_cut_and_long_clips_cropped(sine_wave):
    sr = 16000
    y = np.concatenate([np.zeros(sr), sine_wave(300, 3.0, sr)])
    clip = saliency.preprocess(y, sr, clip_s=2.0, n_mels=16)
    assert abs(clip.offset / sr - 1.0) < 0.02
    assert len(clip.trimmed) == 2 * sr and clip.n_valid_frames == 134


def test_silent_signal_falls_back_to_whole_and_bad_reference_is_rejected():
    y = np.zeros(16000, dtype=np.float32)
    y[::100] = 1e-6
    assert saliency.preprocess(y, n_mels=8).offset == 0
    with pytest.raises(InvalidParameterError, match="rms, peak"):
        saliency.nonsilent_ranges(y, reference="max")


def test_tile_windows_hop_equals_width_keeps_a_short_last_window():
    windows = saliency.tile_windows(25, width=10)
    assert windows.tolist() == [[0, 10], [10, 20], [20, 25]]
    assert saliency.tile_windows(25, width=10, hop=5).tolist() == [[0, 10], [5, 15], [10, 20], [15, 25]]


def _hand_map():
    relevance = np.zeros((4, 60))
    relevance[:, 30:40] = 3.0  # window 3 strongest
    relevance[:, 10:20] = 2.0  # window 1
    relevance[:, 50:60] = 1.5  # window 5
    relevance[:, 0:10] = 0.1  # below the mean → zeroed
    relevance[0, 40:50] = -5.0
    return relevance


def test_top_k_ranks_windows_by_summed_relevance_above_the_mean():
    relevance = _hand_map()
    scores = saliency.window_scores(relevance, saliency.tile_windows(60))
    assert scores[0] == 0.0  # 0.1 < mean ≈ 0.94 → zeroed
    assert scores[3] == 4 * 10 * 3.0
    top = saliency.top_k_windows(relevance, k=3)
    assert top.tolist() == [[30, 40], [10, 20], [50, 60]]


def test_top_k_ignores_padding_frames_and_handles_short_clips():
    relevance = _hand_map()
    top = saliency.top_k_windows(relevance, k=2, n_valid_frames=35)
    assert top.tolist() == [[10, 20], [30, 35]]  # 4×10×2 = 80 beats the clipped 4×5×3 = 60
    with pytest.raises(ValueError, match="fewer than k=5"):
        saliency.top_k_windows(relevance, k=5, n_valid_frames=25)
    assert len(saliency.top_k_windows(relevance, k=5, n_valid_frames=25, on_short="all")) == 3


def test_overlapping_grid_uses_greedy_non_overlap_suppression():
    relevance = np.zeros((2, 40))
    relevance[:, 12:18] = 1.0
    top = saliency.top_k_windows(relevance, k=2, width=10, hop=5)
    a, b = top.tolist()
    assert a[0] in (10, 15) and a[0] <= 12 and a[1] >= 18 or a == [10, 20]
    assert b[1] <= a[0] or b[0] >= a[1]


def test_frames_map_to_trimmed_samples_and_overlap_check():
    samples = saliency.frames_to_samples(np.array([[0, 10], [130, 134]]), hop_length=240, n_samples=31500)
    assert samples.tolist() == [[0, 2400], [31200, 31500]]
    seconds = samples / 16000
    assert saliency.overlaps(seconds, 0.1, 0.5).tolist() == [True, False]


class OneSpan(nn.Module):
    """Logit 0 = mean of frames 20–29 (all mel bins); logit 1 = constant."""

    def forward(self, x):
        return torch.stack([x[:, 0, :, 20:30].mean(dim=(1, 2)), torch.zeros(len(x))], dim=1)


def test_occlusion_peaks_where_the_toy_model_looks():
    x = np.random.default_rng(0).uniform(-40, -5, (2, 1, 8, 60)).astype(np.float32)
    maps = saliency.occlusion_maps(OneSpan(), x, [0, 0], window=(None, 10), stride=(None, 5), perturbations_per_eval=4)
    assert maps.shape == (2, 8, 60)
    per_frame = maps[0].sum(axis=0)
    assert per_frame[20:30].min() > 0 and np.allclose(per_frame[:10], 0) and np.allclose(per_frame[45:], 0)
    top = saliency.top_k_windows(maps[0], k=1)
    assert top.tolist() == [[20, 30]]
    one_by_one = saliency.occlusion_maps(OneSpan(), x, [0, 0], perturbations_per_eval=1)
    np.testing.assert_allclose(maps, one_by_one, atol=1e-6)


def test_occlusion_in_groups_of_clips_equals_one_call(monkeypatch):
    """Clips are sent to captum a few at a time (memory); each clip's map does not depend on that."""
    x = np.random.default_rng(1).uniform(-40, -5, (5, 1, 8, 60)).astype(np.float32)
    targets = [0, 1, 0, 0, 1]
    together = saliency.occlusion_maps(OneSpan(), x, targets, perturbations_per_eval=4)
    monkeypatch.setattr(saliency, "OCCLUSION_BATCH_INPUTS", 8)  # groups of 2 clips: 2 + 2 + 1
    grouped = saliency.occlusion_maps(OneSpan(), x, targets, perturbations_per_eval=4)
    assert grouped.shape == (5, 8, 60)
    np.testing.assert_allclose(grouped, together, atol=1e-6)
    assert np.allclose(grouped[1], 0) and grouped[0].sum() != 0  # target 1 is constant: no occlusion effect
    assert saliency.occlusion_maps(OneSpan(), x[:0], [], perturbations_per_eval=4).shape == (0, 8, 60)


def test_occlusion_rejects_unknown_baseline():
    with pytest.raises(InvalidParameterError, match="min, zero"):
        saliency.occlusion_maps(OneSpan(), np.zeros((1, 1, 4, 30)), [0], baseline="mean")


def test_planted_hit_fraction_counts_top_windows_on_the_planted_span():
    sr, hop = 16000, saliency.HOP_LENGTH
    trimmed = np.ones(100 * hop, dtype=np.float32)  # 100 frames of audio, then padding in the map
    clip = saliency.Clip(trimmed, 0, trimmed, np.zeros((4, 120)), n_valid_frames=100, sr=sr)
    relevance = np.zeros((4, 120))
    relevance[:, 40:50] = 1.0  # the best window is frames 40–50 = 0.6–0.75 s
    relevance[:, 110:120] = 5.0  # padding: never competes
    assert saliency.planted_hit_fraction(relevance, clip, 0.6, 0.75, k=1) == 1.0
    assert saliency.planted_hit_fraction(relevance, clip, 1.0, 1.2, k=1) == 0.0
    assert saliency.planted_hit_fraction(relevance, clip, 0.6, 0.75, k=2) == 0.5
    assert np.isnan(saliency.planted_hit_fraction(relevance, clip, np.nan, np.nan))
    # asking for every window gives the share of grid windows that overlap: the analytic chance
    from helpers.acoustic_cues import grid_overlap_chance
    every = saliency.planted_hit_fraction(relevance, clip, 0.5, 0.9, k=1000)
    assert every == pytest.approx(grid_overlap_chance(100, 0.5, 0.9)) and 0 < every < 1


class OneCell(nn.Module):
    """Logit 0 = mean of Mel bin 3, frames 20–29; logit 1 = constant."""

    def forward(self, x):
        return torch.stack([x[:, 0, 3, 20:30].mean(dim=1), torch.zeros(len(x))], dim=1)


def test_named_occlusion_patches_and_their_geometry():
    assert saliency.occlusion_patch("authors") == {"window": (1, 10), "stride": (1, 3)}
    assert saliency.occlusion_patch("time") == {"window": (None, 10), "stride": (None, 5)}
    with pytest.raises(InvalidParameterError, match="time, authors"):
        saliency.occlusion_patch("square")
    # 128 bins × 42 time positions of a 10-frame patch every 3 frames over 134 frames
    assert saliency.occlusion_passes(128, 134, **saliency.occlusion_patch("authors")) == 128 * 42
    assert saliency.occlusion_passes(128, 134, **saliency.occlusion_patch("time")) == 25
    x = np.random.default_rng(1).uniform(-40, -5, (1, 1, 8, 60)).astype(np.float32)
    authors = saliency.occlusion_maps(OneCell(), x, [0], **saliency.occlusion_patch("authors"))[0]
    rows_hit = np.flatnonzero(np.abs(authors).sum(axis=1) > 0)
    assert rows_hit.tolist() == [3]  # a 1-bin patch localises the one bin the model reads
    assert np.allclose(authors[3, :11], 0) and np.allclose(authors[3, 39:], 0)  # patches that miss frames 20–29 change nothing
    assert saliency.top_k_windows(authors, k=1).tolist() == [[20, 30]]
    time = saliency.occlusion_maps(OneCell(), x, [0], **saliency.occlusion_patch("time"))[0]
    assert np.allclose(time, time[0])  # an all-bins patch: the same value in every bin of a frame
    assert np.abs(time).sum(axis=0)[20:30].min() > 0


class SignedEvidence(nn.Module):
    """Frames 10–19 (positive input) raise logit 0 by 1/6, frames 40–49 (negative input) lower it
    by 1/2: the explained logit is −1/3. ReLU layers and a bias-free linear head (LRP-ready)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 2, 1, bias=False)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.stem.weight[:] = torch.tensor([1.0, -1.0]).view(2, 1, 1, 1)
            self.fc.weight[:] = torch.tensor([[1.0, -3.0], [0.0, 0.0]])

    def forward(self, x):
        return self.fc(self.pool(self.relu(self.stem(x))).flatten(1))


def _signed_input():
    x = np.zeros((1, 1, 4, 60), dtype=np.float32)
    x[..., 10:20], x[..., 40:50] = 1.0, -1.0
    return x


def test_crp_with_a_negative_logit_is_flagged_and_the_seed_sets_the_sign():
    x = _signed_input()
    logit_maps, logits = saliency.crp_maps(SignedEvidence(), x, [0])
    assert logits[0, 0] == pytest.approx(-1 / 3, abs=1e-6)
    profile = logit_maps[0].sum(axis=0)
    # logit seed: relevance = contribution; the region that raised the logit is positive
    assert profile[10:20].sum() == pytest.approx(1 / 6, abs=1e-3) and profile[40:50].sum() == pytest.approx(-0.5, abs=1e-3)
    assert saliency.top_k_windows(logit_maps[0], k=1).tolist() == [[10, 20]]
    one_hot, _ = saliency.crp_maps(SignedEvidence(), x, [0], relevance_seed="one-hot")
    np.testing.assert_allclose(one_hot, logit_maps / logits[0, 0], atol=1e-4)  # linear in the seed: flipped sign
    assert saliency.conserved_fraction(one_hot, logits, [0], relevance_seed="one-hot")[0] == pytest.approx(1, abs=1e-3)
    assert saliency.top_k_windows(one_hot[0], k=1).tolist() == [[40, 50]]  # what pushed the logit down
    # either way the map ranks no evidence *for* a class with logit ≤ 0: such clips are flagged
    assert saliency.crp_explainable(logits, [0]).tolist() == [False]
    assert saliency.crp_explainable(np.array([[0.0, 2.0], [1.5, -1.0]]), [0, 0]).tolist() == [False, True]
    with pytest.raises(InvalidParameterError, match="logit, one-hot"):
        saliency.crp_maps(SignedEvidence(), x, [0], relevance_seed="unit")
