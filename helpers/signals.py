"""Small generated test signals for tutorials and tests (no corpus needed)."""
from __future__ import annotations

import numpy as np


def harmonic_voice(f0: float, duration_s: float, sr: int, rng: np.random.Generator,
                   n_harmonics: int = 12, vibrato_hz: float = 5.0, vibrato_depth: float = 0.01) -> np.ndarray:
    """A harmonic series with 1/k amplitudes and slight vibrato: a voiced sound of known F0."""
    t = np.arange(int(duration_s * sr)) / sr
    inst_f0 = f0 * (1 + vibrato_depth * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 2 * np.pi)))
    phase = 2 * np.pi * np.cumsum(inst_f0) / sr
    harmonics = [np.sin(k * phase) / k for k in range(1, n_harmonics + 1) if k * f0 < sr / 2]
    signal = np.sum(harmonics, axis=0)
    fade = np.minimum(1, np.minimum(t, t[-1] - t) / 0.02)
    return (0.3 * signal * fade / np.abs(signal).max()).astype(np.float32)
