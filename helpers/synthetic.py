"""The planted-cue synthetic corpus: the offline default of every notebook and the ground
truth its explainers are scored against.

Each file is one utterance of a source–filter voice (`helpers.voice`) spoken by a synthetic
speaker in one emotion. An emotion is a row of `EMOTION_CUES`: documented shifts of F0
level and range, loudness, rate, pauses, spectral tilt, jitter, shimmer and HNR, following
the direction of the acoustic literature. Because every random draw of an utterance lives
in a script that is shared by all emotions of one speaker and take, the neutral file of a
take is the *neutral twin* of each emotional file of that take: the two differ only by the
planted cue (except in the channel variant, whose noise is drawn per file).

Cues can be global (the default), confined to a time window, to a frequency band, or both
(`cue_window`, `cue_band`); `metadata.csv` records which cue was planted where. Variants
(`VARIANTS`) give single-family cues and shifted "corpora" for transfer experiments.

Layout written by `generate_corpus(root, ...)`::

    root/wav/<speaker>/<speaker>_<emotion>_<take:02d>.wav   16-bit PCM, mono
    root/corpus.json                                        generation parameters
    root/metadata.csv                                       written last

Files are never loudness-normalised: one fixed reference level is used for every file,
so energy cues survive.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from scipy import fft as sp_fft
from scipy import signal
from tqdm.auto import tqdm

from .progress import quiet

from . import voice
from .errors import InvalidParameterError, check_choice
from .fileio import atomic_path, atomic_write_text, folder_lock
from .paths import data_dir

GENERATOR_VERSION = "1"
SAMPLE_RATE = 16000
ALL_EMOTIONS = ("neutral", "anger", "happiness", "sadness", "fear", "boredom", "disgust")
DEFAULT_EMOTIONS = ALL_EMOTIONS[:6]  # disgust is optional (off by default)
FROM_VARIANT = "from-variant"  # default of cue options: take the variant's setting
FAMILIES = ("Energy", "Frequency", "Spectral", "Temporal")  # eGeMAPS categories (Dixit 2024)

# --- Emotion cues -------------------------------------------------------------------------
#
# Shifts relative to neutral, applied on top of each speaker's own voice:
#   f0_semitones        F0 level shift (semitones)
#   f0_range            multiplier of pitch-accent size and declination (F0 range)
#   loudness_db         level shift (dB of RMS while voicing)
#   rate                multiplier of syllable rate (syllables/s)
#   pause               multiplier of pause length
#   tilt_db_per_octave  added spectral tilt above 500 Hz (positive = flatter, more high energy)
#   jitter, shimmer     multipliers of cycle-to-cycle period / amplitude perturbation
#   hnr_db              harmonics-to-noise ratio shift (dB; negative = breathier)
# Directions follow the literature (e.g. Banse & Scherer 1996; Juslin & Laukka 2003):
# anger loud, flat tilt, high and fast; happiness high, wide range, loud; sadness quiet,
# low, narrow, slow, steep tilt, more jitter; fear high, fast, jittery, breathy; boredom low,
# monotone, slow. Magnitudes are exaggerated (acted speech, a few hundred files) so a
# linear model on eGeMAPS separates the four basic classes across speakers.
NEUTRAL_CUES = {
    "f0_semitones": 0.0,
    "f0_range": 1.0,
    "loudness_db": 0.0,
    "rate": 1.0,
    "pause": 1.0,
    "tilt_db_per_octave": 0.0,
    "jitter": 1.0,
    "shimmer": 1.0,
    "hnr_db": 0.0,
}
MULTIPLIER_CUES = ("f0_range", "rate", "pause", "jitter", "shimmer")


def _cues(**shifts) -> dict:
    return {**NEUTRAL_CUES, **shifts}


EMOTION_CUES = {
    "neutral": _cues(),
    "anger": _cues(f0_semitones=4.0, f0_range=1.3, loudness_db=9.0, rate=1.15, pause=0.7,
                   tilt_db_per_octave=4.0, jitter=1.2, shimmer=1.3, hnr_db=-2.0),
    "happiness": _cues(f0_semitones=5.0, f0_range=1.9, loudness_db=5.0, rate=1.1, pause=0.9,
                       tilt_db_per_octave=1.5, jitter=1.0, shimmer=1.0, hnr_db=1.0),
    "sadness": _cues(f0_semitones=-3.0, f0_range=0.45, loudness_db=-7.0, rate=0.75, pause=1.6,
                     tilt_db_per_octave=-3.0, jitter=1.6, shimmer=1.4, hnr_db=-3.0),
    "fear": _cues(f0_semitones=7.0, f0_range=1.1, loudness_db=2.0, rate=1.3, pause=1.2,
                  tilt_db_per_octave=1.0, jitter=2.0, shimmer=1.5, hnr_db=-6.0),
    "boredom": _cues(f0_semitones=-2.0, f0_range=0.35, loudness_db=-3.0, rate=0.8, pause=1.5,
                     tilt_db_per_octave=-1.5, jitter=1.1, shimmer=1.1, hnr_db=-1.0),
    "disgust": _cues(f0_semitones=-1.5, f0_range=1.0, loudness_db=1.0, rate=0.85, pause=1.3,
                     tilt_db_per_octave=-1.0, jitter=1.3, shimmer=1.3, hnr_db=-3.0),
}

# Single-family cues (variant "synthetic-family"): each emotion moves the acoustic
# parameters of ONE eGeMAPS category only (Eyben et al. 2016 groups: Frequency = F0,
# jitter, formant frequencies; Energy = loudness, shimmer, HNR; Spectral = alpha ratio,
# Hammarberg index, spectral slopes; Temporal = rate and segment lengths). Fear is put in
# the Frequency family (higher F0 plus jitter, both Frequency parameters in eGeMAPS), since
# its voice-quality cue jitter belongs there; disgust (optional) is Spectral (steeper tilt).
# Happiness's spectral cue is tilt only: a formant shift would leak into Frequency.
# The level calibration of `helpers.voice` keeps the RMS while voicing fixed for the
# non-Energy emotions; functionals that average over pauses (e.g. mean loudness) still
# move a little with the Temporal cue, because the speech/pause ratio changes.
FAMILY_CUES = {
    "neutral": _cues(),
    "anger": _cues(loudness_db=9.0),
    "happiness": _cues(tilt_db_per_octave=5.0),
    "sadness": _cues(f0_semitones=-4.0, f0_range=0.5),
    "fear": _cues(f0_semitones=5.0, jitter=3.0),
    "boredom": _cues(rate=0.7, pause=2.5),
    "disgust": _cues(tilt_db_per_octave=-4.0),
}
EMOTION_FAMILY = {
    "anger": "Energy",
    "happiness": "Spectral",
    "sadness": "Frequency",
    "fear": "Frequency",
    "boredom": "Temporal",
    "disgust": "Spectral",
}

# Ground-truth (arousal, valence) in [-1, 1], used for dimensional plots (Das 2022 Fig 4a).
EMOTION_AROUSAL_VALENCE = {
    "neutral": (0.0, 0.0),
    "anger": (0.8, -0.6),
    "happiness": (0.6, 0.8),
    "sadness": (-0.6, -0.7),
    "fear": (0.7, -0.8),
    "boredom": (-0.8, -0.3),
    "disgust": (0.2, -0.8),
}

# --- Variants -----------------------------------------------------------------------------
#
#   cue_table      "emotion" → EMOTION_CUES, "family" → FAMILY_CUES
#   cue_scale      scales every shift (dB and semitones linearly, multipliers geometrically)
#   cue_window_s   None, or the length (s) of the one time window that carries the cue
#   cue_band_hz    None, or (lo, hi): the one frequency band that carries the cue
#   speaker_set    0 = the default speakers; other numbers draw other speakers
#   speaker_prefix prepended to speaker ids, so corpora never share ids unless they share voices
#   channel        None, or telephone band (Hz), SNR (dB) and reverberation time (s)
# Local cues mix two renderings of the same script: inside the window and/or band the
# emotional rendering, elsewhere its neutral twin (see `plant_cue`).
VARIANTS = {
    "synthetic": dict(
        description="global cues (EMOTION_CUES) on the default speakers",
        cue_table="emotion", cue_scale=1.0, cue_window_s=None, cue_band_hz=None,
        speaker_set=0, speaker_prefix="", channel=None,
    ),
    "synthetic-local": dict(
        description="cue confined to a random 0.4 s window AND the 1200–1650 Hz band",
        cue_table="emotion", cue_scale=1.0, cue_window_s=0.4, cue_band_hz=(1200.0, 1650.0),
        speaker_set=0, speaker_prefix="", channel=None,
    ),
    "synthetic-time": dict(
        description="cue confined to a random 0.4 s window (all frequencies)",
        cue_table="emotion", cue_scale=1.0, cue_window_s=0.4, cue_band_hz=None,
        speaker_set=0, speaker_prefix="", channel=None,
    ),
    "synthetic-band": dict(
        description="cue confined to the 1200–1650 Hz band (whole utterance)",
        cue_table="emotion", cue_scale=1.0, cue_window_s=None, cue_band_hz=(1200.0, 1650.0),
        speaker_set=0, speaker_prefix="", channel=None,
    ),
    "synthetic-family": dict(
        description="each emotion shifts one eGeMAPS family only (FAMILY_CUES, EMOTION_FAMILY)",
        cue_table="family", cue_scale=1.0, cue_window_s=None, cue_band_hz=None,
        speaker_set=0, speaker_prefix="", channel=None,
    ),
    "synthetic-shifted": dict(
        description="other speakers and weaker cues (0.6 × every shift): a less acted corpus",
        cue_table="emotion", cue_scale=0.6, cue_window_s=None, cue_band_hz=None,
        speaker_set=2, speaker_prefix="s2", channel=None,
    ),
    "synthetic-channel": dict(
        description="other speakers through a telephone-like channel: 300–3400 Hz, "
        "white noise at 20 dB SNR, reverberation with RT60 0.3 s",
        cue_table="emotion", cue_scale=1.0, cue_window_s=None, cue_band_hz=None,
        speaker_set=3, speaker_prefix="s3",
        channel=dict(band_hz=(300.0, 3400.0), snr_db=20.0, rt60_s=0.3),
    ),
}

# --- Speakers -----------------------------------------------------------------------------

BASE_SYLLABLE_RATE = 4.5  # syllables/s
BASE_PAUSE_S = 0.18
BASE_ACCENT_SEMITONES = 2.5
BASE_DECLINATION_SEMITONES = 2.0
BASE_JITTER = 0.006
BASE_SHIMMER = 0.06
BASE_HNR_DB = 20.0
BASE_TILT_DB_PER_OCTAVE = -3.0
REFERENCE_LEVEL_DBFS = -34.0  # neutral RMS while voicing; loudest files peak near -6 dBFS
RAMP_S = 0.02  # raised-cosine edge of a time-window cue (inside the window)
BAND_EDGE_HZ = 40.0  # raised-cosine edge of a band cue (inside the band)
_F0_RANGE_HZ = {"male": (100.0, 130.0), "female": (190.0, 230.0)}
_FORMANT_SCALE = {"male": (0.94, 1.04), "female": (1.10, 1.20)}
_GENDER_CODE = {"male": 0, "female": 1}
_STREAM_SPEAKER, _STREAM_SCRIPT, _STREAM_CUE, _STREAM_CHANNEL = 11, 12, 13, 14


@dataclass(frozen=True)
class Speaker:
    """One synthetic voice; every field is drawn from the seed, so speakers are reproducible."""

    speaker: str
    gender: str
    f0_base_hz: float
    formant_scale: float
    loudness_db: float
    rate_factor: float
    tilt_db_per_octave: float
    jitter_factor: float
    shimmer_factor: float
    hnr_offset_db: float
    accent_factor: float


def make_speaker(gender: str, index: int, seed: int = 0, speaker_set: int = 0, prefix: str = ""):
    """Speaker `index` (1-based) of one gender; independent of how many speakers are made."""
    check_choice("gender", gender, _GENDER_CODE)
    rng = np.random.default_rng([seed, _STREAM_SPEAKER, speaker_set, _GENDER_CODE[gender], index])
    return Speaker(
        speaker=f"{prefix}{gender[0]}{index:02d}",
        gender=gender,
        f0_base_hz=float(rng.uniform(*_F0_RANGE_HZ[gender])),
        formant_scale=float(rng.uniform(*_FORMANT_SCALE[gender])),
        loudness_db=float(rng.uniform(-3.0, 3.0)),
        rate_factor=float(rng.uniform(0.9, 1.1)),
        tilt_db_per_octave=float(rng.uniform(-1.0, 1.0)),
        jitter_factor=float(rng.uniform(0.8, 1.25)),
        shimmer_factor=float(rng.uniform(0.8, 1.25)),
        hnr_offset_db=float(rng.uniform(-2.0, 2.0)),
        accent_factor=float(rng.uniform(0.8, 1.2)),
    )


def make_speakers(n_speakers: int = 10, seed: int = 0, variant: str = "synthetic") -> list[Speaker]:
    """Alternating male/female speakers (m01, f01, m02, …), so any prefix is gender-balanced."""
    check_choice("variant", variant, VARIANTS)
    settings = VARIANTS[variant]
    genders = ["male" if i % 2 == 0 else "female" for i in range(n_speakers)]
    return [
        make_speaker(g, i // 2 + 1, seed, settings["speaker_set"], settings["speaker_prefix"])
        for i, g in enumerate(genders)
    ]


# --- Cues → voice settings ----------------------------------------------------------------


def scale_cues(cues: dict, scale: float) -> dict:
    """Scale a row of shifts: additive ones linearly, multipliers geometrically."""
    return {
        key: value**scale if key in MULTIPLIER_CUES else value * scale
        for key, value in cues.items()
    }


def emotion_cues(emotion: str, variant: str = "synthetic") -> dict:
    """The shifts one variant plants for one emotion."""
    check_choice("emotion", emotion, ALL_EMOTIONS)
    settings = VARIANTS[variant]
    table = FAMILY_CUES if settings["cue_table"] == "family" else EMOTION_CUES
    return scale_cues(table[emotion], settings["cue_scale"])


def voice_settings(speaker: Speaker, cues: dict) -> voice.VoiceSettings:
    """Combine a speaker's voice with one row of emotion shifts."""
    return voice.VoiceSettings(
        f0_base_hz=speaker.f0_base_hz * 2 ** (cues["f0_semitones"] / 12),
        accent_semitones=BASE_ACCENT_SEMITONES * speaker.accent_factor * cues["f0_range"],
        declination_semitones=BASE_DECLINATION_SEMITONES * cues["f0_range"],
        syllable_rate=BASE_SYLLABLE_RATE * speaker.rate_factor * cues["rate"],
        pause_s=BASE_PAUSE_S * cues["pause"],
        jitter=BASE_JITTER * speaker.jitter_factor * cues["jitter"],
        shimmer=BASE_SHIMMER * speaker.shimmer_factor * cues["shimmer"],
        hnr_db=BASE_HNR_DB + speaker.hnr_offset_db + cues["hnr_db"],
        tilt_db_per_octave=BASE_TILT_DB_PER_OCTAVE + speaker.tilt_db_per_octave
        + cues["tilt_db_per_octave"],
        formant_scale=speaker.formant_scale,
        level_dbfs=REFERENCE_LEVEL_DBFS + speaker.loudness_db + cues["loudness_db"],
    )


