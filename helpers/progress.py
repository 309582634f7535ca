"""Progress bars that executed notebooks can silence.

`reproduce` sets SERXAI_QUIET=1 for the kernels it starts, so bars never end up in stored
notebook outputs (nbval compares stderr), while the runner's own bar stays visible.
"""
from __future__ import annotations

import os

from tqdm.auto import tqdm

QUIET_ENV_VAR = "SERXAI_QUIET"


def quiet() -> bool:
    return os.environ.get(QUIET_ENV_VAR, "") not in ("", "0", "false")


def progress(iterable=None, desc: str | None = None, total: int | None = None, enabled: bool = True, **kw):
    """tqdm over `iterable`, disabled when asked or when running inside `reproduce`."""
    return tqdm(iterable, desc=desc, total=total, disable=(not enabled) or quiet(), **kw)
