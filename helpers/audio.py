"""Reading sound files into mono float32 at the rate a method needs, refusing bad input.

Corpora mix rates (8 kHz to 48 kHz), channel counts and the odd broken file; features
computed on a silent, NaN-filled or 50-ms clip are garbage that looks like data. So every
loader goes through `load_audio`, which either returns a usable signal or raises an error
that names the file and says what is wrong; `load_many` turns those errors into a report
so batch jobs skip bad files instead of dying on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from .errors import (
    AudioError,
    CorruptAudioError,
    EmptyAudioError,
    NonFiniteAudioError,
    SilentAudioError,
    TooShortAudioError,
)

SILENCE_THRESHOLD = 1e-6  # peak |x| below this (about -120 dBFS) counts as digital silence
RESAMPLER = "soxr_hq"


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sample_rate: int
    channels: int
    frames: int
    duration: float
    format: str
    subtype: str


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise CorruptAudioError(path, "file does not exist")
    if not path.is_file():
        raise CorruptAudioError(path, "not a regular file")
    if path.stat().st_size == 0:
        raise EmptyAudioError(path, "file is empty (0 bytes)")


def audio_info(path) -> AudioInfo:
    """Header facts (rate, channels, length) without decoding the samples."""
    path = Path(path)
    _check_exists(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise CorruptAudioError(path, f"cannot be decoded as audio ({exc})") from None
    return AudioInfo(str(path), int(info.samplerate), int(info.channels), int(info.frames),
                     float(info.duration), info.format, info.subtype)


def resample(x: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    """Band-limited resampling (soxr, high quality); a no-op when the rates agree."""
    if orig_sr == sr:
        return x
    import librosa  # imported here: it is slow to import and only needed for resampling

    return librosa.resample(x, orig_sr=orig_sr, target_sr=sr, res_type=RESAMPLER)


def load_audio(path, sr: int | None = 16000, min_duration: float = 0.2) -> np.ndarray:
    """Mono float32 samples at `sr` Hz (None keeps the file's rate).

    Channels are averaged. Raises, naming the file: CorruptAudioError (missing, not audio,
    undecodable), EmptyAudioError (no samples), NonFiniteAudioError (NaN/inf),
    TooShortAudioError (< min_duration s), SilentAudioError (peak below 1e-6).
    """
    path = Path(path)
    _check_exists(path)
    try:
        data, native_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise CorruptAudioError(path, f"cannot be decoded as audio ({exc})") from None
    if data.size == 0:
        raise EmptyAudioError(path, "contains no samples")
    bad = ~np.isfinite(data)
    if bad.any():
        raise NonFiniteAudioError(path, f"{int(bad.sum())} of {data.size} samples are NaN or infinite")
    duration = data.shape[0] / native_sr
    if duration < min_duration:
        raise TooShortAudioError(path, f"lasts {duration:.3f} s, less than the minimum {min_duration} s")
    x = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    peak = float(np.max(np.abs(x)))
    if peak < SILENCE_THRESHOLD:
        raise SilentAudioError(path, f"is silent (peak |x| = {peak:.2e} < {SILENCE_THRESHOLD:g})")
    if sr is not None:
        x = resample(x, int(native_sr), int(sr))
    return np.ascontiguousarray(x, dtype=np.float32)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    error: str
    message: str


@dataclass
class SkipReport:
    """Files a batch job left out, with the reason for each."""

    skipped: list[SkippedFile] = field(default_factory=list)
    total: int = 0

    def add(self, path, exc: Exception) -> None:
        self.skipped.append(SkippedFile(str(path), type(exc).__name__, str(exc)))

    def __len__(self) -> int:
        return len(self.skipped)

    def __iter__(self):
        return iter(self.skipped)

    @property
    def paths(self) -> list[str]:
        return [s.path for s in self.skipped]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(s) for s in self.skipped], columns=["path", "error", "message"])

    def __str__(self) -> str:
        if not self.skipped:
            return f"all {self.total} files loaded"
        lines = [f"skipped {len(self.skipped)} of {self.total} files:"]
        lines += [f"  {s.path}: {s.error}: {s.message}" for s in self.skipped]
        return "\n".join(lines)


def load_many(paths, sr: int | None = 16000, min_duration: float = 0.2,
              progress: bool = False) -> tuple[dict[str, np.ndarray], SkipReport]:
    """Load every file that can be used; bad files go into the SkipReport, not an exception.

    Returns ({path as str: samples}, report) in input order. Only audio problems are
    skipped; anything else (a bug) still raises.
    """
    paths = list(paths)
    report = SkipReport(total=len(paths))
    loaded: dict[str, np.ndarray] = {}
    if progress:
        from tqdm.auto import tqdm

        paths_iter = tqdm(paths, desc="loading audio", unit="file")
    else:
        paths_iter = paths
    for p in paths_iter:
        try:
            loaded[str(p)] = load_audio(p, sr=sr, min_duration=min_duration)
        except AudioError as exc:
            report.add(p, exc)
    return loaded, report
