"""A small source–filter voice: the sound engine behind `helpers.synthetic`.

A glottal pulse train follows an F0 contour (declination plus pitch accents) with
cycle-to-cycle jitter and shimmer; aspiration noise sets the harmonics-to-noise ratio;
a cascade of four formant resonators shapes a sequence of vowel-like syllables; syllable
envelopes at a speaking rate, one pause, and a spectral tilt finish it.

Every random number lives in a `Script` (drawn once per utterance), and every acoustic
knob lives in `VoiceSettings`. Rendering the same script with two settings gives two
versions of the *same* utterance, which is what lets the corpus plant cues locally and
lets tests compare an emotional rendering with its neutral twin sample by sample.

It is a teaching tool and a ground truth, not a model of speech production.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

# Vowel formant targets (F1..F4, Hz) of an adult male voice; speakers scale them.
VOWEL_FORMANTS_HZ = np.array(
    [
        [730.0, 1090.0, 2440.0, 3400.0],  # a
        [530.0, 1840.0, 2480.0, 3500.0],  # e
        [270.0, 2290.0, 3010.0, 3600.0],  # i
        [570.0, 840.0, 2410.0, 3400.0],  # o
        [300.0, 870.0, 2240.0, 3350.0],  # u
    ]
)
FORMANT_BANDWIDTHS_HZ = np.array([80.0, 100.0, 140.0, 200.0])

MAX_SYLLABLES = 32  # more than fit in 2.5 s at the fastest planted rate
NOISE_DRAWS = 4096  # per-cycle jitter/shimmer draws (enough for 2.5 s at 500 Hz)
TILT_PIVOT_HZ = 500.0  # tilt leaves the band below this untouched
NUCLEUS_FRACTION = 0.72  # voiced share of a syllable; the rest is a gap
NOISE_FLOOR_DBFS = -72.0  # constant background so no file holds digital silence


@dataclass(frozen=True)
class Script:
    """All random draws of one utterance ('the text and its delivery'), independent of emotion."""

    duration_s: float
    vowels: np.ndarray  # vowel index per syllable
    syllable_lengths: np.ndarray  # relative length per syllable (mean ~1)
    accents: np.ndarray  # accent height per syllable in units of the accent size (0 = none)
    syllable_gains_db: np.ndarray  # small loudness variation per syllable
    pause_after: int  # the pause follows this syllable
    jitter_draws: np.ndarray  # standard normal, one per glottal cycle
    shimmer_draws: np.ndarray  # standard normal, one per glottal cycle
    aspiration: np.ndarray  # standard normal, one per sample
    floor_noise: np.ndarray  # standard normal, one per sample


@dataclass(frozen=True)
class VoiceSettings:
    """Every acoustic knob of one rendering, in physical units."""

    f0_base_hz: float
    accent_semitones: float = 2.5
    declination_semitones: float = 2.0
    syllable_rate: float = 4.5  # syllables per second
    pause_s: float = 0.18
    jitter: float = 0.006  # relative std of the period, cycle to cycle
    shimmer: float = 0.06  # relative std of the cycle amplitude
    hnr_db: float = 20.0  # periodic source power over aspiration noise power
    tilt_db_per_octave: float = -3.0  # above TILT_PIVOT_HZ
    formant_scale: float = 1.0
    level_dbfs: float = -34.0  # RMS while voicing (envelope-weighted)


@dataclass(frozen=True)
class Rendering:
    """A rendered utterance plus the ground truth needed to check it."""

    audio: np.ndarray  # float64, calibrated to settings.level_dbfs, no noise floor
    envelope: np.ndarray  # per-sample syllable envelope (0..~1.3)
    f0_hz: np.ndarray  # per-sample planted F0 contour (without jitter)
    f0_mean_hz: float  # envelope-weighted mean of f0_hz over voiced samples
    speech_start_s: float
    speech_end_s: float


def draw_script(rng: np.random.Generator, sr: int, duration_range_s=(2.0, 2.5)) -> Script:
    """Draw one utterance's randomness in a fixed order, so the number of draws never
    depends on the emotion (renderings of one script stay comparable)."""
    duration_s = float(rng.uniform(*duration_range_s))
    n_samples = int(round(duration_s * sr))
    vowels = rng.integers(0, len(VOWEL_FORMANTS_HZ), MAX_SYLLABLES)
    syllable_lengths = rng.uniform(0.75, 1.25, MAX_SYLLABLES)
    accented = rng.random(MAX_SYLLABLES) < 0.35
    accented[0] = True
    accents = np.where(accented, rng.uniform(0.6, 1.4, MAX_SYLLABLES), 0.0)
    syllable_gains_db = rng.normal(0.0, 1.0, MAX_SYLLABLES) + 2.0 * accented
    pause_after = int(rng.integers(2, 5))
    return Script(
        duration_s=n_samples / sr,
        vowels=vowels,
        syllable_lengths=syllable_lengths,
        accents=accents,
        syllable_gains_db=syllable_gains_db,
        pause_after=pause_after,
        jitter_draws=np.clip(rng.standard_normal(NOISE_DRAWS), -3, 3),
        shimmer_draws=np.clip(rng.standard_normal(NOISE_DRAWS), -3, 3),
        aspiration=rng.standard_normal(n_samples),
        floor_noise=rng.standard_normal(n_samples),
    )


def syllable_timing(script: Script, settings: VoiceSettings, lead_s=0.12, tail_s=0.12):
    """Onsets and lengths (s) of the syllables that fit in the utterance at this rate."""
    mean_length = 1.0 / settings.syllable_rate
    onsets, lengths = [], []
    t = lead_s
    for i, rel in enumerate(script.syllable_lengths):
        length = rel * mean_length
        if t + length > script.duration_s - tail_s:
            break
        onsets.append(t)
        lengths.append(length)
        t += length
        if i == script.pause_after:
            t += settings.pause_s
    return np.array(onsets), np.array(lengths)


def syllable_envelope(onsets, lengths, gains_db, n_samples: int, sr: int) -> np.ndarray:
    """Raised-cosine attack, flat top, longer raised-cosine decay, then a short gap."""
    env = np.zeros(n_samples)
    for onset, length, gain_db in zip(onsets, lengths, gains_db):
        nucleus = int(length * NUCLEUS_FRACTION * sr)
        attack, decay = int(0.25 * nucleus), int(0.35 * nucleus)
        shape = np.ones(nucleus)
        shape[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
        shape[nucleus - decay :] = 0.5 + 0.5 * np.cos(np.pi * np.arange(decay) / decay)
        start = int(onset * sr)
        stop = min(start + nucleus, n_samples)
        env[start:stop] = shape[: stop - start] * 10 ** (gain_db / 20)
    return env


def f0_contour(script, settings, onsets, lengths, n_samples: int, sr: int) -> np.ndarray:
    """Planted F0 (Hz) per sample: linear declination plus a Gaussian bump per accented syllable."""
    t = np.arange(n_samples) / sr
    semitones = settings.declination_semitones * (0.5 - t / script.duration_s)
    for onset, length, height in zip(onsets, lengths, script.accents):
        if height > 0:
            centre = onset + 0.4 * length * NUCLEUS_FRACTION
            width = 0.3 * length
            semitones = semitones + settings.accent_semitones * height * np.exp(
                -0.5 * ((t - centre) / width) ** 2
            )
    return settings.f0_base_hz * 2.0 ** (semitones / 12.0)


def glottal_cycle_starts(f0_hz: np.ndarray, jitter: float, draws: np.ndarray, sr: int):
    """Sample positions where glottal cycles begin; each period is perturbed by jitter."""
    n_samples = len(f0_hz)
    starts = [0.0]
    t = 0.0
    k = 0
    while t < n_samples:
        period = sr / f0_hz[min(int(t), n_samples - 1)]
        t += period * (1.0 + jitter * draws[k % len(draws)])
        starts.append(t)
        k += 1
    return np.array(starts)


def glottal_flow_derivative(phase: np.ndarray, open_phase=0.45, closing_phase=0.18) -> np.ndarray:
    """Rosenberg-style flow derivative over one cycle (phase in [0, 1)); the abrupt
    closure at the end of the closing phase is the main excitation."""
    out = np.zeros_like(phase)
    opening = phase < open_phase
    closing = (phase >= open_phase) & (phase < open_phase + closing_phase)
    out[opening] = np.sin(np.pi * phase[opening] / open_phase) / open_phase
    closing_phase_fraction = (phase[closing] - open_phase) / closing_phase
    out[closing] = -np.sin(0.5 * np.pi * closing_phase_fraction) / closing_phase
    return out


def pulse_train(f0_hz: np.ndarray, settings: VoiceSettings, script: Script, sr: int) -> np.ndarray:
    """Voiced source: one glottal pulse per (jittered) cycle, each scaled by (1 + shimmer·draw)."""
    n_samples = len(f0_hz)
    starts = glottal_cycle_starts(f0_hz, settings.jitter, script.jitter_draws, sr)
    samples = np.arange(n_samples)
    cycle = np.searchsorted(starts, samples, side="right") - 1
    phase = (samples - starts[cycle]) / (starts[cycle + 1] - starts[cycle])
    draws = script.shimmer_draws[cycle % len(script.shimmer_draws)]
    amplitude = np.clip(1.0 + settings.shimmer * draws, 0.2, None)
    return glottal_flow_derivative(phase) * amplitude


def syllable_formants(script: Script, settings: VoiceSettings, n_syllables: int) -> np.ndarray:
    """Formant targets (n_syllables × 4, Hz): one steady vowel per syllable, speaker-scaled."""
    return VOWEL_FORMANTS_HZ[script.vowels[:n_syllables]] * settings.formant_scale


def resonator_sos(freqs_hz: np.ndarray, bandwidths_hz: np.ndarray, sr: int) -> np.ndarray:
    """Second-order resonators with unit gain at DC (Klatt), as second-order sections."""
    r = np.exp(-np.pi * bandwidths_hz / sr)
    b1 = 2 * r * np.cos(2 * np.pi * freqs_hz / sr)
    b2 = -(r**2)
    gain = 1 - b1 - b2
    zeros = np.zeros_like(gain)
    return np.stack([gain, zeros, zeros, np.ones_like(gain), -b1, -b2], 1)


def formant_filter(source: np.ndarray, onsets_s, formants_hz: np.ndarray, sr: int) -> np.ndarray:
    """Cascade of resonators, retuned at each syllable onset (where the source is silent,
    so retuning leaves no click), carrying filter state across syllables. Formants at or
    above 0.45·sr are left out, so low sample rates still work."""
    usable = VOWEL_FORMANTS_HZ.max(0) * 1.3 < 0.45 * sr
    edges = [int(round(t * sr)) for t in onsets_s[1:]]
    starts, stops = [0, *edges], [*edges, len(source)]
    zi = np.zeros((int(usable.sum()), 2))
    out = np.empty_like(source)
    for start, stop, freqs in zip(starts, stops, formants_hz):
        sos = resonator_sos(freqs[usable], FORMANT_BANDWIDTHS_HZ[usable], sr)
        out[start:stop], zi = signal.sosfilt(sos, source[start:stop], zi=zi)
    return out


def apply_tilt(audio: np.ndarray, tilt_db_per_octave: float, sr: int) -> np.ndarray:
    """Add `tilt` dB per octave above TILT_PIVOT_HZ (zero-phase, in the frequency domain),
    so the tilt is exact in dB/octave rather than a first-order approximation."""
    if tilt_db_per_octave == 0:
        return audio
    n_fft = sp_fft.next_fast_len(len(audio), real=True)
    freqs = sp_fft.rfftfreq(n_fft, 1.0 / sr)
    octaves = np.log2(np.maximum(freqs, TILT_PIVOT_HZ) / TILT_PIVOT_HZ)
    gain = 10 ** (tilt_db_per_octave * octaves / 20)
    return sp_fft.irfft(sp_fft.rfft(audio, n_fft) * gain, n_fft)[: len(audio)]


def aspiration_noise(source: np.ndarray, envelope: np.ndarray, draws: np.ndarray, hnr_db: float):
    """Noise whose power sits `hnr_db` below the voiced source's power (while voicing)."""
    weight = np.sum(envelope**2)
    source_power = np.sum(source**2) / weight if weight > 0 else 0.0
    noise = draws * envelope
    noise_power = np.sum(noise**2) / weight if weight > 0 else 1.0
    return noise * np.sqrt(source_power / noise_power * 10 ** (-hnr_db / 10))