# --- Planting local cues ------------------------------------------------------------------


def window_weights(n_samples: int, start: int, stop: int, sr: int) -> np.ndarray:
    """1 inside [start, stop), 0 outside, with raised-cosine ramps lying inside the window."""
    weights = np.zeros(n_samples)
    weights[start:stop] = 1.0
    ramp = min(int(RAMP_S * sr), (stop - start) // 2)
    rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
    weights[start : start + ramp] = rise
    weights[stop - ramp : stop] = rise[::-1]
    return weights


def band_weights(freqs_hz: np.ndarray, lo_hz: float, hi_hz: float) -> np.ndarray:
    """1 inside the band, 0 outside, with raised-cosine edges lying inside the band."""
    edge = min(BAND_EDGE_HZ, (hi_hz - lo_hz) / 4)
    rise = np.clip((freqs_hz - lo_hz) / edge, 0, 1)
    fall = np.clip((hi_hz - freqs_hz) / edge, 0, 1)
    return (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))


def band_limited(audio: np.ndarray, lo_hz: float, hi_hz: float, sr: int) -> np.ndarray:
    """Zero-phase band-pass by spectral masking (the mask is exactly zero outside the band)."""
    n_fft = sp_fft.next_fast_len(2 * len(audio), real=True)  # padding: no wrap-around
    mask = band_weights(sp_fft.rfftfreq(n_fft, 1 / sr), lo_hz, hi_hz)
    return sp_fft.irfft(sp_fft.rfft(audio, n_fft) * mask, n_fft)[: len(audio)]


