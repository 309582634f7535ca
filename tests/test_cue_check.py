"""measured_vs_planted: per-speaker differences against neutral, averaged over speakers."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import cue_check


def frame(values):
    meta = pd.DataFrame([(s, e) for s, e, _ in values], columns=["speaker", "emotion"])
    feats = pd.DataFrame({
        "F0semitoneFrom27.5Hz_sma3nz_amean": [v for *_, v in values],
        "equivalentSoundLevel_dBp": [2 * v for *_, v in values],
        "VoicedSegmentsPerSec": [10 + v for *_, v in values],
    })
    return meta, feats


CUES = pd.DataFrame({"f0_semitones": [0.0, 4.0], "loudness_db": [0.0, 8.0], "rate": [1.0, 0.5]},
                    index=pd.Index(["neutral", "anger"], name="emotion"))


def test_speaker_offsets_cancel_and_directions_are_scored():
    # speaker a is 10 st higher than speaker b; anger is +4 st over each speaker's neutral
    meta, feats = frame([("a", "neutral", 30), ("a", "anger", 34), ("b", "neutral", 20), ("b", "anger", 24)])
    table = cue_check.measured_vs_planted(meta, feats, CUES).set_index("cue")
    assert table.loc["F0 level (semitones)", "measured"] == 4.0
    assert table.loc["sound level (dB)", "measured"] == 8.0
    rate = table.loc["speaking rate (ratio)"]
    assert rate.measured == pytest.approx((44 / 40 + 34 / 30) / 2, abs=1e-3)
    assert not rate.same_direction  # planted slower (0.5), measured faster
    assert table.loc["F0 level (semitones)", "same_direction"]


def test_neutral_is_required():
    meta, feats = frame([("a", "anger", 34)])
    with pytest.raises(ValueError, match="neutral"):
        cue_check.measured_vs_planted(meta, feats, CUES)
