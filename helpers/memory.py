"""Give a trained Keras model's memory back once it is gone.

Each `model.fit` traces a train and a test step. Tracing an op with a custom gradient (Keras
uses some) registers a `CustomGradient-<n>` entry in TensorFlow's process-wide gradient
registry, and that entry's closure holds the whole traced graph: 60–100 MB per SimpleNet that
neither `clear_session` nor garbage collection frees (tensorflow#61791). `release` drops the
entries registered since a `traced_gradients()` snapshot, once the models that needed them are
deleted; the numbers computed are unchanged (the entries are never looked up again). It also
collects cycles and asks glibc to return freed heap pages (`malloc_trim`).
"""
from __future__ import annotations

import ctypes
import functools
import gc
import sys

CUSTOM_GRADIENT_PREFIX = "CustomGradient-"  # one unique name per traced custom-gradient op


def _gradient_registry() -> dict | None:
    """TensorFlow's gradient registry (a private dict), or None when TF is not loaded or moved it."""
    ops = sys.modules.get("tensorflow.python.framework.ops")
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def traced_gradients() -> set[str]:
    """Snapshot before building and training models: the custom-gradient entries existing now."""
    registry = _gradient_registry()
    return {name for name in registry if name.startswith(CUSTOM_GRADIENT_PREFIX)} if registry else set()


def release(keras_session: bool = False, gradients_since: set[str] | None = None) -> int:
    """Free what deleted models left behind: custom-gradient entries registered after the
    `gradients_since` snapshot (only those, and only `CustomGradient-*` names: op gradients
    registered at import stay), Keras' session, Python cycles, glibc's free pages. Call it after
    the models are deleted. Returns how many registry entries were dropped."""
    dropped = 0
    registry = _gradient_registry()
    if gradients_since is not None and registry:
        stale = [name for name in registry if name.startswith(CUSTOM_GRADIENT_PREFIX) and name not in gradients_since]
        for name in stale:
            registry.pop(name, None)
        dropped = len(stale)
    if keras_session and "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    return dropped


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's malloc_trim from the C library already loaded in this process. Not
    `ctypes.util.find_library`: that starts a subprocess (a fork of this possibly large
    kernel), which `reproduce`'s memory sampling can catch and count twice."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None


def releases_keras_models(function):
    """Decorator for a function that builds and trains Keras models it does not return: on
    return (or an error) the custom-gradient entries registered during the call are dropped
    and the session cleared (`release` with a snapshot taken on entry). `functools.wraps`
    keeps the name and signature the result cache keys on."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        before = traced_gradients()
        try:
            return function(*args, **kwargs)
        finally:
            release(keras_session=True, gradients_since=before)

    return wrapper
