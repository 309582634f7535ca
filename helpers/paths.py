"""Where things live: the repository, its figures, and (never inside the repo) the data."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from .errors import InvalidParameterError

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
PARAMS_DIR = NOTEBOOKS_DIR / "params"
FIGURES_DIR = REPO_ROOT / "figures"
MANIFEST_DIR = REPO_ROOT / "data_manifest"
SHARED_DIR = REPO_ROOT.parent / "shared"
EMODB_SUBSET_DIR = SHARED_DIR / "data" / "emodb-subset"

DATA_ENV_VAR = "SERXAI_DATA"
CACHE_ENV_VAR = "SERXAI_CACHE"


def _outside_repo(path: Path, what: str) -> Path:
    path = path.expanduser().resolve()
    if path == REPO_ROOT or REPO_ROOT in path.parents:
        raise InvalidParameterError(  # a ValueError: a bad argument, reported in one line by the CLI
            f"{what} {path} is inside the repository; corpora and caches must live outside it "
            f"(pass another directory or set ${DATA_ENV_VAR} / ${CACHE_ENV_VAR})."
        )
    return path


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Corpus root: the argument, else $SERXAI_DATA, else the per-user cache dir."""
    if path is None:
        path = os.environ.get(DATA_ENV_VAR) or platformdirs.user_cache_dir("serxai") + "/data"
    return _outside_repo(Path(path), "data directory")


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Feature cache root: the argument, else $SERXAI_CACHE, else the per-user cache dir."""
    if path is None:
        path = os.environ.get(CACHE_ENV_VAR) or platformdirs.user_cache_dir("serxai") + "/features"
    return _outside_repo(Path(path), "cache directory")
