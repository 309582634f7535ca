"""Spectrogram helpers: shapes, frequency placement, fixed width, F0, block energy."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import spectrograms as S
from helpers.signals import harmonic_voice


def test_cqt_has_96_bins_from_c1_and_puts_a_tone_in_the_right_bin(sine_wave):
    y = sine_wave(440.0, 2.0, sr=22050)
    spec = S.cqt(y)
    assert spec.shape == (96, 1 + len(y) // S.CQT_HOP)
    assert spec.max() == 0.0
    freqs = S.cqt_frequencies()
    assert freqs[0] == pytest.approx(32.70, abs=0.01) and freqs[-1] == pytest.approx(7902.1, rel=1e-3)
    peak_bin = int(np.argmax(spec[:, spec.shape[1] // 2]))
    assert freqs[peak_bin] == pytest.approx(440.0, rel=0.03)


def test_cqt_refuses_the_wrong_rate(sine_wave):
    with pytest.raises(ValueError, match="22050"):
        S.cqt(sine_wave(440.0, 1.0, sr=16000), sr=16000)


def test_fixed_width_pads_with_silence_and_crops():
    spec = np.arange(12, dtype=np.float32).reshape(3, 4) - 80
    padded, n_valid = S.fixed_width(spec, 6)
    assert padded.shape == (3, 6) and n_valid == 4
    assert (padded[:, 4:] == spec.min()).all()
    cropped, n_valid = S.fixed_width(spec, 2)
    assert cropped.shape == (3, 2) and n_valid == 2 and (cropped == spec[:, :2]).all()


def test_log_mel_matches_nasr_settings(sine_wave):
    y = sine_wave(1000.0, 2.0, sr=16000)
    spec = S.log_mel(y)
    assert spec.shape == (128, 1 + len(y) // 240)
    assert spec.max() == 0.0 and spec.min() >= -80.0


@pytest.mark.parametrize("f0", [110.0, 220.0])
def test_pyin_recovers_a_known_f0(f0):
    y = harmonic_voice(f0, 1.0, 16000, np.random.default_rng(0))
    track = S.f0_pyin(y, 16000)
    assert track.voiced.mean() > 0.8
    assert track.median_hz() == pytest.approx(f0, rel=0.02)
    assert len(track.times) == len(track.f0_hz)


def test_block_energy_uses_floor_blocks_and_drops_the_remainder():
    y = np.array([1, 1, 2, 2, 3, 3, 9], dtype=np.float32)
    np.testing.assert_allclose(S.block_energy(y, 3), [2, 8, 18])
    np.testing.assert_allclose(S.normalise_max(S.block_energy(y, 3)), [2 / 18, 8 / 18, 1])
    with pytest.raises(ValueError):
        S.block_energy(y[:2], 3)


def test_pyin_recovers_the_planted_f0_of_synthetic_neutral_files(tmp_path):
    from helpers import synthetic
    from helpers.audio import load_audio

    corpus = synthetic.generate_corpus(tmp_path, n_speakers=4, takes=2, emotions=["neutral", "sadness"], progress=False)
    errors = []
    # a pitch range per gender, as usual in F0 analysis (a 65 Hz floor lets pyin lock onto a
    # sub-harmonic of a 190 Hz voice in a few frames)
    ranges = {"male": (60.0, 250.0), "female": (120.0, 450.0)}
    for row in corpus.itertuples():
        track = S.f0_pyin(load_audio(row.path, sr=16000), 16000, *ranges[row.gender])
        errors.append(track.mean_hz() / row.f0_mean_hz - 1)
    assert max(abs(e) for e in errors) < 0.05
    assert float(np.median(np.abs(errors))) < 0.02


@pytest.mark.shared
def test_cqt_of_real_emodb_speech_has_energy_in_the_voice_range(emodb_subset_dir):
    from helpers.audio import load_audio

    path = next((emodb_subset_dir / "wav").glob("03*.wav"))  # a male speaker
    spec = S.cqt(load_audio(path, sr=S.CQT_SR), db=False)
    fixed, n_valid = S.fixed_width(spec)
    assert spec.shape == (96, 1 + 2 * S.CQT_SR // S.CQT_HOP) and fixed.shape == (96, 202) and n_valid == spec.shape[1]
    freqs = S.cqt_frequencies()
    speech_band = (freqs > 70) & (freqs < 4000)
    assert spec[speech_band].sum() / spec.sum() > 0.8