def place_window(rng: np.random.Generator, neutral: voice.Rendering, window_s: float, sr: int):
    """A random window of `window_s` inside the neutral utterance's speech span (samples)."""
    n_samples = len(neutral.audio)
    length = int(round(window_s * sr))
    first = int(neutral.speech_start_s * sr)
    last = max(first, min(int(neutral.speech_end_s * sr), n_samples) - length)
    start = int(rng.integers(first, last + 1))
    return start, min(start + length, n_samples)


def plant_cue(neutral, emotional, rng, sr: int, cue_window_s=None, cue_band_hz=None):
    """Mix two renderings of one script: the cue is the difference emotional − neutral,
    kept only inside the window and/or band, added to the neutral rendering. So outside the
    window/band the file *is* its neutral twin (band cue: band-pass of the emotional plus
    band-stop of the neutral rendering). Returns (audio, cue columns)."""
    info = dict(cue_type="global", cue_start_s=math.nan, cue_end_s=math.nan,
                cue_lo_hz=math.nan, cue_hi_hz=math.nan)
    if cue_window_s is None and cue_band_hz is None:
        return emotional.audio, info
    difference = emotional.audio - neutral.audio
    if cue_band_hz is not None:
        lo, hi = (float(x) for x in cue_band_hz)
        difference = band_limited(difference, lo, hi, sr)
        info.update(cue_type="band", cue_lo_hz=lo, cue_hi_hz=hi)
    if cue_window_s is not None:
        start, stop = place_window(rng, neutral, cue_window_s, sr)
        difference = difference * window_weights(len(difference), start, stop, sr)
        info.update(cue_type="time" if cue_band_hz is None else "time+band",
                    cue_start_s=start / sr, cue_end_s=stop / sr)
    return neutral.audio + difference, info


