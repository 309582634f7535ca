"""Print the feature-layer performance ratios, measured in one run on this machine.

- openSMILE eGeMAPS: parallel (2 workers) vs one worker, same files, no cache (target ≥ 1.7×)
- SSL embeddings: batched + masked vs a per-file loop, same tiny model (target ≥ 2×)
- feature cache: warm vs cold extraction of the same files (target ≥ 20×)

Absolute times are noisy on a shared machine; only the ratios are meant to be compared.
Results also go to benchmarks/results/features.csv. Usage: python benchmarks/features.py [N_FILES]
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from helpers import features, synthetic
from helpers.cache import FeatureCache
from helpers.fileio import atomic_write_bytes

RESULTS = Path(__file__).resolve().parent / "results" / "features.csv"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def corpus(root: Path, n_files: int) -> list[str]:
    table = synthetic.generate_corpus(root, variant="synthetic", seed=0, n_speakers=10, takes=4, progress=False)
    return table.path.tolist()[:n_files]


def opensmile_rows(paths) -> list[dict]:
    features.extract(paths[:2], n_jobs=1, cache=False, show_progress=False)  # warm-up: library load
    single, _ = timed(features.extract, paths, n_jobs=1, cache=False, show_progress=False)
    parallel, _ = timed(features.extract, paths, n_jobs=2, cache=False, show_progress=False)
    return [{"benchmark": "opensmile eGeMAPS parallel(2) vs single", "baseline_s": single,
             "improved_s": parallel, "ratio": single / parallel, "target": 1.7, "n_files": len(paths)}]


def cache_rows(paths, cache_root: Path) -> list[dict]:
    store = FeatureCache(cache_root)
    cold, _ = timed(features.extract, paths, n_jobs=1, cache=store, show_progress=False)
    warm, _ = timed(features.extract, paths, n_jobs=1, cache=store, show_progress=False)
    return [{"benchmark": "feature cache warm vs cold", "baseline_s": cold, "improved_s": warm,
             "ratio": cold / warm, "target": 20.0, "n_files": len(paths)}]


def embedding_rows(paths) -> list[dict]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from embeddings import measure  # benchmarks/embeddings.py
    except ImportError as err:
        print(f"(embeddings benchmark unavailable: {err})")
        return []
    return [measure(paths)]


def main(n_files: int = 120) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        paths = corpus(Path(tmp) / "corpus", n_files)
        rows = opensmile_rows(paths) + embedding_rows(paths[:40]) + cache_rows(paths, Path(tmp) / "cache")
    table = pd.DataFrame(rows)
    table["machine"] = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    shown = table.assign(baseline_s=table.baseline_s.round(2), improved_s=table.improved_s.round(3),
                         ratio=table.ratio.round(1))
    print(shown.drop(columns="machine").to_string(index=False))
    print(table.machine.iloc[0])
    atomic_write_bytes(RESULTS, table.to_csv(index=False, float_format="%.4g").encode())
    return table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 120)
