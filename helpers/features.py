"""openSMILE features for a table of files: eGeMAPSv02 / ComParE_2016 functionals and LLDs.

Every paper here starts from these numbers, so extraction is cached per file (content hash),
parallel over files, and strict about bad input: a file that cannot be loaded or gives NaN
features is left out and reported (`result.attrs["skipped"]`), never filled with zeros.
Audio goes through `helpers.audio.load_audio` (mono, resampled to 16 kHz) before openSMILE.
"""
from __future__ import annotations

import functools
import os
import re
import sys
import threading
import warnings

import numpy as np
import pandas as pd

from .errors import FeatureError

if "tensorflow" in sys.modules and "opensmile" not in sys.modules:
    # Seen here: openSMILE's native library loaded after TensorFlow's corrupts the heap
    # ("malloc(): invalid size", then abort) on the first extraction. Refuse with a fix instead.
    raise FeatureError(
        "openSMILE must be loaded before TensorFlow in one process: put `import opensmile` "
        "(or `from helpers import features`) above `import tensorflow` / `import keras`."
    )
import opensmile  # noqa: E402  (loaded now, so a later TensorFlow import is safe)

from .audio import SkipReport, load_audio
from .cache import FeatureCache, make_key, pipeline_version
from .errors import AudioError, check_choice
from .parallel import default_jobs, parallel_map  # noqa: F401  (default_jobs: part of this module's API)

FEATURE_SETS = ("eGeMAPSv02", "ComParE_2016")
LEVELS = ("functionals", "llds")
SAMPLE_RATE = 16000
N_FUNCTIONALS = {"eGeMAPSv02": 88, "ComParE_2016": 6373}

_local = threading.local()


def _smile(feature_set: str, level: str):
    """One openSMILE instance per thread and configuration (instances are not shared), and per
    process: a worker forked from a process that had one builds its own."""
    key = (feature_set, level)
    cache = getattr(_local, "smiles", None)
    if cache is None or getattr(_local, "pid", None) != os.getpid():
        cache = _local.smiles = {}
        _local.pid = os.getpid()
    if key not in cache:
        feature_level = {
            ("eGeMAPSv02", "functionals"): opensmile.FeatureLevel.Functionals,
            ("ComParE_2016", "functionals"): opensmile.FeatureLevel.Functionals,
            ("eGeMAPSv02", "llds"): opensmile.FeatureLevel.LowLevelDescriptors,
            ("ComParE_2016", "llds"): opensmile.FeatureLevel.LowLevelDescriptors,
        }[key]
        cache[key] = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                                     feature_level=feature_level)
    return cache[key]


def _version() -> str:
    """openSMILE's version and our preprocessing's (helpers.cache.PIPELINES): part of every key."""
    return f"opensmile-{opensmile.__version__};pipeline={pipeline_version('opensmile')}"


def feature_names(feature_set: str = "eGeMAPSv02", level: str = "functionals") -> list[str]:
    """Official column names, in openSMILE's order."""
    return list(_smile(feature_set, level).feature_names)


_INT16_MAX = 32767 / 32768


def _as_opensmile_input(signal: np.ndarray) -> np.ndarray:
    """opensmile-python converts floats with `x * 32768 → int16`, so samples beyond ±1 would
    wrap around to the opposite sign. Clip them instead (a perturbed or amplified signal)."""
    signal = np.asarray(signal, dtype=np.float32)
    if np.abs(signal).max(initial=0.0) > _INT16_MAX:
        signal = np.clip(signal, -1.0, _INT16_MAX)
    return signal


def functionals_of_signal(signal: np.ndarray, sr: int = SAMPLE_RATE, feature_set: str = "eGeMAPSv02") -> np.ndarray:
    """The functional vector of one signal (already loaded and validated)."""
    signal = _as_opensmile_input(signal)
    return _smile(feature_set, "functionals").process_signal(signal, sr).to_numpy(dtype=np.float64)[0]