# --- Channel ------------------------------------------------------------------------------


def reverb_impulse_response(rng: np.random.Generator, rt60_s: float, sr: int) -> np.ndarray:
    """Direct path plus exponentially decaying noise (60 dB down after rt60_s) from 5 ms on."""
    n = int(rt60_s * sr)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60_s) * (t >= 0.005)
    tail *= 0.5 / np.sqrt(np.sum(tail**2))  # reverberant energy 6 dB below the direct path
    tail[0] = 1.0
    return tail


def apply_channel(audio: np.ndarray, rng: np.random.Generator, sr: int, band_hz, snr_db, rt60_s):
    """Reverberation, then white noise at a fixed SNR (relative to the file's RMS), then a
    telephone-like band-pass (4th-order Butterworth), which also band-limits the noise."""
    reverberant = signal.fftconvolve(audio, reverb_impulse_response(rng, rt60_s, sr))[: len(audio)]
    noise = rng.standard_normal(len(audio))
    noise *= np.sqrt(np.mean(reverberant**2) / np.mean(noise**2) * 10 ** (-snr_db / 10))
    sos = signal.butter(4, band_hz, btype="bandpass", fs=sr, output="sos")
    return signal.sosfilt(sos, reverberant + noise)


def channel_name(channel) -> str:
    if channel is None:
        return "clean"
    lo, hi = channel["band_hz"]
    return f"band{lo:.0f}-{hi:.0f}Hz+snr{channel['snr_db']:g}dB+rt60_{channel['rt60_s']:g}s"


