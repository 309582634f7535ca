"""How far do the faithfulness verdicts move with the corpus seed?

Runs the faithfulness notebook on a profile at two seeds (each seed sets the synthetic corpora,
the first training seed and the bootstraps), into scratch folders, and prints how many of the
40 verdicts (model learned, located, faithful, sane for each row) agree, and which moved with
the interval behind them in each run. Trained results come from the result cache when a run
with the same code and data is already there. A benchmark, never a test: it trains every model
twice (the default profile takes about 5 min per seed on two cores, `seeds5` about 9).

Usage: python benchmarks/verdict_stability.py [PROFILE|default] [SEED SEED]
The README and the faithfulness notebook quote `default 7 17` and `seeds5 7 17`.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

from helpers import faithfulness as fa
from helpers import reproduce


def verdicts_at(profile: str | None, seed: int, folder: Path) -> pd.DataFrame:
    [result] = reproduce.run(["faithfulness"], profile=profile, overrides={"seed": seed}, output_dir=folder,
                             figures_dir=folder / "figures", progress=False, echo=lambda *_: None)
    if result.status != "ok":
        raise SystemExit(f"faithfulness failed at seed {seed}: {result.error}")
    print(f"seed {seed}: {result.seconds:.0f} s wall, {result.cpu_s:.0f} s CPU, peak {result.peak_rss_mb:.0f} MB", flush=True)
    return pd.read_csv(folder / "figures" / "faithfulness" / "table_verdicts.csv", keep_default_na=False, dtype=str)


def main(profile: str = "default", seeds=(7, 17)) -> int:
    chosen = None if profile == "default" else profile
    with tempfile.TemporaryDirectory(prefix="serxai-bench-verdicts-") as tmp:
        first, second = (verdicts_at(chosen, s, Path(tmp) / f"seed{s}") for s in seeds)
    same, total, moved = fa.verdict_agreement(first, second)
    print(f"profile {profile}, seeds {seeds[0]} vs {seeds[1]}: {same} of {total} verdicts agree")
    if len(moved):
        print(moved.rename(columns={"first": f"seed {seeds[0]}", "second": f"seed {seeds[1]}"}).to_string(index=False))
    return same


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "default", tuple(int(a) for a in args[1:3]) if len(args) >= 3 else (7, 17))
