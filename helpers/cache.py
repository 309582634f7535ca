"""Content-addressed feature cache: .npz files, atomic writes, corrupt entries recomputed.

Key = sha256 of (the audio file's bytes, extractor name, its parameters, library version),
so renaming a file keeps its entry, editing it invalidates it, and upgrading openSMILE or
transformers never serves stale numbers. Values are numpy arrays (optionally with column
names) stored with `allow_pickle=False`: nothing from the cache can execute code.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fileio import atomic_path
from .paths import cache_dir

_FILE_DIGESTS: dict[tuple, str] = {}


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
    payload = json.dumps([file_digest(path), extractor, params, version], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class Cached:
    values: np.ndarray
    columns: list[str] | None = None


class FeatureCache:
    """One folder per extractor, entries `<key[:2]>/<key>.npz`. `enabled=False` is a no-op cache."""

    def __init__(self, root=None, enabled: bool = True):
        self.enabled = enabled
        self.root = cache_dir(root) if enabled else None

    def _path(self, extractor: str, key: str) -> Path:
        return self.root / extractor.replace("/", "__") / key[:2] / f"{key}.npz"

    def get(self, extractor: str, key: str) -> Cached | None:
        """The stored value, or None when absent; a corrupt entry is deleted and reported as absent."""
        if not self.enabled:
            return None
        path = self._path(extractor, key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                values = stored["values"]
                columns = stored["columns"].tolist() if "columns" in stored.files else None
            return Cached(values, columns)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)
            return None

    def put(self, extractor: str, key: str, values: np.ndarray, columns=None) -> None:
        if not self.enabled:
            return
        arrays = {"values": np.asarray(values)}
        if arrays["values"].dtype == object:
            raise TypeError(f"{extractor}: refusing to cache an object array (it would need pickle)")
        if columns is not None:
            arrays["columns"] = np.asarray([str(c) for c in columns], dtype=str)
        with atomic_path(self._path(extractor, key)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)


def info(root=None) -> str:
    """Entries and size per extractor, for `python -m helpers cache info`."""
    root = cache_dir(root)
    if not root.exists():
        return f"{root}: empty"
    lines = [f"{root}:"]
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = list(folder.rglob("*.npz"))
        size = sum(f.stat().st_size for f in files)
        lines.append(f"  {folder.name}: {len(files)} entries, {size / 1e6:.1f} MB")
    return "\n".join(lines)


def clear(root=None) -> int:
    """Delete every entry; returns how many there were."""
    root = cache_dir(root)
    count = len(list(root.rglob("*.npz"))) if root.exists() else 0
    if root.exists():
        shutil.rmtree(root)
    return count