# --- One utterance ------------------------------------------------------------------------


def _finish(neutral, emotional, emotion, cue_rng, channel_rng, sr, cue_window_s, cue_band_hz,
            channel, script):
    """Plant the cue, add the noise floor and the channel; returns (float32 audio, info)."""
    if emotion == "neutral":
        audio = neutral.audio
        info = dict(cue_type="none", cue_start_s=math.nan, cue_end_s=math.nan,
                    cue_lo_hz=math.nan, cue_hi_hz=math.nan)
    else:
        audio, info = plant_cue(neutral, emotional, cue_rng, sr, cue_window_s, cue_band_hz)
    audio = audio + voice.noise_floor(script)
    if channel is not None:
        audio = apply_channel(audio, channel_rng, sr, **channel)
    peak = float(np.max(np.abs(audio)))
    if peak >= 0.99:
        raise RuntimeError(
            f"synthetic utterance would clip (peak {peak:.2f}); lower REFERENCE_LEVEL_DBFS"
        )
    info.update(
        duration_s=len(audio) / sr,
        f0_mean_hz=emotional.f0_mean_hz,
        channel=channel_name(channel),
    )
    return audio.astype(np.float32), info


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_cue_options(cue_window_s, cue_band_hz, sr: int):
    """Reject cue options that cannot be planted (before any work)."""
    if cue_window_s is not None and not (_is_number(cue_window_s) and 0.05 <= cue_window_s <= 1.5):
        raise InvalidParameterError(
            f"invalid cue_window {cue_window_s!r}; "
            "give a length in seconds between 0.05 and 1.5, or None"
        )
    if cue_band_hz is not None:
        if not (isinstance(cue_band_hz, (list, tuple)) and len(cue_band_hz) == 2
                and all(_is_number(x) for x in cue_band_hz)):
            raise InvalidParameterError(
                f"invalid cue_band {cue_band_hz!r}; give (lo_hz, hi_hz) or None"
            )
        lo, hi = cue_band_hz
        if not 0 < lo < hi < sr / 2:
            raise InvalidParameterError(
                f"invalid cue_band {cue_band_hz!r}; need 0 < lo < hi < {sr / 2:g} Hz (sr/2)"
            )


def _from_variant(option) -> bool:
    return isinstance(option, str) and option == FROM_VARIANT


