"""Reading sound files into mono float32 at the rate a method needs, refusing bad input.

Corpora mix rates (8 kHz to 48 kHz), channel counts and the odd broken file; features
computed on a silent, NaN-filled or 50-ms clip are garbage that looks like data. So every
loader goes through `load_audio`, which either returns a usable signal or raises an error
that names the file and says what is wrong; `load_many` turns those errors into a report
so batch jobs skip bad files instead of dying on them.
"""
from __future__ import annotations

import json
import os
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
    OutOfRangeAudioError,
    SilentAudioError,
    TooShortAudioError,
)

SILENCE_THRESHOLD = 1e-6  # RMS of the signal less its mean (DC) below this (-120 dBFS): silence
FULL_SCALE_LIMIT = 1.5  # float samples beyond this (+3.5 dB over full scale ±1) are refused, not clipped
RESAMPLER = "soxr_hq"
SKIP_LOG_ENV_VAR = "SERXAI_SKIP_LOG"  # set by `reproduce`: skipped files are recorded there too
MAX_LISTED = 5


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


def _check_range(path: Path, data: np.ndarray) -> None:
    """Integer files cannot leave ±1 once decoded; float files can (a 40x gain is stored as is),
    and downstream code (openSMILE's int16 conversion, dB scales) assumes full scale is 1."""
    peak = float(np.max(np.abs(data)))
    if peak > FULL_SCALE_LIMIT:
        raise OutOfRangeAudioError(
            path, f"samples reach {peak:.3g}, beyond full scale (1.0): a float file with a gain applied? "
                  "Rescale it (e.g. divide by its peak) before use")


def load_audio(path, sr: int | None = 16000, min_duration: float = 0.2) -> np.ndarray:
    """Mono float32 samples at `sr` Hz (None keeps the file's rate).

    Channels are averaged. Raises, naming the file: CorruptAudioError (missing, not audio,
    undecodable), EmptyAudioError (no samples), NonFiniteAudioError (NaN/inf),
    OutOfRangeAudioError (float samples beyond full scale), TooShortAudioError
    (< min_duration s), SilentAudioError (RMS after removing the DC offset below 1e-6: a
    constant offset is no sound).
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
    _check_range(path, data)
    x = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    ac_rms = float(np.sqrt(np.mean(np.square(x.astype(np.float64) - np.mean(x, dtype=np.float64)))))
    if ac_rms < SILENCE_THRESHOLD:
        dc = float(np.mean(x, dtype=np.float64))
        raise SilentAudioError(path, f"is silent (RMS without the DC offset = {ac_rms:.2e} < "
                                     f"{SILENCE_THRESHOLD:g}; DC offset {dc:.3g})")
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

    def summary(self, what: str = "") -> str:
        """Short report for notebook outputs: count, the first file names and their reasons."""
        head = f"skipped {len(self.skipped)} of {self.total} files" + (f" ({what})" if what else "")
        if not self.skipped:
            return head
        lines = [head + ":"]
        for s in self.skipped[:MAX_LISTED]:
            reason = s.message.split(": ", 1)[1] if s.message.startswith(s.path + ": ") else s.message
            lines.append(f"  {Path(s.path).name}: {s.error}: {reason}")
        if len(self.skipped) > MAX_LISTED:
            lines.append(f"  ... and {len(self.skipped) - MAX_LISTED} more (see .attrs['skipped'])")
        return "\n".join(lines)

    def publish(self, what: str = "") -> None:
        """Print the summary (so a notebook's output shows it, whatever the warning filters)
        and record it for `reproduce`'s run summary; nothing when no file was skipped."""
        if not self.skipped:
            return
        print(self.summary(what), flush=True)
        record_skipped(len(self.skipped), self.total, what, self.paths)


def record_skipped(count: int, total: int, what: str, paths) -> None:
    """Append one JSON line to $SERXAI_SKIP_LOG (when set): how `reproduce` counts skipped files."""
    log = os.environ.get(SKIP_LOG_ENV_VAR)
    if not log or not count:
        return
    line = json.dumps({"what": what, "skipped": int(count), "total": int(total),
                       "first": [Path(p).name for p in list(paths)[:MAX_LISTED]]})
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def load_many(paths, sr: int | None = 16000, min_duration: float = 0.2,
              progress: bool = False, report: bool = True) -> tuple[dict[str, np.ndarray], SkipReport]:
    """Load every file that can be used; bad files go into the SkipReport, not an exception.

    Returns ({path as str: samples}, report) in input order. Only audio problems are
    skipped; anything else (a bug) still raises. With `report`, skipped files are printed
    (count, first names, reasons) and recorded for `reproduce` (SkipReport.publish).
    """
    paths = list(paths)
    publish, report = report, SkipReport(total=len(paths))
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
    if publish:
        report.publish("loading audio")
    return loaded, report
