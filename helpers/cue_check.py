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


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def take_away(comparison: pd.DataFrame, dataset: str) -> str:
    """The "what to take from this run" paragraph for `measured_vs_planted`'s table, in words
    that fit the corpus: planted cues for a synthetic variant, the literature's expected
    directions (the same table) for a real corpus, which has no synthetic voices in it."""
    scored = comparison.dropna(subset=["same_direction"])
    agree = int(scored.same_direction.astype(bool).sum())
    against = [f"{row.cue.split(' (')[0]} for {row.emotion}" for row in scored.itertuples() if not row.same_direction]
    tally = f"{agree} of {len(scored)} measured shifts point the way"
    exceptions = f" The exceptions: {_listed(against)}." if against else ""
    if dataset.startswith("synthetic"):
        return (
            f"On this synthetic corpus ({dataset!r}), {tally} they were planted.{exceptions} F0 level and "
            "sound level also match in size, because openSMILE measures them on the scales we planted them "
            "on. Rate comes out compressed for the slow emotions: longer pauses change how openSMILE "
            "segments the voiced parts. Measured HNR (not plotted) can go the opposite way to the planted "
            "change, because a higher F0 raises openSMILE's HNR estimate; keep this in mind when an "
            "explainer \"finds\" HNR. The paper notebooks build on this corpus, and each one reports how "
            "well its explainer recovers the planted cues."
        )
    return (
        f"This run used the real corpus {dataset!r}: recorded speech, so nothing was planted. The "
        "\"planted\" column is the shift the synthetic corpus would plant for each emotion, that is the "
        f"direction the acoustic literature reports, and {tally} the literature expects.{exceptions} "
        "Sizes are not comparable: acted emotions vary by speaker and sentence, and each speaker's "
        "neutral files are only a few takes. Explainers on a real corpus have no planted ground truth "
        "to be scored against; the paper notebooks compare their findings with the papers instead."
    )