def _resolve(variant: str, cue_window, cue_band) -> tuple:
    """The cue window (s) and band (Hz) in force: the variant's unless overridden."""
    settings = VARIANTS[variant]
    window = settings["cue_window_s"] if _from_variant(cue_window) else cue_window
    band = settings["cue_band_hz"] if _from_variant(cue_band) else cue_band
    if isinstance(band, (list, tuple)) and len(band) == 2:
        band = tuple(float(x) for x in band)
    return window, band


def cue_family(emotion: str, variant: str) -> str:
    """'none' for neutral; the planted family in the family variant; else 'mixed'."""
    if emotion == "neutral":
        return "none"
    return EMOTION_FAMILY[emotion] if VARIANTS[variant]["cue_table"] == "family" else "mixed"


def render_utterance(
    speaker: Speaker,
    emotion: str,
    rng: np.random.Generator,
    sr: int = SAMPLE_RATE,
    cue_window=FROM_VARIANT,
    cue_band=FROM_VARIANT,
    variant: str = "synthetic",
) -> tuple[np.ndarray, dict]:
    """Synthesise one utterance (float32, not normalised) and describe its planted cue.

    `cue_window` (s) and `cue_band` ((lo, hi) Hz) default to the variant's setting; pass
    None to switch one off. The rng seeds three independent streams (script, cue placement,
    channel noise), so calling this with equally seeded rngs for "neutral" and another
    emotion gives the emotional file and its neutral twin.
    """
    check_choice("variant", variant, VARIANTS)
    check_choice("emotion", emotion, ALL_EMOTIONS)
    sr = _check_count("sr", sr, 8000, 48000)
    cue_window_s, cue_band_hz = _resolve(variant, cue_window, cue_band)
    _check_cue_options(cue_window_s, cue_band_hz, sr)
    script_rng, cue_rng, channel_rng = (np.random.default_rng(s) for s in rng.integers(0, 2**63, 3))
    script = voice.draw_script(script_rng, sr)
    neutral = voice.render(script, voice_settings(speaker, emotion_cues("neutral", variant)), sr)
    emotional = neutral
    if emotion != "neutral":
        settings = voice_settings(speaker, emotion_cues(emotion, variant))
        emotional = voice.render(script, settings, sr)
    audio, info = _finish(neutral, emotional, emotion, cue_rng, channel_rng, sr, cue_window_s,
                          cue_band_hz, VARIANTS[variant]["channel"], script)
    info["cue_family"] = cue_family(emotion, variant)
    return audio, info


# --- The corpus ---------------------------------------------------------------------------

# One row per file. Planted values describe the emotional rendering, i.e. what is heard
# inside the cue region (the whole file for global cues):
#   f0_base_hz      the speaker's base F0 (before emotion shifts)
#   f0_mean_hz      planted mean F0 over syllable nuclei (envelope-weighted, no jitter)
#   level_dbfs      planted RMS while voicing (dBFS), speaker offset + emotion shift included
#   syllable_rate   planted syllables per second
#   cue_type        none (neutral) | global | time | band | time+band
#   cue_start_s/cue_end_s, cue_lo_hz/cue_hi_hz   where a local cue was planted (else NaN)
#   cue_family      none | mixed (all cues move) | Energy | Frequency | Spectral | Temporal
#   channel         clean, or the channel applied (variant synthetic-channel)
METADATA_COLUMNS = [
    "path", "relpath", "corpus", "speaker", "gender", "emotion", "take", "arousal", "valence",
    "duration_s", "sr", "f0_base_hz", "f0_mean_hz", "level_dbfs", "syllable_rate",
    "cue_type", "cue_start_s", "cue_end_s", "cue_lo_hz", "cue_hi_hz", "cue_family", "channel",
]


def _check_emotions(emotions) -> list[str]:
    if emotions is None:
        return list(DEFAULT_EMOTIONS)
    if isinstance(emotions, str):
        emotions = [emotions]
    emotions = list(dict.fromkeys(emotions))
    if not emotions:
        raise InvalidParameterError(f"emotions is empty; valid choices: {', '.join(ALL_EMOTIONS)}")
    for emotion in emotions:
        check_choice("emotion", emotion, ALL_EMOTIONS)
    return emotions


