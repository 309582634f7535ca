"""Print how much faster `reproduce --jobs N` is than one notebook at a time, and check that
the outputs are the same.

Runs every notebook on a profile (default: smoke) once to warm the corpora and the feature
cache, then with --jobs 1 and --jobs N into separate scratch folders, one after the other, and
prints both wall times, their ratio and whether every PNG and CSV is byte-identical between
the two. A benchmark, never a test: the ratio depends on what else the machine is doing.

Usage: python benchmarks/reproduce_jobs.py [PROFILE] [N]
"""
from __future__ import annotations

import filecmp
import sys
import tempfile
import time
from pathlib import Path

from helpers import reproduce


def timed_run(profile: str, jobs: int, folder: Path) -> float:
    start = time.perf_counter()
    results = reproduce.run(profile=profile, output_dir=folder, figures_dir=folder / "figures", progress=False,
                            echo=lambda *_: None, jobs=jobs)
    failed = [r.notebook for r in results if r.status != "ok"]
    if failed:
        raise SystemExit(f"failed with --jobs {jobs}: {', '.join(failed)}")
    return time.perf_counter() - start


def differing_files(first: Path, second: Path) -> list[str]:
    """Outputs (PNG, CSV) that are missing from `second` or differ from `first` byte for byte."""
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.suffix in (".png", ".csv"))
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    return mismatch + errors


def main(profile: str = "smoke", jobs: int = 2) -> float:
    with tempfile.TemporaryDirectory(prefix="serxai-bench-jobs-") as tmp:
        tmp = Path(tmp)
        timed_run(profile, 1, tmp / "warm-up")
        serial = timed_run(profile, 1, tmp / "jobs1")
        parallel = timed_run(profile, jobs, tmp / f"jobs{jobs}")
        different = differing_files(tmp / "jobs1" / "figures", tmp / f"jobs{jobs}" / "figures")
    ratio = serial / parallel
    print(f"profile {profile}: --jobs 1 {serial:.1f} s, --jobs {jobs} {parallel:.1f} s, ratio {ratio:.2f}x")
    print("outputs byte-identical" if not different else f"outputs differ: {', '.join(different)}")
    return ratio


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "smoke", int(sys.argv[2]) if len(sys.argv) > 2 else 2)
