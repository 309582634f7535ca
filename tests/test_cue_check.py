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


def comparison_table(directions):
    return pd.DataFrame([{"emotion": e, "cue": c, "planted": 1.0, "measured": 1.0, "same_direction": d}
                         for e, c, d in directions])


def test_take_away_speaks_of_planted_cues_only_on_a_synthetic_corpus():
    table = comparison_table([("anger", "F0 level (semitones)", True), ("sadness", "speaking rate (ratio)", False),
                              ("fear", "sound level (dB)", True), ("neutral-like", "sound level (dB)", None)])
    synthetic_text = cue_check.take_away(table, "synthetic")
    assert synthetic_text.startswith("On this synthetic corpus ('synthetic'), 2 of 3 measured shifts point the way they were planted.")
    assert "The exceptions: speaking rate for sadness." in synthetic_text
    real = cue_check.take_away(table, "emodb")
    assert real.startswith("This run used the real corpus 'emodb': recorded speech, so nothing was planted.")
    assert "and 2 of 3 measured shifts point the way the literature expects. The exceptions: speaking rate for sadness." in real
    assert "synthetic voices" not in real and "openSMILE measures them on the scales we planted" not in real


def test_take_away_lists_several_exceptions_and_none():
    table = comparison_table([("anger", "F0 level (semitones)", False), ("fear", "sound level (dB)", False),
                              ("boredom", "speaking rate (ratio)", False)])
    assert "The exceptions: F0 level for anger, sound level for fear and speaking rate for boredom." in cue_check.take_away(table, "emodb")
    agreeing = comparison_table([("anger", "F0 level (semitones)", True)])
    assert "exceptions" not in cue_check.take_away(agreeing, "synthetic-shifted")
