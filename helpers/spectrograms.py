"""Time–frequency representations the papers use: log-Mel, CQT-96, F0 with voicing, envelopes.

Parameters default to what the papers (or their code) used; where a paper is silent the
choice is documented here, next to the default.
"""
from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

CQT_SR = 22050  # Smietanka & Maka: CQT-96 from C1 at 22.05 kHz
CQT_BINS = 96
CQT_BINS_PER_OCTAVE = 12
CQT_FMIN = librosa.note_to_hz("C1")  # 32.70 Hz
# The paper does not give the hop. librosa's default (512 samples = 23.2 ms at 22.05 kHz)
# makes its fixed width of 202 columns span 4.69 s, which fits EmoDB utterances: we use it.
CQT_HOP = 512
CQT_FRAMES = 202


def log_mel(y: np.ndarray, sr: int = 16000, n_fft: int = 1024, win_length: int = 480, hop_length: int = 240,
            n_mels: int = 128, top_db: float | None = 80.0) -> np.ndarray:
    """dB log-Mel spectrogram re its maximum (Nasr et al.'s preprocessing), shape (n_mels, frames)."""
    power = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, win_length=win_length,
                                           hop_length=hop_length, n_mels=n_mels, power=2.0)
    return librosa.power_to_db(power, ref=np.max, top_db=top_db).astype(np.float32)


def cqt(y: np.ndarray, sr: int = CQT_SR, hop_length: int = CQT_HOP, n_bins: int = CQT_BINS,
        bins_per_octave: int = CQT_BINS_PER_OCTAVE, fmin: float = CQT_FMIN, db: bool = True) -> np.ndarray:
    """Constant-Q magnitude (dB re max if `db`, else linear), shape (96, frames); needs 22.05 kHz for C1..B8."""
    if sr != CQT_SR:
        raise ValueError(f"cqt expects audio at {CQT_SR} Hz (got {sr}); load with load_audio(path, sr={CQT_SR})")
    magnitude = np.abs(librosa.cqt(y, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins,
                                   bins_per_octave=bins_per_octave))
    return (librosa.amplitude_to_db(magnitude, ref=np.max) if db else magnitude).astype(np.float32)


def cqt_frequencies(n_bins: int = CQT_BINS, fmin: float = CQT_FMIN, bins_per_octave: int = CQT_BINS_PER_OCTAVE) -> np.ndarray:
    return librosa.cqt_frequencies(n_bins=n_bins, fmin=fmin, bins_per_octave=bins_per_octave)


def fixed_width(spec: np.ndarray, n_frames: int = CQT_FRAMES, pad_value: float | None = None) -> tuple[np.ndarray, int]:
    """Crop or right-pad the time axis to `n_frames`; returns (array, number of real columns).

    Padding uses the spectrogram's minimum (silence in dB) unless `pad_value` is given.
    Analyses should use only the first `n_valid` columns.
    """
    n_valid = min(spec.shape[-1], n_frames)
    if spec.shape[-1] >= n_frames:
        return spec[..., :n_frames], n_valid
    fill = spec.min() if pad_value is None else pad_value
    pad = np.full(spec.shape[:-1] + (n_frames - spec.shape[-1],), fill, dtype=spec.dtype)
    return np.concatenate([spec, pad], axis=-1), n_valid


@dataclass
class F0Track:
    times: np.ndarray
    f0_hz: np.ndarray  # NaN where unvoiced
    voiced: np.ndarray  # bool
    voiced_probability: np.ndarray

    def median_hz(self) -> float:
        return float(np.nanmedian(self.f0_hz[self.voiced])) if self.voiced.any() else float("nan")

    def mean_hz(self) -> float:
        """Mean over voiced frames: compares with a planted mean F0 (the median sits below it
        when pitch accents skew the contour upwards)."""
        return float(np.nanmean(self.f0_hz[self.voiced])) if self.voiced.any() else float("nan")


def f0_pyin(y: np.ndarray, sr: int, fmin: float = 65.0, fmax: float = 500.0, hop_length: int | None = None,
            frame_length: int | None = None) -> F0Track:
    """Probabilistic YIN F0 with a voicing decision per frame (librosa.pyin)."""
    frame_length = frame_length or int(2 ** np.ceil(np.log2(0.064 * sr)))  # ≈ 64 ms: two periods at 30 Hz
    hop_length = hop_length or frame_length // 4
    f0, voiced, probability = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame_length,
                                           hop_length=hop_length)
    times = librosa.times_like(f0, sr=sr, hop_length=hop_length)
    return F0Track(times, f0, voiced.astype(bool), probability)


def block_energy(y: np.ndarray, n_blocks: int) -> np.ndarray:
    """Energy of `n_blocks` non-overlapping blocks of K = ⌊N / n_blocks⌋ samples (Smietanka's Q_n).

    The last N − K·n_blocks samples are dropped, as the definition implies.
    """
    if n_blocks < 1 or len(y) < n_blocks:
        raise ValueError(f"need at least one sample per block (N={len(y)}, blocks={n_blocks})")
    k = len(y) // n_blocks
    return np.square(y[: k * n_blocks].astype(np.float64)).reshape(n_blocks, k).sum(axis=1)


def normalise_max(x: np.ndarray) -> np.ndarray:
    """Divide by the maximum (Smietanka's normalisation before RMSE); all-zero stays zero."""
    peak = np.max(x)
    return x / peak if peak > 0 else np.zeros_like(x, dtype=np.float64)