def _check_count(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise InvalidParameterError(f"invalid {name} {value!r}; give an integer from {lo} to {hi}")
    return int(value)


def corpus_parameters(variant="synthetic", seed=0, n_speakers=10, takes=4, emotions=None,
                      sr=SAMPLE_RATE, cue_window=FROM_VARIANT, cue_band=FROM_VARIANT) -> dict:
    """Validate the options (before any work) and return what corpus.json records."""
    check_choice("variant", variant, VARIANTS)
    seed = _check_count("seed", seed, 0, 2**32 - 1)
    n_speakers = _check_count("n_speakers", n_speakers, 1, 198)
    takes = _check_count("takes", takes, 1, 99)
    sr = _check_count("sr", sr, 8000, 48000)
    emotions = _check_emotions(emotions)
    cue_window_s, cue_band_hz = _resolve(variant, cue_window, cue_band)
    _check_cue_options(cue_window_s, cue_band_hz, sr)
    settings = {**VARIANTS[variant], "cue_window_s": cue_window_s, "cue_band_hz": cue_band_hz}
    params = dict(
        generator="helpers.synthetic", generator_version=GENERATOR_VERSION, variant=variant,
        seed=seed, n_speakers=n_speakers, takes=takes, emotions=emotions, sr=sr,
        settings=settings,
        cues={e: emotion_cues(e, variant) for e in emotions},
    )
    return json.loads(json.dumps(params))  # tuples → lists, as read back from disk


def _file_rng(seed, speaker_set, stream, speaker: Speaker, take: int, emotion: str | None = None):
    index = int(speaker.speaker[-2:])
    key = [seed, stream, speaker_set, _GENDER_CODE[speaker.gender], index, take]
    if emotion is not None:
        key.append(ALL_EMOTIONS.index(emotion))
    return np.random.default_rng(key)


def _write_wav(path: Path, audio: np.ndarray, sr: int) -> None:
    with atomic_path(path) as tmp:
        sf.write(tmp, audio, sr, subtype="PCM_16", format="WAV")


def _remove_stale_wavs(root: Path, keep: set[str]) -> None:
    """Delete wav files under root/wav that the new metadata does not list (and temp leftovers)."""
    for wav in sorted((root / "wav").glob("*/*.wav")):
        if wav.relative_to(root).as_posix() not in keep:
            wav.unlink()
    for folder in (root / "wav").glob("*"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def generate_corpus(
    root=None,
    variant: str = "synthetic",
    seed: int = 0,
    n_speakers: int = 10,
    takes: int = 4,
    emotions=None,
    sr: int = SAMPLE_RATE,
    progress: bool = True,
    cue_window=FROM_VARIANT,
    cue_band=FROM_VARIANT,
) -> pd.DataFrame:
    """Write a planted-cue corpus under `root` (default: <data dir>/<variant>) and return its
    metadata. metadata.csv is written last (and removed first), so its presence means the
    corpus is complete. Takes are numbered from 1."""
    params = corpus_parameters(variant, seed, n_speakers, takes, emotions, sr, cue_window, cue_band)
    root = data_dir(root) if root is not None else data_dir() / variant
    root.mkdir(parents=True, exist_ok=True)
    for name in ("metadata.csv", "corpus.json"):
        (root / name).unlink(missing_ok=True)

    settings, emotions = params["settings"], params["emotions"]
    speaker_set = settings["speaker_set"]
    cue_window_s, cue_band_hz = settings["cue_window_s"], settings["cue_band_hz"]
    speakers = make_speakers(n_speakers, seed, variant)
    rows = []
    started = time.perf_counter()
    n_files = n_speakers * takes * len(emotions)
    progress = progress and not quiet()  # silent inside notebooks run by `reproduce`
    bar = tqdm(total=n_files, desc=variant, unit="file", disable=not progress)
    for speaker in speakers:
        neutral_settings = voice_settings(speaker, emotion_cues("neutral", variant))
        for take in range(1, takes + 1):
            script_rng = _file_rng(seed, speaker_set, _STREAM_SCRIPT, speaker, take)
            script = voice.draw_script(script_rng, sr)
            neutral = voice.render(script, neutral_settings, sr)
            for emotion in emotions:
                emotional_settings = voice_settings(speaker, emotion_cues(emotion, variant))
                emotional = neutral
                if emotion != "neutral":
                    emotional = voice.render(script, emotional_settings, sr)
                audio, info = _finish(
                    neutral, emotional, emotion,
                    _file_rng(seed, speaker_set, _STREAM_CUE, speaker, take, emotion),
                    _file_rng(seed, speaker_set, _STREAM_CHANNEL, speaker, take, emotion),
                    sr, cue_window_s, cue_band_hz, settings["channel"], script,
                )
                relpath = f"wav/{speaker.speaker}/{speaker.speaker}_{emotion}_{take:02d}.wav"
                _write_wav(root / relpath, audio, sr)
                arousal, valence = EMOTION_AROUSAL_VALENCE[emotion]
                rows.append(dict(
                    path=str(root / relpath), relpath=relpath, corpus=variant,
                    speaker=speaker.speaker, gender=speaker.gender, emotion=emotion, take=take,
                    arousal=arousal, valence=valence, duration_s=info["duration_s"], sr=sr,
                    f0_base_hz=speaker.f0_base_hz, f0_mean_hz=info["f0_mean_hz"],
                    level_dbfs=emotional_settings.level_dbfs,
                    syllable_rate=emotional_settings.syllable_rate,
                    cue_type=info["cue_type"], cue_start_s=info["cue_start_s"],
                    cue_end_s=info["cue_end_s"], cue_lo_hz=info["cue_lo_hz"],
                    cue_hi_hz=info["cue_hi_hz"], cue_family=cue_family(emotion, variant),
                    channel=info["channel"],
                ))
                bar.update()
    bar.close()
    frame = pd.DataFrame(rows, columns=METADATA_COLUMNS)
    _remove_stale_wavs(root, set(frame["relpath"]))
    atomic_write_text(root / "corpus.json", json.dumps(params, indent=2, sort_keys=True) + "\n")
    with atomic_path(root / "metadata.csv") as tmp:
        frame.drop(columns="path").to_csv(tmp, index=False)
    if progress:
        elapsed = time.perf_counter() - started
        print(f"{variant}: wrote {len(frame)} files to {root} in {elapsed:.1f} s")
    return frame


def load_corpus(root) -> pd.DataFrame:
    """Read root/metadata.csv with `path` made absolute relative to `root`."""
    root = Path(root).expanduser().resolve()
    frame = pd.read_csv(
        root / "metadata.csv", dtype={"speaker": str, "gender": str, "emotion": str},
        float_precision="round_trip",
    )
    frame.insert(0, "path", [str(root / rel) for rel in frame["relpath"]])
    return frame


def corpus_is_current(root, params: dict) -> bool:
    """True if root holds a complete corpus generated with exactly these parameters."""
    root = Path(root)
    try:
        recorded = json.loads((root / "corpus.json").read_text())
    except (OSError, ValueError):
        return False
    if recorded != params or not (root / "metadata.csv").is_file():
        return False
    relpaths = pd.read_csv(root / "metadata.csv", usecols=["relpath"])["relpath"]
    return all((root / rel).is_file() for rel in relpaths)


def ensure_corpus(root=None, variant: str = "synthetic", seed: int = 0, **kw) -> pd.DataFrame:
    """Load the corpus at `root` if it was generated with these parameters, else (re)generate it."""
    check_choice("variant", variant, VARIANTS)
    options = {k: v for k, v in kw.items() if k != "progress"}
    params = corpus_parameters(variant, seed, **options)
    root = data_dir(root) if root is not None else data_dir() / variant
    if corpus_is_current(root, params):
        return load_corpus(root)
    with folder_lock(root):  # another process may be writing this corpus: wait, then look again
        if corpus_is_current(root, params):
            return load_corpus(root)
        return generate_corpus(root, variant, seed, **kw)


def cue_table(variant: str = "synthetic", emotions=None) -> pd.DataFrame:
    """The planted shifts per emotion (one row each) plus arousal, valence and family."""
    check_choice("variant", variant, VARIANTS)
    emotions = _check_emotions(emotions) if emotions is not None else list(ALL_EMOTIONS)
    rows = []
    for emotion in emotions:
        arousal, valence = EMOTION_AROUSAL_VALENCE[emotion]
        rows.append(dict(emotion=emotion, **emotion_cues(emotion, variant), arousal=arousal,
                         valence=valence, cue_family=cue_family(emotion, variant)))
    return pd.DataFrame(rows).set_index("emotion")


def speaker_table(n_speakers: int = 10, seed: int = 0, variant: str = "synthetic") -> pd.DataFrame:
    """The drawn speaker parameters (one row per speaker), for notebooks to display."""
    speakers = make_speakers(n_speakers, seed, variant)
    return pd.DataFrame([asdict(s) for s in speakers]).set_index("speaker")


if __name__ == "__main__":  # python -m helpers.synthetic [ROOT]: time the default corpus
    import sys
    import tempfile

    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
    else:
        target = Path(tempfile.mkdtemp(prefix="serxai-synthetic-"))
    t0 = time.perf_counter()
    corpus = generate_corpus(target, progress=False)
    print(f"default corpus: {len(corpus)} files in {time.perf_counter() - t0:.1f} s → {target}")
