"""Content-addressed feature cache: .npz files, atomic writes, corrupt entries recomputed.

Key = sha256 of (the audio file's bytes, extractor name, its parameters, library version,
our own pipeline version for that extractor), so renaming a file keeps its entry, editing
it invalidates it, and neither upgrading openSMILE / transformers nor changing our own
preprocessing (`PIPELINES`) serves stale numbers. Values are numpy arrays (optionally with
column names) stored with `allow_pickle=False`: nothing from the cache can execute code.

A hit is checked before use (shape, column count, finite values when asked); an entry that
fails is treated as corrupt: deleted when possible and recomputed. Entries are written with
the user's umask (a shared cache stays readable); a read-only cache is used for reading and
computes the rest without writing, with one warning. The cache root carries a
`CACHEDIR.TAG` marker, and `clear` refuses any folder without it.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InvalidParameterError
from .fileio import atomic_path
from .paths import cache_dir

_FILE_DIGESTS: dict[tuple, str] = {}
ENTRY_SUFFIX = ".npz"
MARKER = "CACHEDIR.TAG"  # https://bford.info/cachedir/: backup tools skip folders carrying it
MARKER_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
               "# This folder is a serxai feature cache (python -m helpers cache info | clear).\n")


@dataclass(frozen=True)
class Pipeline:
    """Our own processing in front of an extractor. `version` goes into every cache key of
    the extractors whose name starts with the pipeline's name; bump it whenever a function
    or constant in `sources` changes what is computed. `source_sha` records the sources'
    digest at the last bump (tests/test_reliability.py fails when they drift apart)."""

    version: int
    sources: tuple[str, ...]
    source_sha: str


_AUDIO = ("helpers.audio:load_audio", "helpers.audio:resample", "helpers.audio:_check_exists",
          "helpers.audio:_check_range", "helpers.audio:SILENCE_THRESHOLD", "helpers.audio:RESAMPLER",
          "helpers.audio:FULL_SCALE_LIMIT")
PIPELINES: dict[str, Pipeline] = {
    # 2: silence judged after removing DC, float files beyond full scale refused (issue 23)
    "opensmile": Pipeline(2, _AUDIO + (
        "helpers.features:_as_opensmile_input", "helpers.features:functionals_of_signal",
        "helpers.features:llds_of_signal", "helpers.features:_compute_one", "helpers.features:SAMPLE_RATE"),
        "dc2e61abb3ac804b479d9cb048f4a61dd6567b95042072a3453636ce324ddcdb"),
    # 3: GE2E models (helpers.ge2e: front end and layer-by-layer network); frame counts by model.
    # Digest renewed without a bump for issue 27 (device: `.to(device)` / `.cpu()`, no-ops on the
    # CPU, and larger default batches on a GPU only): the CPU computes exactly what it did.
    "embed": Pipeline(3, _AUDIO + (
        "helpers.embeddings:embed_signals", "helpers.embeddings:_split_long",
        "helpers.embeddings:_plan_batches", "helpers.embeddings:_forward_batch",
        "helpers.embeddings:_combine_chunks", "helpers.embeddings:_hidden_states",
        "helpers.embeddings:_frame_counts", "helpers.embeddings:padding_is_safe",
        "helpers.ge2e:CONFIG", "helpers.ge2e:frame_counts", "helpers.ge2e:mel_frames",
        "helpers.ge2e:FrontEnd", "helpers.ge2e:GE2E"),
        "c5e6071fbbd6e66c5e65806dd2288df20e383cb3d73de1c2fc72e16c35dfb48c"),
    "cqt96": Pipeline(2, _AUDIO + ("helpers.smietanka_data:_cqt_cached", "helpers.spectrograms:cqt"),
                      "e4a8a3f027b878f50038c7922a135eae741b5f995f111f79397b75721022badd"),
}


def pipeline_for(extractor: str) -> str | None:
    """The PIPELINES entry an extractor name belongs to (by prefix), or None."""
    matches = [name for name in PIPELINES if extractor == name or extractor.startswith(name + "-")]
    return max(matches, key=len) if matches else None


def pipeline_version(extractor: str) -> int:
    name = pipeline_for(extractor)
    return PIPELINES[name].version if name else 0


def pipeline_source_sha(name: str) -> str:
    """sha256 over the source of every function (and the repr of every constant) in the
    pipeline's `sources`; what `Pipeline.source_sha` must equal."""
    digest = hashlib.sha256()
    for ref in PIPELINES[name].sources:
        module, attr = ref.split(":")
        obj = getattr(importlib.import_module(module), attr)
        text = inspect.getsource(obj) if callable(obj) else repr(obj)
        digest.update(f"{ref}\n{text}\n".encode())
    return digest.hexdigest()


def file_digest(path) -> str:
    """sha256 of a file's bytes, memoised on (path, size, mtime) within the process."""
    stat = os.stat(path)
    memo = (str(path), stat.st_size, stat.st_mtime_ns)
    if memo not in _FILE_DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _FILE_DIGESTS[memo] = digest.hexdigest()
    return _FILE_DIGESTS[memo]


