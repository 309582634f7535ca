"""Scores for explanations against planted ground truth, and the sanity checks of the XAI literature.

The planted-cue corpus records where each emotion's cue was put (a time window, a frequency
band, or one eGeMAPS family), so an explanation can be graded, not just looked at:

- `mass_fraction` / `normalised_mass`: share of the positive relevance inside the planted
  region; normalised so that 0 is what a map blind to the cue scores (the region's share)
  and 1 is all mass inside. Relevance mass inside a region divided by the region's share
  is `mass_ratio` (1 = chance).
- `pointing_game`: is the single most relevant element inside the region (chance: the
  region's share; for rankings over n units: 1/n).
- `rank_score`: where the planted unit (band, family) lands in the ranking, 1 = first,
  0 = last, 0.5 = what a random ranking gives on average.
- `perturbation_curve`: deletion (remove the most relevant units first; a faithful map
  makes the model's score drop fast, low area) and insertion (add them first to a blank
  input; fast rise, high area), each against random orders (Petsiuk et al. 2018, RISE;
  Samek et al. 2017 for region perturbation).
- `rank_similarity`: Spearman correlation between the explanation of the trained model and
  that of a model with randomised weights (Adebayo et al. 2018, sanity checks); an
  explanation that barely changes does not depend on what the model learned.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InvalidParameterError, check_choice
from .evaluation import bootstrap_ci

KINDS = ("deletion", "insertion")
SIMILARITY_LIMIT = 0.5  # our threshold: Spearman ρ at or above this counts as "barely changed"


def _region(relevance, region) -> tuple[np.ndarray, np.ndarray]:
    relevance = np.asarray(relevance, dtype=np.float64)
    region = np.asarray(region, dtype=bool)
    if relevance.shape != region.shape:
        raise InvalidParameterError(f"relevance {relevance.shape} and region {region.shape} must have one shape")
    if not region.any() or region.all():
        raise InvalidParameterError("the planted region must cover some but not all of the map")
    return relevance, region


def region_share(region) -> float:
    return float(np.asarray(region, dtype=bool).mean())


def mass_fraction(relevance, region) -> float:
    """Share of the positive relevance inside the region (NaN if the map has no positive mass)."""
    relevance, region = _region(relevance, region)
    positive = np.clip(relevance, 0, None)
    total = positive.sum()
    return float(positive[region].sum() / total) if total > 0 else float("nan")


def mass_ratio(relevance, region) -> float:
    """Mass fraction divided by the region's share: 1 = chance, 1/share = everything inside."""
    return mass_fraction(relevance, region) / region_share(region)


def normalised_mass(relevance, region) -> float:
    """(mass fraction − share) / (1 − share): 0 = chance, 1 = all mass inside, < 0 = avoids it."""
    share = region_share(region)
    return (mass_fraction(relevance, region) - share) / (1 - share)


def pointing_game(relevance, region) -> float:
    """1.0 if the most relevant element lies inside the region, else 0.0 (first maximum wins)."""
    relevance, region = _region(relevance, region)
    return float(region.ravel()[int(np.argmax(relevance.ravel()))])


def rank_of(scores, truth: int) -> int:
    """1-based rank of unit `truth` when units are sorted by decreasing score (ties: lower index first)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not 0 <= truth < len(scores):
        raise InvalidParameterError(f"planted unit {truth} is not one of the {len(scores)} units")
    order = np.argsort(-scores, kind="stable")
    return int(np.flatnonzero(order == truth)[0]) + 1


def rank_score(scores, truth: int) -> float:
    """(n − rank) / (n − 1): 1 = the planted unit ranks first, 0 = last, 0.5 = random on average."""
    n = len(np.asarray(scores))
    if n < 2:
        raise InvalidParameterError("a ranking needs at least two units")
    return (n - rank_of(scores, truth)) / (n - 1)


def unit_relevance(relevance, units) -> np.ndarray:
    """Summed relevance of every unit; `units` holds each element's unit id (−1: never perturbed)."""
    relevance, units = np.asarray(relevance, dtype=np.float64), np.asarray(units)
    if relevance.shape != units.shape:
        raise InvalidParameterError(f"relevance {relevance.shape} and units {units.shape} must have one shape")
    n_units = int(units.max()) + 1
    keep = units >= 0
    return np.bincount(units[keep], weights=relevance[keep], minlength=n_units)


def most_relevant_first(relevance, units) -> np.ndarray:
    """Unit ids by decreasing summed relevance (ties: lower id first)."""
    return np.argsort(-unit_relevance(relevance, units), kind="stable")


