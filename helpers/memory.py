"""Give freed memory back to the operating system between models.

Keras leaves each trained model's traced graphs behind (clear_session drops its own references,
a collection frees the cycles), and glibc keeps freed blocks inside its heaps unless asked to
return them. On a 2 GB Binder that difference decides whether a notebook fits.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys


def release(keras_session: bool = False) -> None:
    """Collect cycles, optionally clear Keras' session, and trim glibc's heaps (no-op elsewhere)."""
    if keras_session and "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim") if name else None
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None
