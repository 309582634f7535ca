"""openSMILE extraction: official shapes and names, families, bad files skipped, cache resume."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import features
from helpers.cache import FeatureCache
from helpers.errors import AudioError, InvalidParameterError
from helpers.signals import harmonic_voice


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    """Six 1-s harmonic voices at 16 kHz and one at 44.1 kHz stereo (resampled on load)."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("voices")
    rng = np.random.default_rng(0)
    paths = []
    for i, f0 in enumerate([110, 130, 150, 190, 210, 230]):
        path = root / f"v{i}.wav"
        sf.write(path, harmonic_voice(f0, 1.0, 16000, rng) * (0.5 + 0.1 * i), 16000)
        paths.append(path)
    stereo = harmonic_voice(150, 1.0, 44100, rng)
    sf.write(root / "stereo.wav", np.stack([stereo, stereo], axis=1), 44100)
    paths.append(root / "stereo.wav")
    return paths


@pytest.fixture
def store(tmp_path):
    return FeatureCache(tmp_path / "cache")


def test_egemaps_has_88_official_columns_and_keeps_the_input_index(voices, store):
    table = pd.DataFrame({"path": voices}, index=[f"id{i}" for i in range(len(voices))])
    result = features.extract(table, cache=store, show_progress=False)
    assert result.shape == (len(voices), 88)
    assert list(result.index) == list(table.index)
    assert result.columns[0] == "F0semitoneFrom27.5Hz_sma3nz_amean"
    assert "equivalentSoundLevel_dBp" in result.columns
    assert np.isfinite(result.to_numpy()).all()
    assert len(result.attrs["skipped"]) == 0
    pitch = result["F0semitoneFrom27.5Hz_sma3nz_amean"].to_numpy()[:6]
    assert (np.diff(pitch) > 0).all(), "F0 feature must follow the planted F0 order"
    loudness = result["loudness_sma3_amean"].to_numpy()[:6]
    assert (np.diff(loudness) > 0).all(), "loudness must follow the planted gain order"


def test_compare_has_6373_columns(voices, store):
    result = features.extract(voices[:1], feature_set="ComParE_2016", cache=store, show_progress=False)
    assert result.shape == (1, 6373)


def test_parallel_equals_serial(voices, store):
    serial = features.extract(voices, n_jobs=1, cache=False, show_progress=False)
    parallel = features.extract(voices, n_jobs=2, cache=False, show_progress=False)
    pd.testing.assert_frame_equal(serial, parallel)


def test_bad_files_are_skipped_and_reported_not_zeroed(voices, tmp_path, store, write_wav):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"not audio at all" * 10)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000, dtype=np.float32))
    short = write_wav(tmp_path / "short.wav", np.ones(800, dtype=np.float32) * 0.1)
    paths = [voices[0], corrupt, silent, short, voices[1]]
    with pytest.warns(UserWarning, match="3 of 5 files left out"):
        result = features.extract(paths, cache=store, show_progress=False)
    assert list(result.index) == [0, 4]
    report = result.attrs["skipped"].to_frame()
    assert dict(zip(report.path, report.error)) == {
        str(corrupt): "CorruptAudioError", str(silent): "SilentAudioError", str(short): "TooShortAudioError"}
    with pytest.raises(AudioError, match="corrupt.wav"):
        features.extract(paths, cache=store, on_error="raise", show_progress=False)


def test_invalid_choices_are_rejected_before_work():
    with pytest.raises(InvalidParameterError, match="valid choices: eGeMAPSv02, ComParE_2016"):
        features.extract(["x.wav"], feature_set="GeMAPS")


def test_cached_run_loads_no_audio(voices, store, monkeypatch):
    first = features.extract(voices, cache=store, show_progress=False)

    def no_audio(*args, **kwargs):
        raise AssertionError("audio was loaded although every file is cached")

    monkeypatch.setattr(features, "load_audio", no_audio)
    second = features.extract(voices, cache=store, show_progress=False)
    pd.testing.assert_frame_equal(first, second)


