"""One seed for every random number generator the notebooks touch."""
from __future__ import annotations

import os
import random
import sys

import numpy as np


def seed_everything(seed: int, import_torch: bool = True) -> int:
    """Seed random, numpy, torch and tensorflow (the latter two only if already imported
    or importable), and ask both for deterministic kernels, so the same seed gives the same tables.

    `import_torch=False` seeds torch only if something imported it already: a Keras-only
    notebook then does not load torch (≈ 180 MB, a tenth of Binder's 2 GB) just to seed it."""
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if import_torch or "torch" in sys.modules:
        try:
            import torch

            torch.manual_seed(seed)
            torch.use_deterministic_algorithms(True, warn_only=True)
        except ImportError:  # pragma: no cover - torch is in requirements
            pass
    if "tensorflow" in sys.modules:  # importing TF costs seconds: only seed it when in use
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        try:
            tf.config.experimental.enable_op_determinism()
        except Exception:  # pragma: no cover - older TF
            pass
    return seed
