"""Shared fixtures: the real-speech subset (skipped where absent) and tiny generated files."""
from __future__ import annotations

import os
from pathlib import Path

# The result cache (helpers.memo) stays off in tests: the smoke runs and nbval's re-execution
# must both compute, or the same-seed-same-bytes check would compare a result with its copy.
# tests/test_memo.py switches it on where it is the subject.
os.environ["SERXAI_RESULT_CACHE"] = "0"

# openSMILE's native library must be loaded before TensorFlow's (the other order corrupts the
# heap and aborts on the first extraction); some test modules import keras at collection.
import opensmile  # noqa: F401, I001

import numpy as np
import pytest
import soundfile as sf

from helpers.paths import EMODB_SUBSET_DIR


@pytest.fixture(scope="session")
def emodb_subset_dir() -> Path:
    """../shared/data/emodb-subset (200 real EmoDB files); users' clones do not have it."""
    if not (EMODB_SUBSET_DIR / "wav").is_dir():
        pytest.skip(f"EmoDB subset not found at {EMODB_SUBSET_DIR} (only beside the project's own checkout)")
    return EMODB_SUBSET_DIR


def sine(freq: float = 440.0, duration: float = 1.0, sr: int = 16000, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(duration * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def sine_wave():
    """sine_wave(freq=440, duration=1.0, sr=16000, amp=0.5) -> float32 samples."""
    return sine


@pytest.fixture
def write_wav():
    """write_wav(path, samples, sr=16000, subtype="PCM_16") -> path (folders created)."""

    def _write(path, samples, sr: int = 16000, subtype: str = "PCM_16") -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), np.asarray(samples), sr, subtype=subtype)
        return path

    return _write


@pytest.fixture
def make_corpus(write_wav):
    """make_corpus(root, [relative names]) -> root: a mimic corpus of tiny (0.3 s) wavs."""

    def _make(root, names, sr: int = 16000) -> Path:
        root = Path(root)
        tone = sine(220.0, 0.3, sr, amp=0.1)
        for name in names:
            write_wav(root / name, tone, sr)
        return root

    return _make


@pytest.fixture
def cache_consistent():
    """cache_consistent(root, expected, shape) -> entries: a cache folder many writers shared has
    no temp file left, exactly `expected` entries, and every entry loads with that shape."""
    from helpers import cache

    def _check(root, expected: int, shape) -> list[Path]:
        files = [p for p in Path(root).rglob("*") if p.is_file()]
        assert not [p for p in files if ".part" in p.name], "temp files left behind"
        entries = cache._entries(Path(root))
        assert len(entries) == expected
        store = cache.FeatureCache(root)
        for entry in entries:
            assert store.get(entry.parent.parent.name, entry.stem, shape=shape, finite=True) is not None, entry
        return entries

    return _check
