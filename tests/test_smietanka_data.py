"""EmoDB selection, Table 1, the per-group split and CQT inputs for smietanka2023."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import smietanka_data as sd
from helpers.errors import InvalidParameterError


def test_paper_table1_totals_match_the_paper():
    table = sd.paper_table1()
    assert int(table.to_numpy().sum()) == 417
    assert table.sum().to_dict() == {"sadness": 50, "fear": 62, "happiness": 65, "neutral": 66, "boredom": 72, "anger": 102}
    assert table.sum(axis=1).to_dict() == {"08": 55, "03": 48, "14": 61, "11": 53, "10": 37, "13": 53, "16": 59, "15": 51}


def test_published_table_differs_in_two_sadness_cells():
    comparison = sd.compare_table1(sd.published_table1())
    cells = comparison[(comparison.speaker != "total") & (comparison.emotion != "total")]
    changed = cells[cells.difference != 0]
    assert changed[["speaker", "emotion", "paper", "ours"]].values.tolist() == [["08", "sadness", 6, 9], ["16", "sadness", 8, 9]]
    total = comparison[(comparison.speaker == "total") & (comparison.emotion == "total")].iloc[0]
    assert (total.paper, total.published_emodb, total.ours) == (417, 421, 421)


def test_compare_table1_adds_speakers_the_paper_lacks():
    ours = pd.DataFrame({"anger": [4], "sadness": [2]}, index=pd.Index(["f01"], name="speaker"))
    table = sd.compare_table1(ours)
    row = table[(table.speaker == "f01") & (table.emotion == "total")].iloc[0]
    assert (row.paper, row.ours, row.difference) == (0, 6, 6)


def test_select_emodb_drops_disgust_and_speakers_09_12():
    df = pd.DataFrame({"speaker": ["03", "09", "12", "08", "08"], "emotion": ["anger", "anger", "fear", "disgust", "fear"]})
    kept = sd.select_emodb(df)
    assert kept[["speaker", "emotion"]].values.tolist() == [["03", "anger"], ["08", "fear"]]


@pytest.mark.parametrize("n, sizes", [(3, (1, 1, 1)), (4, (2, 1, 1)), (7, (5, 1, 1)), (8, (4, 2, 2)), (12, (6, 3, 3)), (14, (8, 3, 3))])
def test_split_sizes(n, sizes):
    assert sd.split_sizes(n) == sizes


def test_split_sizes_rejects_groups_too_small():
    with pytest.raises(InvalidParameterError, match="at least 3"):
        sd.split_sizes(2)


def _toy(counts):
    rows = []
    for (speaker, emotion), n in counts.items():
        rows += [dict(path=f"/x/{speaker}_{emotion}_{k:02d}.wav", speaker=speaker, emotion=emotion) for k in range(n)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)


def test_split_per_speaker_and_emotion_is_seeded():
    df = _toy({("03", "anger"): 3, ("03", "sadness"): 8, ("08", "anger"): 5})
    subset = sd.split(df, seed=3)
    counts = pd.crosstab([df.speaker, df.emotion], subset)
    assert counts.loc[("03", "anger")].to_dict() == {"test": 1, "train": 1, "val": 1}
    assert counts.loc[("03", "sadness")].to_dict() == {"test": 2, "train": 4, "val": 2}
    assert counts.loc[("08", "anger")].to_dict() == {"test": 1, "train": 3, "val": 1}
    # same seed → same assignment, whatever the row order; another seed moves at least one file
    again = sd.split(df.iloc[::-1].reset_index(drop=True), seed=3)
    assert dict(zip(df.path, subset)) == dict(zip(df.iloc[::-1].path, again))
    other = [sd.split(df, seed=s) for s in range(4, 8)]
    assert any((o != subset).any() for o in other)


def test_build_inputs_pads_crops_and_counts_columns(tmp_path, write_wav, sine_wave):
    short = write_wav(tmp_path / "short.wav", sine_wave(220.0, 1.0, sr=22050), sr=22050)
    long = write_wav(tmp_path / "long.wav", sine_wave(220.0, 6.0, sr=22050), sr=22050)
    inputs = sd.build_inputs([short, long], hop_length=512, use_cache=False)
    assert inputs.linear.shape == (2, 96, 202) and inputs.log_db.shape == (2, 96, 202)
    assert inputs.n_valid.tolist() == [1 + 22050 // 512, 202]  # librosa's centred frames
    n = inputs.n_valid[0]
    assert np.all(inputs.linear[0, :, n:] == 0) and np.all(inputs.log_db[0, :, n:] == sd.LOG_FLOOR_DB)
    assert inputs.linear[0, :, :n].max() > 0
    assert len(inputs.signals[1]) == 202 * 512  # cropped: only what the columns cover
    peak_bin = int(np.argmax(inputs.linear[0, :, n // 2]))
    assert peak_bin == 33  # A3 = 220 Hz is 33 semitones above C1 (32.7 Hz)


def test_build_inputs_rejects_a_bad_hop(tmp_path):
    with pytest.raises(InvalidParameterError, match="multiple of 32"):
        sd.build_inputs([tmp_path / "none.wav"], hop_length=500)


def test_normaliser_uses_training_files_and_valid_columns_only():
    log_db = np.full((3, 2, 4), sd.LOG_FLOOR_DB, dtype=np.float32)
    log_db[0, :, :2] = 10.0
    log_db[1, :, :2] = 20.0
    log_db[2] = 1000.0  # not a training file
    mean, std = sd.normaliser(log_db, np.array([2, 2, 4]), [0, 1])
    assert mean == pytest.approx(15.0) and std == pytest.approx(5.0, rel=1e-6)
    x = sd.network_input(log_db, mean, std)
    assert x.shape == (3, 2, 4, 1) and x[0, 0, 0, 0] == pytest.approx(-1.0)


def test_speaker_split_holds_the_test_speakers_out_entirely():
    df = _toy({("03", "anger"): 4, ("03", "sadness"): 8, ("08", "anger"): 5, ("10", "anger"): 3})
    subset = sd.speaker_split(df, ["08"], seed=2)
    assert set(df.speaker[subset == "test"]) == {"08"} and (subset[df.speaker == "08"] == "test").all()
    assert "08" not in set(df.speaker[subset != "test"])
    counts = pd.crosstab([df.speaker, df.emotion], subset)
    assert counts.loc[("03", "anger")].to_dict() == {"test": 0, "train": 3, "val": 1}
    assert counts.loc[("03", "sadness")].to_dict() == {"test": 0, "train": 6, "val": 2}
    assert counts.loc[("10", "anger")].to_dict() == {"test": 0, "train": 2, "val": 1}
    # the paper's split, by contrast, puts every speaker in test
    assert set(df.speaker[sd.split(df, seed=2) == "test"]) == {"03", "08", "10"}
    again = sd.speaker_split(df.iloc[::-1].reset_index(drop=True), "08", seed=2)
    assert dict(zip(df.path, subset)) == dict(zip(df.iloc[::-1].path, again))


def test_speaker_split_rejects_unknown_or_all_speakers_and_tiny_groups():
    df = _toy({("03", "anger"): 4, ("08", "anger"): 4})
    with pytest.raises(InvalidParameterError, match="choose some, not all"):
        sd.speaker_split(df, ["99"])
    with pytest.raises(InvalidParameterError, match="choose some, not all"):
        sd.speaker_split(df, ["03", "08"])
    with pytest.raises(InvalidParameterError, match="need 2 for train and val"):
        sd.speaker_split(_toy({("03", "anger"): 1, ("08", "anger"): 4}), ["08"])


def test_held_out_speaker_runs_test_each_speaker_on_a_model_that_never_saw_it():
    pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    df = _toy({(s, e): 4 for s in ("a", "b", "c") for e in ("anger", "sadness")}).sort_values("path").reset_index(drop=True)
    y = (df.emotion == "anger").to_numpy().astype(int)
    log_db = rng.normal(-40, 1, (len(df), 12, 32)).astype(np.float32)
    log_db[y == 1, 2:5, 8:16] += 20.0  # a cue every speaker shares: held-out speakers are recognised too
    out = sd.held_out_speaker_runs(df, log_db, np.full(len(df), 32), y, 2, (2, 2, 4), 25, 8, 25, seed=1, max_folds=2)
    assert list(out.speaker.unique()) == ["a", "b"]  # sorted, at most max_folds
    assert (out.groupby("speaker").size() == 8).all()
    assert set(out.path[out.speaker == "a"]) == set(df.path[df.speaker == "a"])
    assert out.correct.mean() == 1.0 and out.correct.dtype == bool
