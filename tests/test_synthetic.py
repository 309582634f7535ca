"""The planted-cue synthetic corpus: determinism, layout, and that the planted cues are
really there (measured with openSMILE / librosa, not read back from the metadata)."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from scipy import signal

from helpers import synthetic
from helpers.errors import InvalidParameterError

SMALL = dict(n_speakers=4, takes=2, emotions=["neutral", "anger", "happiness", "sadness"])
REQUIRED_COLUMNS = {
    "path", "relpath", "corpus", "speaker", "gender", "emotion", "take", "arousal", "valence",
    "duration_s", "sr", "f0_base_hz", "f0_mean_hz", "cue_type", "cue_start_s", "cue_end_s",
    "cue_lo_hz", "cue_hi_hz", "cue_family",
}


def sha256_of_wavs(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob("wav/*/*.wav"))
    }


def egemaps(paths) -> pd.DataFrame:
    import opensmile

    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
    )
    return pd.concat([smile.process_file(str(p)) for p in paths]).reset_index(drop=True)


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64))))


def twin_pair(emotion, seed=5, gender="male", **options):
    """An emotional utterance and its neutral twin (same speaker, same draws)."""
    speaker = synthetic.make_speaker(gender, 1, seed=0)
    render = synthetic.render_utterance
    emotional, info = render(speaker, emotion, np.random.default_rng(seed), **options)
    neutral, _ = render(speaker, "neutral", np.random.default_rng(seed), **options)
    return emotional.astype(np.float64), neutral.astype(np.float64), info


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic") / "corpus"
    frame = synthetic.generate_corpus(root, seed=0, progress=False, **SMALL)
    return root, frame


@pytest.fixture(scope="module")
def small_features(small_corpus):
    _, frame = small_corpus
    return pd.concat([frame.reset_index(drop=True), egemaps(frame["path"])], axis=1)


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_files_and_other_seed_differs(small_corpus, tmp_path):
    root, _ = small_corpus
    again = tmp_path / "again"
    synthetic.generate_corpus(again, seed=0, progress=False, **SMALL)
    other = tmp_path / "other"
    synthetic.generate_corpus(other, seed=1, progress=False, **SMALL)

    reference = sha256_of_wavs(root)
    assert len(reference) == 32
    assert sha256_of_wavs(again) == reference
    assert (again / "metadata.csv").read_bytes() == (root / "metadata.csv").read_bytes()
    different = sha256_of_wavs(other)
    assert different.keys() == reference.keys()
    assert all(different[k] != reference[k] for k in reference)


def test_render_utterance_is_deterministic_per_rng():
    speaker = synthetic.make_speaker("female", 2, seed=3)
    a, info_a = synthetic.render_utterance(speaker, "fear", np.random.default_rng(7))
    b, info_b = synthetic.render_utterance(speaker, "fear", np.random.default_rng(7))
    c, _ = synthetic.render_utterance(speaker, "fear", np.random.default_rng(8))
    assert a.dtype == np.float32
    assert np.array_equal(a, b)
    assert _same_with_nan(info_a, info_b)
    assert len(a) != len(c) or not np.array_equal(a, c)
    assert 2.0 <= len(a) / 16000 <= 2.5


def _same_with_nan(x: dict, y: dict) -> bool:
    return x.keys() == y.keys() and all(
        (isinstance(v, float) and np.isnan(v) and np.isnan(y[k])) or v == y[k] for k, v in x.items()
    )


# --- layout and metadata ------------------------------------------------------------------


def test_metadata_columns_counts_and_values(small_corpus):
    root, frame = small_corpus
    assert REQUIRED_COLUMNS <= set(frame.columns)
    assert len(frame) == 4 * 4 * 2
    assert frame.groupby(["speaker", "emotion"]).size().eq(2).all()
    assert sorted(frame["speaker"].unique()) == ["f01", "f02", "m01", "m02"]
    genders = frame.drop_duplicates("speaker")["gender"].value_counts().to_dict()
    assert genders == {"male": 2, "female": 2}
    assert set(frame["take"]) == {1, 2}
    assert (frame["corpus"] == "synthetic").all() and (frame["sr"] == 16000).all()
    for row in frame.itertuples():
        assert Path(row.path).is_absolute() and Path(row.path) == root / row.relpath
        assert row.relpath == f"wav/{row.speaker}/{row.speaker}_{row.emotion}_{row.take:02d}.wav"
        assert (row.arousal, row.valence) == synthetic.EMOTION_AROUSAL_VALENCE[row.emotion]
        info = sf.info(row.path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert info.frames / 16000 == pytest.approx(row.duration_s)
        assert 2.0 <= row.duration_s <= 2.5
    neutral = frame["emotion"] == "neutral"
    assert (frame.loc[neutral, "cue_type"] == "none").all()
    assert (frame.loc[~neutral, "cue_type"] == "global").all()
    assert frame["cue_start_s"].isna().all() and frame["cue_lo_hz"].isna().all()
    male = frame["gender"] == "male"
    assert frame.loc[male, "f0_base_hz"].between(100, 130).all()
    assert frame.loc[~male, "f0_base_hz"].between(190, 230).all()


def test_files_are_never_normalised_and_do_not_clip(small_corpus):
    _, frame = small_corpus
    peaks = {p: float(np.max(np.abs(sf.read(p)[0]))) for p in frame["path"]}
    assert max(peaks.values()) < 0.9
    # different planted levels give different file levels (no per-file normalisation)
    levels = frame.assign(rms=[rms_db(sf.read(p)[0]) for p in frame["path"]])
    spread = levels["rms"].max() - levels["rms"].min()
    assert spread > 12  # anger +9 dB and sadness -7 dB around speakers' own ±3 dB


def test_load_corpus_roundtrip(small_corpus):
    root, frame = small_corpus
    loaded = synthetic.load_corpus(root)
    assert list(loaded.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(loaded, frame, check_dtype=False)


def test_ensure_corpus_loads_matching_corpus_without_regenerating(small_corpus, monkeypatch):
    root, frame = small_corpus

    def refuse(*args, **kwargs):
        raise AssertionError("ensure_corpus regenerated a corpus that was up to date")

    monkeypatch.setattr(synthetic, "generate_corpus", refuse)
    loaded = synthetic.ensure_corpus(root, seed=0, progress=False, **SMALL)
    assert loaded["path"].tolist() == frame["path"].tolist()
    recorded = json.loads((root / "corpus.json").read_text())
    assert recorded["generator_version"] == synthetic.GENERATOR_VERSION
    assert recorded["seed"] == 0 and recorded["takes"] == 2


def test_ensure_corpus_regenerates_when_parameters_change(tmp_path):
    root = tmp_path / "c"
    small = dict(n_speakers=2, emotions=["neutral", "anger"], progress=False)
    first = synthetic.ensure_corpus(root, takes=1, **small)
    assert len(first) == 4
    second = synthetic.ensure_corpus(root, takes=2, **small)
    assert len(second) == 8
    assert json.loads((root / "corpus.json").read_text())["takes"] == 2
    third = synthetic.ensure_corpus(root, takes=1, **small)  # shrinking removes stale files
    assert len(third) == 4 and len(list(root.glob("wav/*/*.wav"))) == 4


def test_interrupted_generation_leaves_no_metadata_and_is_regenerated(tmp_path, monkeypatch):
    root = tmp_path / "c"
    small = dict(n_speakers=2, takes=1, emotions=["neutral", "anger", "sadness"], progress=False)
    synthetic.generate_corpus(root, seed=0, **small)
    assert (root / "metadata.csv").is_file()

    real_write = synthetic._write_wav
    written = []

    def write_then_crash(path, audio, sr):
        if len(written) == 3:
            raise KeyboardInterrupt("simulated interruption")
        real_write(path, audio, sr)
        written.append(path)

    monkeypatch.setattr(synthetic, "_write_wav", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        synthetic.generate_corpus(root, seed=1, **small)  # overwrite with another seed, dies
    assert not (root / "metadata.csv").exists()
    assert not (root / "corpus.json").exists()
    assert not list(root.glob("wav/*/.*"))  # no temp files left behind

    monkeypatch.setattr(synthetic, "_write_wav", real_write)
    regenerated = synthetic.ensure_corpus(root, seed=0, **small)
    assert (root / "metadata.csv").is_file() and len(regenerated) == 6
    fresh = tmp_path / "fresh"
    synthetic.generate_corpus(fresh, seed=0, **small)
    assert sha256_of_wavs(root) == sha256_of_wavs(fresh)  # the half-written seed-1 files are gone


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("call", [synthetic.generate_corpus, synthetic.ensure_corpus])
def test_unknown_variant_is_rejected_before_any_work(call, tmp_path):
    root = tmp_path / "never"
    with pytest.raises(InvalidParameterError) as err:
        call(root, variant="synthetic-nope", progress=False)
    for name in synthetic.VARIANTS:
        assert name in str(err.value)
    assert not root.exists()


@pytest.mark.parametrize(
    "options, fragment",
    [
        (dict(emotions=["neutral", "joy"]), "joy"),
        (dict(cue_band=(1200, 9000)), "cue_band"),
        (dict(cue_window=-0.4), "cue_window"),
        (dict(cue_window="0.4s"), "cue_window"),
        (dict(cue_band=1200), "cue_band"),
        (dict(takes=0), "takes"),
        (dict(n_speakers=2.5), "n_speakers"),
    ],
)
def test_invalid_options_are_rejected_before_any_work(options, fragment, tmp_path):
    root = tmp_path / "never"
    with pytest.raises(InvalidParameterError, match=fragment):
        synthetic.generate_corpus(root, progress=False, **options)
    assert not root.exists()


# --- cue tables and variants ----------------------------------------------------------------


def test_cue_table_follows_the_literature_directions():
    table = synthetic.cue_table()
    assert set(table.index) == set(synthetic.ALL_EMOTIONS)
    assert {"f0_semitones", "f0_range", "loudness_db", "rate", "tilt_db_per_octave", "jitter",
            "shimmer", "hnr_db", "arousal", "valence"} <= set(table.columns)
    anger, happy, sad = table.loc["anger"], table.loc["happiness"], table.loc["sadness"]
    fear, bored = table.loc["fear"], table.loc["boredom"]
    assert anger.loudness_db > 0 and anger.tilt_db_per_octave > 0
    assert anger.f0_semitones > 0 and anger.rate > 1
    assert happy.f0_semitones > 0 and happy.f0_range > 1 and happy.loudness_db > 0
    assert sad.loudness_db < 0 and sad.f0_semitones < 0 and sad.f0_range < 1 and sad.rate < 1
    assert sad.tilt_db_per_octave < 0 and sad.jitter > 1
    assert fear.f0_semitones > 0 and fear.rate > 1 and fear.jitter > 1 and fear.hnr_db < 0
    assert bored.f0_semitones < 0 and bored.f0_range < 1 and bored.rate < 1
    assert (table.loc["neutral", ["arousal", "valence"]] == 0).all()
    assert table["arousal"].between(-1, 1).all() and table["valence"].between(-1, 1).all()
    assert anger.arousal > 0 > sad.arousal and happy.valence > 0 > sad.valence


FIELD_FAMILY = {
    "f0_semitones": "Frequency", "f0_range": "Frequency", "jitter": "Frequency",
    "loudness_db": "Energy", "shimmer": "Energy", "hnr_db": "Energy",
    "tilt_db_per_octave": "Spectral", "rate": "Temporal", "pause": "Temporal",
}


def test_family_cues_move_exactly_one_egemaps_family():
    assert set(FIELD_FAMILY) == set(synthetic.NEUTRAL_CUES)
    table = synthetic.cue_table("synthetic-family")
    for emotion, row in table.iterrows():
        moved = {
            FIELD_FAMILY[field] for field, neutral in synthetic.NEUTRAL_CUES.items()
            if not np.isclose(row[field], neutral)
        }
        if emotion == "neutral":
            assert moved == set() and row.cue_family == "none"
        else:
            assert moved == {synthetic.EMOTION_FAMILY[emotion]} == {row.cue_family}
    assert table.loc["anger", "cue_family"] == "Energy"
    assert table.loc["sadness", "cue_family"] == "Frequency"
    assert table.loc["happiness", "cue_family"] == "Spectral"
    assert table.loc["boredom", "cue_family"] == "Temporal"


def test_shifted_and_channel_variants_use_other_speakers():
    default = synthetic.make_speakers(4, seed=0)
    local = synthetic.make_speakers(4, seed=0, variant="synthetic-local")
    assert local == default
    ids = {s.speaker for s in default}
    for variant, prefix in [("synthetic-shifted", "s2"), ("synthetic-channel", "s3")]:
        others = synthetic.make_speakers(4, seed=0, variant=variant)
        assert all(s.speaker.startswith(prefix) for s in others)
        assert ids.isdisjoint(s.speaker for s in others)
        assert all(a.f0_base_hz != b.f0_base_hz for a, b in zip(default, others))
        assert [s.gender for s in others] == [s.gender for s in default]
    shifted = synthetic.cue_table("synthetic-shifted")
    scale = synthetic.VARIANTS["synthetic-shifted"]["cue_scale"]
    anger = synthetic.EMOTION_CUES["anger"]
    assert shifted.loc["anger", "loudness_db"] == pytest.approx(scale * anger["loudness_db"])
    assert shifted.loc["anger", "rate"] == pytest.approx(anger["rate"] ** scale)


def test_channel_variant_is_band_limited():
    audio, info = synthetic.render_utterance(
        synthetic.make_speaker("male", 1, speaker_set=3, prefix="s3"), "anger",
        np.random.default_rng(0), variant="synthetic-channel",
    )
    freqs, psd = signal.welch(audio.astype(np.float64), fs=16000, nperseg=1024)
    outside = psd[(freqs < 200) | (freqs > 4500)].sum() / psd.sum()
    assert outside < 0.02
    assert info["channel"].startswith("band300-3400Hz")


# --- planted cues are measurable -------------------------------------------------------------


def per_speaker_means(features: pd.DataFrame, column: str) -> pd.DataFrame:
    return features.groupby(["speaker", "emotion"])[column].mean().unstack()


def test_anger_is_louder_and_sadness_quieter_than_neutral_per_speaker(small_features):
    loudness = per_speaker_means(small_features, "loudness_sma3_amean")
    print("\nmean eGeMAPS loudness per speaker\n", loudness.round(3))
    assert (loudness["anger"] > 1.3 * loudness["neutral"]).all()
    assert (loudness["sadness"] < 0.8 * loudness["neutral"]).all()
    rms = small_features.assign(rms=[rms_db(sf.read(p)[0]) for p in small_features["path"]])
    gap = per_speaker_means(rms, "rms")
    assert ((gap["anger"] - gap["neutral"]) > 6).all()


def test_f0_cues_and_gender(small_features):
    f0 = per_speaker_means(small_features, "F0semitoneFrom27.5Hz_sma3nz_amean")
    assert ((f0["sadness"] - f0["neutral"]) < -2).all()
    assert ((f0["anger"] - f0["neutral"]) > 2).all()
    gender = small_features.groupby("speaker")["gender"].first()
    neutral = f0["neutral"]
    assert neutral[gender == "female"].min() > neutral[gender == "male"].max() + 6  # semitones
    spread = per_speaker_means(small_features, "F0semitoneFrom27.5Hz_sma3nz_stddevNorm")
    assert (spread["happiness"] > spread["neutral"]).all()
    assert (spread["sadness"] < spread["neutral"]).all()


def test_measured_f0_of_neutral_files_matches_planted_mean(small_features):
    import librosa

    neutral = small_features[small_features["emotion"] == "neutral"]
    smile_hz = 27.5 * 2 ** (neutral["F0semitoneFrom27.5Hz_sma3nz_amean"] / 12)
    ratio = smile_hz / neutral["f0_mean_hz"]
    assert ratio.between(0.95, 1.05).all(), ratio.tolist()
    for row in neutral.drop_duplicates("gender").itertuples():
        audio, sr = sf.read(row.path)
        f0, voiced, _ = librosa.pyin(
            audio, fmin=60, fmax=500, sr=sr, frame_length=1024, hop_length=256
        )
        rms = librosa.feature.rms(y=audio, frame_length=1024, hop_length=256)[0][: len(f0)]
        steady = voiced & (rms > 0.3 * rms.max())  # the planted mean covers the syllable nuclei
        assert np.nanmean(f0[steady]) == pytest.approx(row.f0_mean_hz, rel=0.05)


def test_time_window_cue_is_confined_to_its_window():
    emotional, neutral, info = twin_pair("anger", cue_window=0.4, cue_band=None)
    assert info["cue_type"] == "time"
    start, end = info["cue_start_s"], info["cue_end_s"]
    assert end - start == pytest.approx(0.4, abs=1e-3)
    assert 0 < start and end < len(neutral) / 16000
    inside = slice(int(round(start * 16000)), int(round(end * 16000)))
    difference = (emotional - neutral) ** 2
    share = difference[inside].sum() / difference.sum()
    assert share > 0.8, share
    assert rms_db(emotional[inside]) - rms_db(neutral[inside]) > 4  # the cue itself is strong
    assert np.isnan(info["cue_lo_hz"])


def test_band_cue_is_confined_to_its_band():
    lo, hi = 1200.0, 1650.0
    emotional, neutral, info = twin_pair("anger", cue_window=None, cue_band=(lo, hi))
    assert (info["cue_type"], info["cue_lo_hz"], info["cue_hi_hz"]) == ("band", lo, hi)
    freqs, diff_psd = signal.welch(emotional - neutral, fs=16000, nperseg=1024)
    in_band = (freqs >= lo) & (freqs <= hi)
    share = diff_psd[in_band].sum() / diff_psd.sum()
    assert share > 0.8, share
    _, emo_psd = signal.welch(emotional, fs=16000, nperseg=1024)
    _, neu_psd = signal.welch(neutral, fs=16000, nperseg=1024)
    assert 10 * np.log10(emo_psd[in_band].sum() / neu_psd[in_band].sum()) > 4


def test_local_variant_records_and_plants_time_and_band_cues(tmp_path):
    frame = synthetic.generate_corpus(
        tmp_path / "local", variant="synthetic-local", n_speakers=2, takes=1,
        emotions=["neutral", "sadness"], progress=False,
    )
    neutral = frame[frame["emotion"] == "neutral"].set_index("speaker")
    for row in frame[frame["emotion"] == "sadness"].itertuples():
        assert (row.cue_type, row.cue_lo_hz, row.cue_hi_hz) == ("time+band", 1200.0, 1650.0)
        assert row.cue_end_s - row.cue_start_s == pytest.approx(0.4, abs=1e-3)
        twin = sf.read(neutral.loc[row.speaker, "path"])[0]
        difference = sf.read(row.path)[0] - twin  # the neutral file of a take is the twin
        inside = slice(int(round(row.cue_start_s * 16000)), int(round(row.cue_end_s * 16000)))
        assert (difference[inside] ** 2).sum() / (difference**2).sum() > 0.8
        freqs, psd = signal.welch(difference, fs=16000, nperseg=1024)
        assert psd[(freqs >= 1200) & (freqs <= 1650)].sum() / psd.sum() > 0.8
    assert (frame.loc[frame["emotion"] == "neutral", "cue_type"] == "none").all()


def test_family_variant_moves_only_the_planted_family(tmp_path):
    frame = synthetic.generate_corpus(
        tmp_path / "family", variant="synthetic-family", n_speakers=2, takes=1,
        emotions=["neutral", "anger", "sadness"], progress=False,
    )
    assert frame.set_index("emotion")["cue_family"].to_dict() == {
        "neutral": "none", "anger": "Energy", "sadness": "Frequency"
    }
    features = pd.concat([frame, egemaps(frame["path"])], axis=1)
    features["rms_db"] = [rms_db(sf.read(p)[0]) for p in frame["path"]]
    features["f0_hz"] = 27.5 * 2 ** (features["F0semitoneFrom27.5Hz_sma3nz_amean"] / 12)
    by = features.set_index(["speaker", "emotion"])
    for speaker in frame["speaker"].unique():
        neutral, anger, sad = (by.loc[(speaker, e)] for e in ("neutral", "anger", "sadness"))
        assert anger.rms_db - neutral.rms_db == pytest.approx(9.0, abs=0.5)
        assert anger.f0_hz == pytest.approx(neutral.f0_hz, rel=0.03)
        planted = sad.f0_mean_hz / neutral.f0_mean_hz  # -4 semitones and a narrower range
        assert planted < 2 ** (-3.5 / 12)
        assert sad.f0_hz / neutral.f0_hz == pytest.approx(planted, rel=0.03)
        assert abs(sad.rms_db - neutral.rms_db) < 1.0


# --- the slow claims -----------------------------------------------------------------------


@pytest.mark.slow
def test_four_basic_emotions_are_separable_across_speakers(tmp_path):
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    frame = synthetic.generate_corpus(
        tmp_path / "c", n_speakers=8, takes=3,
        emotions=["neutral", "anger", "happiness", "sadness"], progress=False,
    )
    features = egemaps(frame["path"]).to_numpy()
    model = make_pipeline(StandardScaler(), LinearSVC(C=0.1, max_iter=20000))
    scores = cross_val_score(
        model, features, frame["emotion"].to_numpy(),
        groups=frame["speaker"].to_numpy(), cv=GroupKFold(4),
    )
    print(f"\n4-class speaker-independent accuracy (eGeMAPS + LinearSVC): "
          f"{scores.mean():.3f} per fold {scores.round(3)}")
    assert scores.mean() > 0.6


@pytest.mark.slow
def test_default_corpus_shape_and_generation_time(tmp_path):
    started = time.perf_counter()
    frame = synthetic.generate_corpus(tmp_path / "default", progress=False)
    elapsed = time.perf_counter() - started
    print(f"\ndefault synthetic corpus: {len(frame)} files in {elapsed:.1f} s")  # never asserted
    assert len(frame) == 240
    assert frame["emotion"].value_counts().to_dict() == {e: 40 for e in synthetic.DEFAULT_EMOTIONS}
    genders = frame.drop_duplicates("speaker")["gender"].value_counts().to_dict()
    assert genders == {"male": 5, "female": 5}
    assert frame.groupby(["speaker", "emotion"]).size().eq(4).all()