def make_key(path, extractor: str, params: dict, version: str) -> str:
    payload = json.dumps([file_digest(path), extractor, params, version, pipeline_version(extractor)],
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class Cached:
    values: np.ndarray
    columns: list[str] | None = None


class BadEntry(ValueError):
    """A cache entry that loads but does not hold what the caller expects."""


def _check_hit(values: np.ndarray, columns, shape, finite: bool) -> None:
    if shape is not None:
        if values.ndim != len(shape) or any(want is not None and got != want
                                            for got, want in zip(values.shape, shape)):
            raise BadEntry(f"shape {values.shape}, expected {tuple('any' if s is None else s for s in shape)}")
    if columns is not None and (values.ndim == 0 or len(columns) != values.shape[-1]):
        raise BadEntry(f"{len(columns)} column names for shape {values.shape}")
    if finite and values.dtype.kind in "fc" and not np.all(np.isfinite(values)):
        raise BadEntry("holds NaN or infinite values")


_READ_ONLY_WARNED: set[str] = set()


class ReadOnlyCacheWarning(UserWarning):
    """The cache folder cannot be written: values are computed but not stored."""


class FeatureCache:
    """One folder per extractor, entries `<key[:2]>/<key>.npz`. `enabled=False` is a no-op cache."""

    def __init__(self, root=None, enabled: bool = True):
        self.enabled = enabled
        self.root = cache_dir(root) if enabled else None
        self.writable = True

    def _path(self, extractor: str, key: str) -> Path:
        return self.root / extractor.replace("/", "__") / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def get(self, extractor: str, key: str, shape: tuple | None = None, finite: bool | None = None) -> Cached | None:
        """The stored value, or None when absent. An entry that cannot be read, whose shape
        differs from `shape` (None in it = any length) or that holds NaN/inf is corrupt:
        deleted (when the cache is writable) and reported as absent. NaN/inf are accepted only
        where `finite=False`, or (`finite=None`) when the entry was written with them."""
        if not self.enabled:
            return None
        path = self._path(extractor, key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                values = stored["values"]
                columns = stored["columns"].tolist() if "columns" in stored.files else None
                written_finite = bool(stored["finite"]) if "finite" in stored.files else True
            _check_hit(values, columns, shape, written_finite if finite is None else finite)
            return Cached(values, columns)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            try:
                path.unlink(missing_ok=True)
            except OSError:  # read-only or shared cache: leave it, recompute
                pass
            return None

    def put(self, extractor: str, key: str, values: np.ndarray, columns=None) -> None:
        if not self.enabled or not self.writable:
            return
        arrays = {"values": np.asarray(values)}
        if arrays["values"].dtype == object:
            raise TypeError(f"{extractor}: refusing to cache an object array (it would need pickle)")
        if columns is not None:
            arrays["columns"] = np.asarray([str(c) for c in columns], dtype=str)
        kind = arrays["values"].dtype.kind
        arrays["finite"] = np.asarray(kind not in "fc" or bool(np.all(np.isfinite(arrays["values"]))))
        try:
            mark(self.root)
            with atomic_path(self._path(extractor, key)) as tmp:
                with open(tmp, "wb") as handle:
                    np.savez(handle, **arrays)
        except OSError as exc:
            self.writable = False
            if str(self.root) not in _READ_ONLY_WARNED:
                _READ_ONLY_WARNED.add(str(self.root))
                warnings.warn(f"feature cache {self.root} is not writable ({exc.strerror or exc}); "
                              "computing without storing", ReadOnlyCacheWarning, stacklevel=2)


def mark(root: Path) -> None:
    """Create the cache root with its CACHEDIR.TAG marker (no-op when present)."""
    tag = Path(root) / MARKER
    if not tag.exists():
        Path(root).mkdir(parents=True, exist_ok=True)
        with atomic_path(tag) as tmp:
            tmp.write_text(MARKER_TEXT)


def _existing_folder(root) -> Path:
    root = cache_dir(root)
    if root.exists() and not root.is_dir():
        raise InvalidParameterError(f"cache directory {root} is a file, not a folder")
    return root


def _entries(root: Path) -> list[Path]:
    """Cache entries only: <extractor>/<xx>/<key>.npz."""
    return sorted(p for p in root.glob(f"*/*/*{ENTRY_SUFFIX}")
                  if p.is_file() and not p.is_symlink() and p.parent.name == p.name[:2])


def info(root=None) -> str:
    """Entries and size per extractor, for `python -m helpers cache info`."""
    root = _existing_folder(root)
    if not root.exists():
        return f"{root}: empty"
    lines = [f"{root}:" + ("" if (root / MARKER).exists() else f" (no {MARKER}: not a serxai cache?)")]
    entries = _entries(root)
    if not entries:
        return f"{root}: empty"
    by_folder: dict[str, list[Path]] = {}
    for entry in entries:
        by_folder.setdefault(entry.parent.parent.name, []).append(entry)
    for name, files in sorted(by_folder.items()):
        size = sum(f.stat().st_size for f in files)
        lines.append(f"  {name}: {len(files)} entries, {size / 1e6:.1f} MB")
    return "\n".join(lines)


def clear(root=None) -> int:
    """Delete every cache entry (and the folders they leave empty), nothing else; returns how
    many there were. A folder without the CACHEDIR.TAG marker is refused: it may hold anything."""
    root = _existing_folder(root)
    if not root.exists():
        return 0
    if not (root / MARKER).is_file():
        raise InvalidParameterError(
            f"{root} has no {MARKER} marker, so it is not a serxai feature cache; refusing to delete "
            "anything in it (pass the cache folder itself, or delete its files yourself)")
    entries = _entries(root)
    for entry in entries:
        entry.unlink()
    for folder in sorted({e.parent for e in entries} | {e.parent.parent for e in entries}, reverse=True):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass
    return len(entries)
