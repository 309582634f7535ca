"""Verdicts for the paper-vs-run tables that can go either way.

A paper-vs-run row may say `yes` or `no` only when a test decided it that could have
gone the other way. Where sampling noise decides (few clips, folds, utterances), the test is
a bootstrap confidence interval: `yes` when the interval of (ours − reference) lies wholly on
the side the paper claims, `no` when it lies wholly on the other side, `unclear` when it
straddles the threshold. Rows true by construction, or about a model that is not the
paper's (an offline stand-in), are `n/a`; `helpers.plotting.paper_vs_run` refuses them
with a yes/no.
"""
from __future__ import annotations

import numpy as np

BASES = ("paper text", "paper figure (read by eye)", "authors' repository", "by construction")
AGREES_VALUES = ("yes", "no", "unclear", "n/a")
DIRECTIONS = (">", "<")
STAND_IN_MARK = "stand-in"


def format_ci(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """'0.12 [0.03, 0.20]': estimate with its 95 % interval, signed when it is a difference."""
    return f"{estimate:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"


def bootstrap_difference(a, b=None, *, paired: bool = False, n_boot: int = 2000, seed: int = 0,
                         confidence: float = 0.95, statistic=np.mean) -> tuple[float, float, float]:
    """(estimate, low, high) of statistic(a) − statistic(b) by percentile bootstrap.

    `b=None` tests `a` alone against 0. `paired=True` resamples pairs (a_i − b_i), as for two
    scores of the same clip; otherwise each sample is resampled on its own.
    """
    a = np.asarray(a, dtype=float)
    rng = np.random.default_rng(seed)
    if b is None or paired:
        values = a if b is None else a - np.asarray(b, dtype=float)
        if b is not None and len(a) != len(b):
            raise ValueError(f"paired samples need equal lengths, got {len(a)} and {len(b)}")
        values = values[np.isfinite(values)]
        if len(values) == 0:
            return float("nan"), float("nan"), float("nan")
        draws = statistic(values[rng.integers(0, len(values), (n_boot, len(values)))], axis=1)
        estimate = float(statistic(values))
    else:
        b = np.asarray(b, dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if len(a) == 0 or len(b) == 0:
            return float("nan"), float("nan"), float("nan")
        draws = (statistic(a[rng.integers(0, len(a), (n_boot, len(a)))], axis=1)
                 - statistic(b[rng.integers(0, len(b), (n_boot, len(b)))], axis=1))
        estimate = float(statistic(a) - statistic(b))
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return estimate, float(low), float(high)


def verdict_from_ci(low: float, high: float, direction: str = ">", threshold: float = 0.0) -> str:
    """'yes' if the whole interval is on the claimed side of `threshold`, 'no' if wholly on
    the other side, else 'unclear' (also for a NaN interval: too few values to decide)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if not (np.isfinite(low) and np.isfinite(high)):
        return "unclear"
    above, below = low > threshold, high < threshold
    if direction == ">":
        return "yes" if above else "no" if below else "unclear"
    return "yes" if below else "no" if above else "unclear"


def compare(a, b=None, *, direction: str = ">", threshold: float = 0.0, paired: bool = False,
            seed: int = 0, digits: int = 2, n_boot: int = 2000) -> dict:
    """One noise-decided row's fields: `this_run` (estimate with CI), `agrees`, `sampling_noise`.

    Claim tested: mean(a) − mean(b) `direction` `threshold` (b=None: mean(a) alone).
    """
    estimate, low, high = bootstrap_difference(a, b, paired=paired, seed=seed, n_boot=n_boot)
    return {"this_run": format_ci(estimate, low, high, digits),
            "agrees": verdict_from_ci(low, high, direction, threshold),
            "sampling_noise": "yes"}


def row(item: str, paper: str, this_run, *, basis: str, agrees: str = "n/a", note: str = "",
        dataset: str | None = None, sampling_noise: str = "no") -> dict:
    """A paper-vs-run row with every field named; `dataset` overrides the table's for this row."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    out = {"item": item, "paper": paper, "this_run": this_run, "agrees": agrees,
           "basis": basis, "sampling_noise": sampling_noise, "note": note}
    if dataset is not None:
        out["dataset"] = dataset
    return out


def has_ci(text: str) -> bool:
    """Does a cell carry an interval '[low, high]'?"""
    import re

    return re.search(r"\[\s*[-+]?[\d.]+(e-?\d+)?\s*,\s*[-+]?[\d.]+(e-?\d+)?\s*\]", str(text)) is not None


def problems(table) -> list[str]:
    """Why a paper-vs-run table breaks the verdict rules (empty list: it keeps them)."""
    found = []
    for i, r in enumerate(table.to_dict("records")):
        where = f"row {i} ({str(r.get('item', ''))[:60]!r})"
        agrees, basis = str(r.get("agrees", "")), str(r.get("basis", ""))
        if agrees not in AGREES_VALUES:
            found.append(f"{where}: agrees {agrees!r} is not one of {AGREES_VALUES}")
        if basis not in BASES:
            found.append(f"{where}: basis {basis!r} is not one of {BASES}")
        decided = agrees in ("yes", "no")
        if decided and basis == "by construction":
            found.append(f"{where}: {agrees!r} on a row true by construction (must be n/a)")
        if decided and STAND_IN_MARK in str(r.get("dataset", "")):
            found.append(f"{where}: {agrees!r} on a row about a stand-in model (must be n/a)")
        noisy = str(r.get("sampling_noise", "")) == "yes"
        if decided and noisy and not (has_ci(r.get("this_run", "")) or has_ci(r.get("note", ""))):
            found.append(f"{where}: {agrees!r} decided under sampling noise without a CI in this_run or note")
    return found
