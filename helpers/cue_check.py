"""Are the planted cues really in the synthetic audio? Compare measured shifts to planted ones.

For each speaker, every emotion's mean feature is compared with the same speaker's neutral
mean (so speaker differences cancel), then averaged over speakers. Three cues have an
eGeMAPS functional on the same scale as the planted shift:
F0 level (semitones), sound level (dB) and speaking rate (voiced segments per second, a ratio).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# cue name → (planted column in EMOTION_CUES, eGeMAPS functional, "difference" or "ratio")
MEASURABLE_CUES = {
    "F0 level (semitones)": ("f0_semitones", "F0semitoneFrom27.5Hz_sma3nz_amean", "difference"),
    "sound level (dB)": ("loudness_db", "equivalentSoundLevel_dBp", "difference"),
    "speaking rate (ratio)": ("rate", "VoicedSegmentsPerSec", "ratio"),
}


def measured_vs_planted(metadata: pd.DataFrame, functionals: pd.DataFrame, cues: pd.DataFrame) -> pd.DataFrame:
    """One row per emotion × cue: planted shift, measured shift (mean over speakers), sign agreement.

    `metadata` has `speaker, emotion` (index aligned with `functionals`); `cues` is
    `synthetic.cue_table()` (indexed by emotion).
    """
    joined = functionals.join(metadata[["speaker", "emotion"]], how="inner")
    if "neutral" not in set(joined.emotion):
        raise ValueError("measured_vs_planted needs neutral files to compare against")
    rows = []
    for cue, (planted_column, feature, kind) in MEASURABLE_CUES.items():
        means = joined.groupby(["speaker", "emotion"])[feature].mean().unstack("emotion")
        baseline = means["neutral"]
        for emotion in [e for e in means.columns if e != "neutral"]:
            shift = means[emotion] - baseline if kind == "difference" else means[emotion] / baseline
            planted = float(cues.loc[emotion, planted_column])
            measured = float(np.nanmean(shift))
            neutral_value = 0.0 if kind == "difference" else 1.0
            rows.append({
                "emotion": emotion, "cue": cue, "planted": planted, "measured": round(measured, 3),
                "same_direction": bool(np.sign(planted - neutral_value) == np.sign(measured - neutral_value))
                if planted != neutral_value else None,
            })
    return pd.DataFrame(rows)
