"""Content-keyed cache of costly results (what trained models produced), so that a second
`reproduce` on the same machine reads them back instead of retraining.

`call(function, *args, **kwargs)` runs `function` once per key. The key is a sha256 of
- the function's module and name and every argument's *content*: arrays and tables by their
  bytes, a table's `path` column also by each file's bytes, dataclasses field by field;
- the source of every module in `helpers/` (any edit to our code invalidates every entry);
- the versions of Python and of the numerical libraries, and the machine's CPU model (floats
  may differ in the last bit on another CPU or build).
A result is stored as one .npz (JSON structure + arrays + tables as Parquet bytes; written
atomically, read with `allow_pickle=False`, so nothing stored can execute code). Only
dataclasses defined in `helpers` are rebuilt from an entry. Every result, computed or read,
goes through the same encode/decode round trip, so a cold and a warm run see identical values.

`SERXAI_RESULT_CACHE=0` turns reading and writing off (the test suite does, so that its
determinism checks really compute twice); entries live in the feature cache's folder, one
`result.<module>.<function>` folder per function (`python -m helpers cache info | clear`).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import inspect
import io
import json
import os
import platform
import sys
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .cache import file_digest, mark
from .fileio import atomic_path
from .paths import cache_dir

ENV_SWITCH = "SERXAI_RESULT_CACHE"
LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "sklearn", "torch", "tensorflow", "keras", "captum",
             "zennit", "shap", "lime", "opensmile", "librosa", "transformers")


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")


RESULT_PREFIX = "result."  # entry folders sit beside the feature extractors' in the cache root


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 over every helpers/*.py file: an edit anywhere in our code invalidates results."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    distribution = {"sklearn": "scikit-learn"}.get(name, name)
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "absent"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


@lru_cache(maxsize=1)
def environment_digest() -> str:
    parts = [sys.version, platform.machine(), _cpu_model()] + [f"{n}={_version(n)}" for n in LIBRARIES]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# --- keys ----------------------------------------------------------------------------------

def _feed(digest, value) -> None:
    """Add `value`'s content to `digest`; refuse types whose content we cannot read."""
    def tag(text: str) -> None:
        digest.update(b"<" + text.encode() + b">")

    if value is None or isinstance(value, (bool, int, float, str, bytes, np.generic)):
        tag(type(value).__name__)
        digest.update(repr(value).encode())
    elif isinstance(value, Path):
        tag("path")
        digest.update(str(value).encode())
    elif isinstance(value, np.ndarray):
        if value.dtype == object:
            tag("object-array")
            _feed(digest, value.tolist())
            _feed(digest, value.shape)
        else:
            tag(f"array {value.dtype.str} {value.shape}")
            digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (pd.DataFrame, pd.Series)):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        tag(f"frame {list(map(str, frame.columns))} {list(map(str, frame.dtypes))}")
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        if "path" in frame.columns:  # the files' content, not only their names
            for path in frame["path"].astype(str):
                digest.update(file_digest(path).encode() if os.path.isfile(path) else b"missing")
    elif isinstance(value, dict):
        tag(f"dict {len(value)}")
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        tag(f"{type(value).__name__} {len(items)}")
        for item in items:
            _feed(digest, item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        tag(f"dataclass {type(value).__module__}.{type(value).__qualname__}")
        for spec in dataclasses.fields(value):
            _feed(digest, spec.name)
            _feed(digest, getattr(value, spec.name))
    elif callable(value) and hasattr(value, "__qualname__"):
        tag(f"callable {value.__module__}.{value.__qualname__}")  # its source is in code_digest
    else:
        raise TypeError(f"memo cannot key an argument of type {type(value).__name__}: pass it in `ignore` "
                        "if it does not change the result, or pass its content (arrays, tables) instead")


def key_of(function, args: tuple, kwargs: dict) -> str:
    digest = hashlib.sha256()
    _feed(digest, f"{function.__module__}.{function.__qualname__}")
    _feed(digest, args)
    _feed(digest, kwargs)
    digest.update(code_digest().encode() + environment_digest().encode())
    return digest.hexdigest()


# --- encoding: JSON structure + arrays -----------------------------------------------------

def _encode(value, arrays: dict):
    def stash(array: np.ndarray) -> str:
        name = f"a{len(arrays)}"
        arrays[name] = array
        return name

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return {"float": repr(value)} if isinstance(value, float) else value
    if isinstance(value, np.generic):
        return {"scalar": stash(np.asarray(value))}
    if isinstance(value, np.ndarray):
        if value.dtype == object:  # e.g. speaker names: element by element
            return {"objects": [_encode(item, arrays) for item in value.ravel().tolist()], "shape": list(value.shape)}
        return {"array": stash(value)}
    if isinstance(value, pd.DataFrame):
        buffer = io.BytesIO()
        value.to_parquet(buffer, index=True)
        return {"frame": stash(np.frombuffer(buffer.getvalue(), dtype=np.uint8))}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return {"list": [_encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and type(value).__module__.startswith("helpers."):
        cls = type(value)
        return {"dataclass": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}}
    raise TypeError(f"memo cannot store a result of type {type(value).__name__}")


def _decode(node, arrays):
    if not isinstance(node, dict):
        return node
    (kind, payload), *rest = node.items()
    if kind == "float":
        return float(payload)
    if kind == "scalar":
        return arrays[payload][()]
    if kind == "array":
        return arrays[payload]
    if kind == "objects":
        array = np.empty(len(payload), dtype=object)
        array[:] = [_decode(item, arrays) for item in payload]
        return array.reshape(rest[0][1])
    if kind == "frame":
        return pd.read_parquet(io.BytesIO(arrays[payload].tobytes()))
    if kind in ("tuple", "list"):
        items = [_decode(v, arrays) for v in payload]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in payload}
    if kind == "dataclass":
        module, qualname = payload.split(":")
        if not module.startswith("helpers."):
            raise ValueError(f"refusing to rebuild {payload}: only helpers' dataclasses are stored")
        cls = getattr(importlib.import_module(module), qualname)
        instance = object.__new__(cls)  # fields restored as stored, __post_init__ not re-run
        for name, field_node in rest[0][1].items():
            object.__setattr__(instance, name, _decode(field_node, arrays))
        return instance
    raise ValueError(f"unknown memo node {kind!r}")


def encode(value) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    structure = json.dumps(_encode(value, arrays))
    buffer = io.BytesIO()
    np.savez(buffer, __structure__=np.frombuffer(structure.encode(), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def decode(data: bytes):
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    return _decode(json.loads(arrays.pop("__structure__").tobytes().decode()), arrays)


# --- the cache -----------------------------------------------------------------------------

def entry_path(function, key: str) -> Path:
    """<cache root>/result.<module>.<function>/<key[:2]>/<key>.npz: the feature cache's layout,
    so `python -m helpers cache info` lists results per function and `cache clear` removes them."""
    return cache_dir() / f"{RESULT_PREFIX}{function.__module__}.{function.__qualname__}" / key[:2] / f"{key}.npz"


def _keyed_arguments(function, args: tuple, kwargs: dict, ignore) -> dict:
    """Arguments by name with defaults filled in, so f(1, n=2) and f(n=2, x=1) share a key."""
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):  # no signature to bind: key them as given
        return {"args": args, **{k: v for k, v in kwargs.items() if k not in ignore}}
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k not in ignore}


def call(function, *args, ignore: tuple = (), valid=None, **kwargs):
    """`function(*args, **kwargs)`, read from the result cache when the same call (by content)
    ran before. Arguments named in `ignore` (e.g. a worker count or an in-memory speed-up that
    do not change the result) are passed but not keyed. `valid(result)` may reject a stored
    result (e.g. when a file it names is gone); it is then recomputed."""
    keyed = _keyed_arguments(function, args, kwargs, ignore)
    path = entry_path(function, key_of(function, (), keyed)) if enabled() else None
    if path is not None and path.is_file():
        try:
            result = decode(path.read_bytes())
            if valid is None or valid(result):
                return result
        except Exception as exc:  # a corrupt or foreign entry: recompute and replace it
            warnings.warn(f"result cache entry {path} unreadable ({exc}); recomputing", stacklevel=2)
    data = encode(function(*args, **kwargs))
    if path is not None:
        try:
            mark(cache_dir())
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        except OSError as exc:
            warnings.warn(f"result cache not writable ({exc}); results are recomputed next time", stacklevel=2)
    return decode(data)


def cached(ignore: tuple = (), valid=None):
    """Decorator form of `call` for a module-level function (not for functions that are sent
    to worker processes by reference: those must stay the plain function)."""
    def wrap(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            return call(function, *args, ignore=ignore, valid=valid, **kwargs)

        return wrapper

    return wrap