def llds_of_signal(signal: np.ndarray, sr: int = SAMPLE_RATE, feature_set: str = "eGeMAPSv02") -> pd.DataFrame:
    """Frame-level descriptors with a `start_s` column (10-ms hop in both sets)."""
    frame = _smile(feature_set, "llds").process_signal(_as_opensmile_input(signal), sr)
    starts = frame.index.get_level_values("start").total_seconds()
    return frame.reset_index(drop=True).assign(start_s=np.asarray(starts)).astype(np.float64)


def _compute_one(path, feature_set: str, level: str) -> tuple[np.ndarray, list[str]]:
    """Load, validate and extract one file (no cache)."""
    signal = load_audio(path, sr=SAMPLE_RATE)
    if level == "functionals":
        values, columns = functionals_of_signal(signal, SAMPLE_RATE, feature_set), feature_names(feature_set)
        if not np.all(np.isfinite(values)):
            bad = [c for c, v in zip(columns, values) if not np.isfinite(v)]
            raise FeatureError(f"{path}: openSMILE returned NaN/inf for {len(bad)} features ({', '.join(bad[:3])}…)")
    else:
        frame = llds_of_signal(signal, SAMPLE_RATE, feature_set)
        values, columns = frame.to_numpy(), list(frame.columns)
    return values, columns


def _expected_shape(feature_set: str, level: str) -> tuple:
    if level == "functionals":
        return (N_FUNCTIONALS[feature_set],)
    return (None, len(feature_names(feature_set, "llds")) + 1)  # + start_s


def _extract_one(path, feature_set: str, level: str, cache: FeatureCache) -> tuple[np.ndarray, list[str]]:
    extractor = f"opensmile-{feature_set}-{level}"
    key = make_key(path, extractor, {"sr": SAMPLE_RATE}, _version())
    # A hit of the wrong shape or with NaN/inf is corrupt: dropped and recomputed (never vstacked).
    hit = cache.get(extractor, key, shape=_expected_shape(feature_set, level), finite=True if level == "functionals" else None)
    if hit is not None:
        return hit.values, hit.columns
    values, columns = _compute_one(path, feature_set, level)
    cache.put(extractor, key, values, columns)
    return values, columns


def _paths_of(files) -> tuple[list[str], pd.Index]:
    if isinstance(files, pd.DataFrame):
        if "path" not in files:
            raise ValueError("expected a DataFrame with a 'path' column (from helpers.datasets.load)")
        return [str(p) for p in files["path"]], files.index
    paths = [str(p) for p in files]
    return paths, pd.RangeIndex(len(paths))


def _as_cache(cache: bool | FeatureCache) -> FeatureCache:
    """`cache=True/False` or a FeatureCache of the caller's choosing."""
    return cache if isinstance(cache, FeatureCache) else FeatureCache(enabled=bool(cache))


def _functionals_task(path: str, feature_set: str, store: FeatureCache):
    """(values, None) or (None, the error) for one file: one task of `extract`, run on a thread,
    a worker process or a Dask worker (module-level, so it pickles). Errors come back as values,
    so `extract` can raise the first bad file in input order whatever finished first."""
    try:
        return _extract_one(path, feature_set, "functionals", store)[0], None
    except (AudioError, FeatureError) as exc:
        return None, exc


def extract(files, feature_set: str = "eGeMAPSv02", n_jobs: int | None = None, cache: bool | FeatureCache = True,
            on_error: str = "skip", show_progress: bool = True) -> pd.DataFrame:
    """Functionals for each file: DataFrame indexed like `files` (a DataFrame with `path`, or paths).

    Files that fail (unreadable, silent, too short, NaN features) are dropped from the result
    and listed in `result.attrs["skipped"]` (a SkipReport), printed (count, first names,
    reasons) and recorded for `reproduce`'s summary; `on_error="raise"` stops instead.
    Files run on `n_jobs` threads (openSMILE's C code releases the GIL), or wherever
    `helpers.parallel.use_scheduler` / `joblib.parallel_config` sends work (a Dask cluster).
    """
    check_choice("feature_set", feature_set, FEATURE_SETS)
    check_choice("on_error", on_error, ("skip", "raise"))
    paths, index = _paths_of(files)
    store = _as_cache(cache)
    report = SkipReport(total=len(paths))
    rows: dict[int, np.ndarray] = {}
    columns = feature_names(feature_set)

    work = functools.partial(_functionals_task, feature_set=feature_set, store=store)
    results = parallel_map(work, paths, n_jobs=n_jobs, desc=f"openSMILE {feature_set}", show_progress=show_progress)
    for position, (values, exc) in enumerate(results):
        if exc is None:
            rows[position] = values
        elif on_error == "raise":
            raise exc  # the first bad file in input order, as before the tasks ran on joblib
        else:
            report.add(paths[position], exc)
    kept = sorted(rows)
    result = pd.DataFrame(np.vstack([rows[i] for i in kept]) if kept else np.empty((0, len(columns))),
                          index=index[kept], columns=columns)
    result.attrs["skipped"] = report
    if len(report):
        report.publish(f"openSMILE {feature_set}")  # printed: notebook outputs show it
        warnings.warn(f"{len(report)} of {report.total} files left out of the {feature_set} features; "
                      "see result.attrs['skipped']", stacklevel=2)
    return result