def calibrate_level(audio: np.ndarray, envelope: np.ndarray, level_dbfs: float) -> np.ndarray:
    """Scale so the RMS *per unit of envelope* equals `level_dbfs`: the level is a planted
    variable that only `level_dbfs` moves (rate, pauses, F0 or tilt leave it alone). This is
    a fixed target per rendering, not a per-file normalisation: loudness cues survive."""
    power = np.sum(audio**2) / np.sum(envelope**2)
    return audio * (10 ** (level_dbfs / 20) / np.sqrt(power))


def render(script: Script, settings: VoiceSettings, sr: int) -> Rendering:
    """Render one script with one set of knobs."""
    n_samples = len(script.aspiration)
    onsets, lengths = syllable_timing(script, settings)
    envelope = syllable_envelope(onsets, lengths, script.syllable_gains_db, n_samples, sr)
    f0 = f0_contour(script, settings, onsets, lengths, n_samples, sr)
    voiced = pulse_train(f0, settings, script, sr) * envelope
    source = voiced + aspiration_noise(voiced, envelope, script.aspiration, settings.hnr_db)
    formants = syllable_formants(script, settings, len(onsets))
    audio = formant_filter(source, onsets, formants, sr)
    audio = apply_tilt(audio, settings.tilt_db_per_octave, sr)
    audio = calibrate_level(audio, envelope, settings.level_dbfs)
    is_voiced = envelope > 0.5 * envelope.max()
    f0_mean = float(np.sum(f0[is_voiced] * envelope[is_voiced]) / np.sum(envelope[is_voiced]))
    return Rendering(
        audio=audio,
        envelope=envelope,
        f0_hz=f0,
        f0_mean_hz=f0_mean,
        speech_start_s=float(onsets[0]),
        speech_end_s=float(onsets[-1] + lengths[-1] * NUCLEUS_FRACTION),
    )


def noise_floor(script: Script) -> np.ndarray:
    """The constant background added to every file of a script (identical across emotions)."""
    return script.floor_noise * 10 ** (NOISE_FLOOR_DBFS / 20)
