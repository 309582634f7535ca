"""Import zennit without torchvision.

zennit's package `__init__` imports `zennit.torchvision` (canonizers for torchvision's
ResNet/VGG classes). We keep torchvision out of the environment because PyPI's build does
not load beside our CPU torch and breaks `transformers` model imports. Our models use
zennit's own `Sum` layer and BatchNorm inside `nn.Sequential`, so those canonizers are not
needed: when torchvision is absent we register an empty module under that name first.
"""
from __future__ import annotations

import importlib.util
import sys
import types


def torchvision_available() -> bool:
    return importlib.util.find_spec("torchvision") is not None


def import_zennit():
    """Return the `zennit` package, stubbing `zennit.torchvision` when torchvision is absent."""
    if "zennit" not in sys.modules and not torchvision_available():
        stub = types.ModuleType("zennit.torchvision")
        stub.__doc__ = "Empty stand-in registered by helpers.zennit_compat (torchvision absent)."
        sys.modules.setdefault("zennit.torchvision", stub)
    import zennit

    return zennit