def extract_llds(path, feature_set: str = "eGeMAPSv02", cache: bool | FeatureCache = True) -> pd.DataFrame:
    """Low-level descriptors of one file (frames × descriptors + `start_s`); errors propagate."""
    check_choice("feature_set", feature_set, FEATURE_SETS)
    store = _as_cache(cache)
    values, columns = _extract_one(path, feature_set, "llds", store)
    return pd.DataFrame(values, columns=columns)


# --- eGeMAPS feature families ------------------------------------------------------------
# Dixit et al. 2024 (Table I) sort the 88 functionals into four categories following the
# eGeMAPS paper (Eyben et al. 2016): Energy 15, Frequency 24, Spectral 43, Temporal 6.
# Das et al. 2022 (Table 1) use finer groups. Both are derived from the column names below.

_CATEGORY_RULES = [
    ("Temporal", r"PeaksPerSec|SegmentsPerSec|SegmentLength"),
    ("Energy", r"^loudness_|^shimmer|^HNR|^equivalentSoundLevel"),
    ("Frequency", r"^F0semitone|^jitter|^F[123]frequency|^F[123]bandwidth"),
    ("Spectral", r"alphaRatio|hammarberg|slope|spectralFlux|mfcc|logRelF0|amplitudeLogRelF0"),
]
_GROUP_RULES = [
    ("loudness peaks/s", r"loudnessPeaksPerSec"),
    ("segments/s", r"VoicedSegmentsPerSec"),
    ("segment length", r"SegmentLength"),
    ("pitch", r"^F0semitone"),
    ("loudness", r"^loudness_"),
    ("spectral flux", r"spectralFlux"),
    ("jitter", r"^jitter"),
    ("shimmer", r"^shimmer"),
    ("harmonics", r"logRelF0-H1-(H2|A3)"),
    ("F1", r"^F1"),
    ("F2", r"^F2"),
    ("F3", r"^F3"),
    ("alpha ratio", r"alphaRatio"),
    ("Hammarberg index", r"hammarberg"),
    ("spectral slope 0-500 Hz", r"slopeU?V?0-500"),
    ("spectral slope 500-1500 Hz", r"slopeU?V?500-1500"),
    ("MFCC", r"mfcc"),
    ("equivalent sound level", r"equivalentSoundLevel"),
    ("HNR", r"^HNR"),
]
CATEGORIES = ("Energy", "Frequency", "Spectral", "Temporal")
DAS_GROUPS = tuple(name for name, _ in _GROUP_RULES)


def _first_match(name: str, rules) -> str:
    for label, pattern in rules:
        if re.search(pattern, name):
            return label
    raise KeyError(f"no family rule matches eGeMAPS feature {name!r}")


def egemaps_families() -> pd.DataFrame:
    """One row per eGeMAPS functional: feature, category (Dixit Table I), group (Das Table 1)."""
    names = feature_names("eGeMAPSv02")
    return pd.DataFrame({
        "feature": names,
        "category": [_first_match(n, _CATEGORY_RULES) for n in names],
        "group": [_first_match(n, _GROUP_RULES) for n in names],
    })