def perturbed_inputs(x, baseline, units, order, kind: str = "deletion") -> np.ndarray:
    """(n_units + 1, *x.shape): step k removes (deletion) or restores (insertion) the first k units of `order`."""
    check_choice("kind", kind, KINDS)
    x, units = np.asarray(x), np.asarray(units)
    baseline = np.broadcast_to(np.asarray(baseline, dtype=x.dtype), x.shape)
    order = np.asarray(order)
    steps = []
    for k in range(len(order) + 1):
        switched = np.isin(units, order[:k])
        steps.append(np.where(switched, baseline, x) if kind == "deletion" else np.where(switched, x, baseline))
    return np.stack(steps)


def perturbation_curve(predict, x, baseline, units, order, kind: str = "deletion") -> np.ndarray:
    """Model score after each step of `perturbed_inputs`; `predict` maps a batch to one score per input."""
    scores = np.asarray(predict(perturbed_inputs(x, baseline, units, order, kind)), dtype=np.float64)
    if scores.shape != (len(order) + 1,):
        raise InvalidParameterError(f"predict must return one score per input, got shape {scores.shape}")
    return scores


def area_under(curve) -> float:
    """Trapezoidal area of a curve sampled at evenly spaced fractions 0…1."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(np.trapezoid(curve, np.linspace(0, 1, len(curve))))


def random_orders(n_units: int, n_orders: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.permutation(n_units) for _ in range(n_orders)]


def curves_for(predict, x, baseline, units, relevance, rng, n_random: int = 3) -> pd.DataFrame:
    """Deletion and insertion curves of one input, for the explanation's order and `n_random`
    random orders, in one batched call per kind. Long format: kind, order, step, fraction, score."""
    units = np.asarray(units)
    n_units = int(units.max()) + 1
    orders = {"explanation": most_relevant_first(relevance, units)}
    orders.update({f"random {j}": o for j, o in enumerate(random_orders(n_units, n_random, rng))})
    rows = []
    for kind in KINDS:
        batch = np.concatenate([perturbed_inputs(x, baseline, units, o, kind) for o in orders.values()])
        scores = np.asarray(predict(batch), dtype=np.float64).reshape(len(orders), n_units + 1)
        for name, curve in zip(orders, scores):
            rows.append(pd.DataFrame({"kind": kind, "order": "explanation" if name == "explanation" else "random",
                                      "draw": name, "step": np.arange(n_units + 1),
                                      "fraction": np.linspace(0, 1, n_units + 1), "score": curve}))
    return pd.concat(rows, ignore_index=True)


def curve_areas(curves: pd.DataFrame, keys=("method", "cue_type", "item")) -> pd.DataFrame:
    """Area under each curve, the random orders averaged per item: one row per key × kind with
    `auc_explanation`, `auc_random` and `gain` (random − explanation for deletion, the reverse
    for insertion; > 0 means the explanation beats a random order)."""
    keys = [k for k in keys if k in curves.columns]
    areas = (curves.groupby([*keys, "kind", "order", "draw"], sort=True).score.apply(area_under)
             .groupby([*keys, "kind", "order"]).mean().unstack("order").reset_index())
    areas = areas.rename(columns={"explanation": "auc_explanation", "random": "auc_random"})
    sign = np.where(areas.kind == "deletion", 1.0, -1.0)
    areas["gain"] = sign * (areas.auc_random - areas.auc_explanation)
    return areas


def rank_similarity(a, b) -> float:
    """Spearman ρ between two explanations (flattened); NaN when either is constant."""
    a, b = np.ravel(np.asarray(a, dtype=np.float64)), np.ravel(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        raise InvalidParameterError(f"explanations of shapes {a.shape} and {b.shape} cannot be compared")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def summarise(values: pd.DataFrame, value: str, keys, seed: int = 0) -> pd.DataFrame:
    """Mean and 95 % bootstrap CI of `value` per group of `keys`, with the number of items."""
    rows = []
    for group, part in values.groupby(list(keys), sort=False):
        mean, low, high = bootstrap_ci(part[value].to_numpy(), seed=seed)
        rows.append(dict(zip(keys, group if isinstance(group, tuple) else (group,)), mean=mean, ci_low=low,
                         ci_high=high, n=int(np.isfinite(part[value]).sum())))
    return pd.DataFrame(rows)


def sanity_verdict(similarity: float, limit: float = SIMILARITY_LIMIT) -> str:
    if not np.isfinite(similarity):
        return "n/a"
    return "passes (changes)" if similarity < limit else "fails (barely changes)"