def test_interrupted_extraction_resumes_without_corrupt_entries(voices, store, monkeypatch):
    real = features.functionals_of_signal
    calls = {"n": 0}

    def dies_after_three(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt("simulated interruption")
        return real(*args, **kwargs)

    monkeypatch.setattr(features, "functionals_of_signal", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        features.extract(voices, n_jobs=1, cache=store, show_progress=False)
    entries = list(store.root.rglob("*"))
    assert sum(p.suffix == ".npz" for p in entries) == 3
    assert not [p for p in entries if ".part" in p.name], "temp files left behind"
    monkeypatch.setattr(features, "functionals_of_signal", real)
    resumed = features.extract(voices, n_jobs=1, cache=store, show_progress=False)
    fresh = features.extract(voices, n_jobs=1, cache=False, show_progress=False)
    pd.testing.assert_frame_equal(resumed, fresh)


def test_llds_have_10ms_frames_and_named_descriptors(voices, store):
    llds = features.extract_llds(voices[0], cache=store)
    assert {"Loudness_sma3", "F0semitoneFrom27.5Hz_sma3nz", "start_s"} <= set(llds.columns)
    np.testing.assert_allclose(np.diff(llds.start_s), 0.01, atol=1e-9)
    assert 95 <= len(llds) <= 100


def test_every_egemaps_feature_has_a_category_and_a_group():
    families = features.egemaps_families()
    assert len(families) == 88 and families.feature.is_unique
    assert families.category.value_counts().to_dict() == {"Spectral": 43, "Frequency": 24, "Energy": 15, "Temporal": 6}
    assert set(families.group) == set(features.DAS_GROUPS) and len(features.DAS_GROUPS) == 19
    lookup = families.set_index("feature")
    assert lookup.loc["HNRdBACF_sma3nz_amean", "category"] == "Energy"
    assert lookup.loc["jitterLocal_sma3nz_amean", "category"] == "Frequency"
    assert lookup.loc["MeanUnvoicedSegmentLength", "group"] == "segment length"
    assert lookup.loc["slopeUV500-1500_sma3nz_amean", "group"] == "spectral slope 500-1500 Hz"
    assert lookup.loc["F2amplitudeLogRelF0_sma3nz_amean", "group"] == "F2"


@pytest.mark.shared
def test_egemaps_on_real_emodb_speech(emodb_subset_dir, store):
    files = sorted((emodb_subset_dir / "wav").glob("*.wav"))[:6]
    result = features.extract(files, cache=store, show_progress=False)
    assert result.shape == (6, 88) and np.isfinite(result.to_numpy()).all()
    f0 = result["F0semitoneFrom27.5Hz_sma3nz_amean"]
    assert ((f0 > 15) & (f0 < 50)).all(), "speech F0 lies between ~65 Hz and ~500 Hz"


def test_samples_beyond_full_scale_are_clipped_not_wrapped():
    rng = np.random.default_rng(0)
    voice = harmonic_voice(150.0, 1.0, 16000, rng)
    loud = voice * (1.2 / np.abs(voice).max())  # peaks at 1.2: would wrap to negative in int16
    clipped = np.clip(loud, -1.0, 32767 / 32768)
    np.testing.assert_array_equal(features.functionals_of_signal(loud), features.functionals_of_signal(clipped))
    level = list(features.feature_names()).index("equivalentSoundLevel_dBp")
    assert features.functionals_of_signal(loud)[level] > features.functionals_of_signal(voice)[level]


def test_loading_features_after_tensorflow_is_refused_with_the_fix():
    import subprocess
    import sys

    code = "import tensorflow\nfrom helpers import features"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "FeatureError: openSMILE must be loaded before TensorFlow" in done.stderr
    ok = subprocess.run([sys.executable, "-c", "from helpers import features\nimport tensorflow\n"
                         "import numpy as np\nprint(features.functionals_of_signal(np.full(16000, 0.1, 'float32')).shape)"],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and ok.stdout.strip() == "(88,)", ok.stderr[-500:]
