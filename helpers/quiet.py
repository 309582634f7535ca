"""Quiet library chatter in a notebook's setup cell, so stored outputs say only what matters.

`python -m helpers reproduce` already runs kernels with a quiet environment, but a user who
runs papermill or Jupyter directly gets TensorFlow/absl start-up lines, Keras and library
deprecation warnings, and matplotlib's font fallback messages. `quiet_output()` does the same
from inside the kernel. Our own warnings (e.g. an incomplete corpus) stay visible, as one line
without the source location.
"""
from __future__ import annotations

import logging
import os
import warnings

LIBRARY_MODULES = ("tensorflow", "keras", "absl", "torch", "transformers", "shap", "lime",
                   "sklearn", "librosa", "numba", "captum", "zennit", "crp", "opensmile", "audinterface")


def _one_line(message, category, filename, lineno, line=None) -> str:
    return f"{category.__name__}: {message}\n"


def quiet_output() -> None:
    """Silence third-party start-up logs and warnings; keep the project's own warnings, one line each."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("matplotlib.font_manager", "absl", "tensorflow", "h5py", "numba", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for module in LIBRARY_MODULES:
        warnings.filterwarnings("ignore", module=rf"{module}(\..*)?$")
    for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.formatwarning = _one_line
