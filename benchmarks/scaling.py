"""Print how per-file work scales from this process's threads to Dask worker processes (issue #27).

Files per second on the synthetic corpus, each run into its own empty feature cache:
- the default backend (threads in this process, one per core),
- a Dask LocalCluster with 1 worker process (1 thread) and with 2 (1 thread each),
for openSMILE eGeMAPS functionals, ComParE_2016 functionals and tiny-wavlm embeddings.
Ratios are to the 1-worker Dask run (target: 2 workers >= 1.6x on openSMILE) and to the
default. Both clusters are started and warmed up (libraries imported in the workers, a few
files extracted) before timing; their start-up times are printed apart. Absolute times are
noisy on a shared machine: the backends are measured in alternating rounds, the best of each
is kept, and the load average (`os.getloadavg`) before and after is printed with them.
Results also go to benchmarks/results/scaling.csv. Usage: python benchmarks/scaling.py [N_FILES]
"""
from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import opensmile  # noqa: F401  (before anything can import TensorFlow)
import pandas as pd

from helpers import embeddings, features, parallel, synthetic
from helpers.cache import FeatureCache
from helpers.fileio import atomic_write_bytes

RESULTS = Path(__file__).resolve().parent / "results" / "scaling.csv"
TARGET = 1.6  # 2 Dask workers vs 1, openSMILE (issue #27)
ROUNDS = 3


def corpus(root: Path, n_files: int) -> list[str]:
    table = synthetic.generate_corpus(root, variant="synthetic", seed=0, n_speakers=10, takes=4, progress=False)
    return table.path.tolist()[:n_files]


def workloads():
    """name → (function of (paths, fresh cache folder), files it runs on)."""
    def egemaps(paths, folder):
        return features.extract(paths, "eGeMAPSv02", cache=FeatureCache(folder), show_progress=False)

    def compare(paths, folder):
        return features.extract(paths, "ComParE_2016", cache=FeatureCache(folder), show_progress=False)

    def tiny_wavlm(paths, folder):
        return embeddings.embed_files(paths, "tiny-wavlm", cache_root=folder, progress=False)

    return {"openSMILE eGeMAPSv02": (egemaps, 1.0), "openSMILE ComParE_2016": (compare, 0.5),
            "tiny-wavlm embeddings": (tiny_wavlm, 1.0)}


def measure(backend: str, paths, scratch: Path, round_: int) -> list[dict]:
    rows = []
    for name, (run, share) in workloads().items():
        files = paths[:int(len(paths) * share)]
        if round_ == 0:
            run(paths[-4:], scratch / f"warm-{backend}-{name}")  # libraries and models loaded where the work runs
        folder = scratch / f"{backend}-{name}-{round_}"  # empty: everything is computed
        start = time.perf_counter()
        table = run(files, folder)
        seconds = time.perf_counter() - start
        assert len(table) == len(files)
        rows.append({"workload": name, "backend": backend, "n_files": len(files), "seconds": seconds})
    return rows


def main(n_files: int = 120, rounds: int = ROUNDS) -> pd.DataFrame:
    import distributed

    load_before = os.getloadavg()
    rows, startup = [], {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        scratch = Path(tmp)
        paths = corpus(scratch / "corpus", n_files)
        backends = {f"threads ({features.default_jobs()})": None}
        for n_workers in (1, 2):
            start = time.perf_counter()
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                scheduler_port=0, silence_logs=50))
            name = f"dask {n_workers} worker{'s' if n_workers > 1 else ''}"
            backends[name] = stack.enter_context(distributed.Client(cluster, set_as_default=False))
            startup[name] = time.perf_counter() - start
        try:
            for round_ in range(rounds):  # alternating, so a busy spell of the machine hits every backend
                for name, client in backends.items():
                    parallel.use_scheduler(client)
                    rows += measure(name, paths, scratch, round_)
        finally:
            parallel.use_scheduler(None)
    load_after = os.getloadavg()
    table = (pd.DataFrame(rows).groupby(["workload", "backend"], sort=False, as_index=False)
             .agg(n_files=("n_files", "first"), seconds=("seconds", "min")))  # best of the rounds
    table["files_per_s"] = table.n_files / table.seconds
    per = table.pivot(index="workload", columns="backend", values="files_per_s")
    threads = [c for c in per.columns if c.startswith("threads")][0]
    table["vs_dask_1_worker"] = [r.files_per_s / per.loc[r.workload, "dask 1 worker"] for r in table.itertuples()]
    table["vs_default"] = [r.files_per_s / per.loc[r.workload, threads] for r in table.itertuples()]
    table["machine"] = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    table["load_before"] = " ".join(f"{x:.2f}" for x in load_before)
    table["load_after"] = " ".join(f"{x:.2f}" for x in load_after)
    shown = table.assign(seconds=table.seconds.round(2), files_per_s=table.files_per_s.round(1),
                         vs_dask_1_worker=table.vs_dask_1_worker.round(2), vs_default=table.vs_default.round(2))
    print(f"best of {rounds} alternating rounds, each into an empty cache")
    print(shown.drop(columns=["machine", "load_before", "load_after"]).to_string(index=False))
    two_vs_one = table[(table.backend == "dask 2 workers") & table.workload.str.startswith("openSMILE eGeMAPS")]
    print(f"openSMILE eGeMAPS, 2 Dask workers vs 1: {two_vs_one.vs_dask_1_worker.iloc[0]:.2f}x (target {TARGET}x)")
    print("cluster start-up (not in the timings): " + ", ".join(f"{k} {v:.1f} s" for k, v in startup.items()))
    print(f"{table.machine.iloc[0]}; load average before {table.load_before.iloc[0]}, after {table.load_after.iloc[0]}")
    atomic_write_bytes(RESULTS, table.to_csv(index=False, float_format="%.4g").encode())
    return table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 120)
