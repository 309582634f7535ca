"""FeatureCache: keys follow content not names, corrupt entries are recomputed, no pickle, no temp files."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from helpers import cache as cache_module
from helpers.cache import FeatureCache, make_key
from helpers.paths import REPO_ROOT


@pytest.fixture
def audio_file(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF-one")
    return path


def test_key_depends_on_content_extractor_params_and_version_not_on_name(tmp_path, audio_file):
    base = make_key(audio_file, "x", {"sr": 16000}, "1.0")
    copy = shutil.copy(audio_file, tmp_path / "renamed.wav")
    assert make_key(copy, "x", {"sr": 16000}, "1.0") == base
    assert make_key(audio_file, "y", {"sr": 16000}, "1.0") != base
    assert make_key(audio_file, "x", {"sr": 8000}, "1.0") != base
    assert make_key(audio_file, "x", {"sr": 16000}, "1.1") != base
    audio_file.write_bytes(b"RIFF-two")
    assert make_key(audio_file, "x", {"sr": 16000}, "1.0") != base


def test_round_trip_with_columns_and_no_temp_files(tmp_path, audio_file):
    store = FeatureCache(tmp_path / "c")
    key = make_key(audio_file, "x", {}, "1")
    assert store.get("x", key) is None
    store.put("x", key, np.arange(4.0), columns=["a", "b", "c", "d"])
    hit = store.get("x", key)
    np.testing.assert_array_equal(hit.values, np.arange(4.0))
    assert hit.columns == ["a", "b", "c", "d"]
    assert {p.name for p in (tmp_path / "c").rglob("*") if p.is_file()} == {"CACHEDIR.TAG", f"{key}.npz"}


def test_corrupt_entry_is_reported_absent_and_removed(tmp_path, audio_file):
    store = FeatureCache(tmp_path / "c")
    key = make_key(audio_file, "x", {}, "1")
    store.put("x", key, np.ones(3))
    entry = next((tmp_path / "c").rglob("*.npz"))
    entry.write_bytes(entry.read_bytes()[:20])  # truncated, as by a crash mid-write elsewhere
    assert store.get("x", key) is None
    assert not entry.exists()


def test_object_arrays_are_refused_and_pickled_entries_never_loaded(tmp_path, audio_file):
    store = FeatureCache(tmp_path / "c")
    key = make_key(audio_file, "x", {}, "1")
    with pytest.raises(TypeError, match="pickle"):
        store.put("x", key, np.array([{"a": 1}], dtype=object))
    planted = store._path("x", key)
    planted.parent.mkdir(parents=True)
    np.savez(planted, values=np.array([{"a": 1}], dtype=object))  # an entry that needs pickle
    assert store.get("x", key) is None and not planted.exists()


def test_disabled_cache_stores_nothing(tmp_path, audio_file):
    store = FeatureCache(enabled=False)
    store.put("x", "k", np.ones(2))
    assert store.get("x", "k") is None


def test_info_and_clear(tmp_path, audio_file):
    store = FeatureCache(tmp_path / "c")
    for i in range(3):
        store.put("opensmile", make_key(audio_file, "x", {"i": i}, "1"), np.ones(2))
    assert "opensmile: 3 entries" in cache_module.info(tmp_path / "c")
    assert cache_module.clear(tmp_path / "c") == 3
    assert "empty" in cache_module.info(tmp_path / "c")


def test_cache_inside_the_repository_is_refused():
    with pytest.raises(ValueError, match="inside the repository"):
        FeatureCache(REPO_ROOT / "cache")


def _hammer(root: str, worker: int, n_keys: int, rounds: int) -> tuple[int, int]:
    """One process of the concurrency test: write and read the same keys as the others.
    Returns (values read back, absent reads); a wrong or torn value raises."""
    rng = np.random.default_rng(worker)
    store = FeatureCache(root)
    found = absent = 0
    for _ in range(rounds):
        for k in rng.permutation(n_keys):
            key = f"{k:02d}" + "ab" * 31
            if rng.random() < 0.5:
                store.put("shared", key, np.full(512, float(k)), columns=None)
            hit = store.get("shared", key, shape=(512,), finite=True)
            if hit is None:
                absent += 1
            else:
                assert hit.values.shape == (512,) and (hit.values == float(k)).all(), f"key {k}: wrong value"
                found += 1
    return found, absent


def test_many_processes_share_one_cache_folder(tmp_path, cache_consistent):
    """A cluster's workers write one (shared) cache folder: every read returns the right value
    or nothing, no entry is torn, no temp file is left, every entry loads."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    root, n_keys, rounds, workers = tmp_path / "shared-cache", 12, 15, 4
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_hammer, [str(root)] * workers, range(workers), [n_keys] * workers, [rounds] * workers))
    assert sum(found for found, _ in results) > workers * n_keys * rounds // 2
    entries = cache_consistent(root, n_keys, (512,))
    store = FeatureCache(root)
    for entry in entries:
        k = int(entry.name[:2])
        assert (store.get("shared", entry.stem, shape=(512,), finite=True).values == float(k)).all()
