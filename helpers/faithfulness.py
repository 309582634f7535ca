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
- `curves_for`: deletion (remove the most relevant units first; a faithful map
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


def area_under(curve) -> float:
    """Trapezoidal area of a curve sampled at evenly spaced fractions 0…1."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(np.trapezoid(curve, np.linspace(0, 1, len(curve))))


def random_orders(n_units: int, n_orders: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.permutation(n_units) for _ in range(n_orders)]


def curves_for(predict, x, baseline, units, relevance, rng, n_random: int = 3) -> pd.DataFrame:
    """Deletion and insertion curves of one input, for the explanation's order and `n_random`
    random orders, in one batched call per kind. Long format: kind, order, draw, step, fraction, score."""
    units = np.asarray(units)
    n_units = int(units.max()) + 1
    orders = {"explanation": most_relevant_first(relevance, units)}
    orders.update({f"random {j}": o for j, o in enumerate(random_orders(n_units, n_random, rng))})
    rows = []
    for kind in KINDS:
        batch = np.concatenate([perturbed_inputs(x, baseline, units, o, kind) for o in orders.values()])
        scores = np.asarray(predict(batch), dtype=np.float64)
        if scores.shape != (len(batch),):
            raise InvalidParameterError(f"predict must return one score per input, got shape {scores.shape}")
        scores = scores.reshape(len(orders), n_units + 1)
        for name, curve in zip(orders, scores):
            rows.append(pd.DataFrame({"kind": kind, "order": "explanation" if name == "explanation" else "random",
                                      "draw": name, "step": np.arange(n_units + 1),
                                      "fraction": np.linspace(0, 1, n_units + 1), "score": curve}))
    return pd.concat(rows, ignore_index=True)


def normalise_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Add `normalised` = (score − mean score of the all-baseline inputs) / (mean score of the
    originals − that), over all items of one model, so models with different score scales
    share one axis (1 = original input, 0 = baseline). Per-item spans would blow up on items
    whose original and baseline scores happen to be close."""
    deletion = curves[(curves.kind == "deletion") & (curves.draw == "explanation")]
    last = deletion.groupby("item" if "item" in curves else "kind").step.transform("max")
    original, blank = deletion[deletion.step == 0].score.mean(), deletion[deletion.step == last].score.mean()
    span = original - blank
    return curves.assign(normalised=(curves.score - blank) / span if abs(span) > 1e-12 else np.nan)


def curve_areas(curves: pd.DataFrame, keys=("method", "cue_type", "item"), value: str = "normalised") -> pd.DataFrame:
    """Area under each curve, the random orders averaged per item: one row per key × kind with
    `auc_explanation`, `auc_random` and `gain` (random − explanation for deletion, the reverse
    for insertion; > 0 means the explanation beats a random order)."""
    keys = [k for k in keys if k in curves.columns]
    areas = (curves.groupby([*keys, "kind", "order", "draw"], sort=True)[value].apply(area_under)
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


# ------------------------------------------------------------------ tables and figures over benchmarks

METRICS = ("rank score", "pointing game", "normalised mass")


def _label(b) -> str:
    return f"{b.method} [{b.cue_type}]"


def score_table(benchmarks, seed: int = 0) -> pd.DataFrame:
    """Method × cue type × metric: mean with 95 % bootstrap CI over explained items, the chance
    level, the model's held-out accuracy, and whether the CI lies above chance."""
    rows = []
    for b in benchmarks:
        if not len(b.scores):
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, metric="(no item explained)", n=0))
            continue
        summary = summarise(b.scores, "value", ["metric"], seed)
        chance = b.scores.groupby("metric").chance.mean()
        for r in summary.itertuples():
            above = "n/a" if not np.isfinite(r.ci_low) else ("yes" if r.ci_low > chance[r.metric] else "no")
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, metric=r.metric, mean=r.mean,
                             ci_low=r.ci_low, ci_high=r.ci_high, chance=chance[r.metric], maximum=1.0, n=r.n,
                             above_chance=above, model_accuracy=b.accuracy, model_chance=b.chance_accuracy))
    table = pd.DataFrame(rows)
    metric_rank = table.metric.map({m: i for i, m in enumerate(METRICS)}).fillna(len(METRICS))
    return (table.assign(_rank=metric_rank).sort_values(["cue_type", "method", "_rank"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def area_table(benchmarks, seed: int = 0) -> pd.DataFrame:
    """Method × cue × kind: mean areas under the normalised curves (explanation, random orders)
    and the gain over random with its 95 % bootstrap CI."""
    rows = []
    for b in benchmarks:
        if not len(b.curves):
            continue
        areas = curve_areas(b.curves, keys=("item",))
        for kind, part in areas.groupby("kind", sort=False):
            gain, low, high = bootstrap_ci(part.gain.to_numpy(), seed=seed)
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, kind=kind,
                             auc_explanation=part.auc_explanation.mean(), auc_random=part.auc_random.mean(),
                             gain=gain, ci_low=low, ci_high=high, n=len(part),
                             beats_random="n/a" if not np.isfinite(low) else ("yes" if low > 0 else "no")))
    return pd.DataFrame(rows)


def sanity_table(benchmarks, seed: int = 0, limit: float = SIMILARITY_LIMIT) -> pd.DataFrame:
    """Method × cue: mean Spearman ρ between trained-model and randomised-model explanations."""
    rows = []
    for b in benchmarks:
        if not len(b.sanity):
            continue
        for test, part in b.sanity.groupby("test", sort=False):
            rho, low, high = bootstrap_ci(part.similarity.to_numpy(), seed=seed)
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, test=test, similarity=rho,
                             ci_low=low, ci_high=high, n=int(np.isfinite(part.similarity).sum()),
                             verdict=sanity_verdict(rho, limit)))
    return pd.DataFrame(rows)


def scaled_to_chance(table: pd.DataFrame) -> pd.DataFrame:
    """(value − chance) / (maximum − chance) for mean and CI: 0 = chance, 1 = perfect, for every metric."""
    span = table.maximum - table.chance
    return table.assign(**{c: (table[c] - table.chance) / span for c in ("mean", "ci_low", "ci_high")})


def plot_scores(axes, table: pd.DataFrame) -> pd.DataFrame:
    """One panel per metric: chance-scaled score of each method × cue with its CI. Returns the plotted numbers."""
    scaled = scaled_to_chance(table[table.metric.isin(METRICS)])
    scaled = scaled.assign(label=scaled.method + " [" + scaled.cue_type + "]")
    labels = sorted(scaled.label.unique(), key=lambda s: (s.split("[")[-1], s))
    for ax, metric in zip(axes, METRICS):
        part = scaled[scaled.metric == metric].set_index("label").reindex(labels)
        pos = np.arange(len(labels))
        err = np.vstack([part["mean"] - part.ci_low, part.ci_high - part["mean"]])
        ax.barh(pos, part["mean"], xerr=np.nan_to_num(err), color="#4c72b0", capsize=2)
        ax.axvline(0, color="k", lw=0.8)
        ax.axvline(1, color="0.6", lw=0.8, ls="--")
        ax.set(title=metric, xlabel="0 = chance, 1 = perfect", xlim=(-1.05, 1.05))
    axes[0].set_yticks(np.arange(len(labels)), labels, fontsize=7)  # the panels share this axis
    axes[0].set_ylim(len(labels) - 0.5, -0.5)  # first label on top
    return scaled.drop(columns="label")


def mean_curves(benchmarks) -> pd.DataFrame:
    """Mean normalised curve per method × cue × kind × order over items (random draws pooled)."""
    frames = [b.tagged(b.curves) for b in benchmarks if len(b.curves)]
    if not frames:
        return pd.DataFrame(columns=["method", "cue_type", "kind", "order", "fraction", "normalised"])
    curves = pd.concat(frames, ignore_index=True)
    return curves.groupby(["method", "cue_type", "kind", "order", "fraction"], sort=True).normalised.mean().reset_index()


def plot_curves(fig, curves: pd.DataFrame):
    """Rows: method × cue; columns: deletion, insertion; explanation order vs random orders."""
    keys = list(curves.groupby(["cue_type", "method"]).groups)
    axes = fig.subplots(len(keys), 2, sharex=True, squeeze=False)
    for row, (cue, method) in enumerate(keys):
        for col, kind in enumerate(KINDS):
            ax = axes[row, col]
            part = curves[(curves.method == method) & (curves.cue_type == cue) & (curves.kind == kind)]
            for order, style in (("explanation", "-"), ("random", "--")):
                line = part[part.order == order]
                ax.plot(line.fraction, line.normalised, style, label=f"{order} order")
            ax.set_title(f"{method} [{cue}]: {kind}", fontsize=7)
            ax.tick_params(labelsize=6)
            if row == len(keys) - 1:
                ax.set_xlabel("fraction of units removed" if kind == "deletion" else "fraction of units added", fontsize=7)
    axes[0, 0].legend(fontsize=6)
    fig.supylabel("model score (1 = original input, 0 = all units at baseline)", fontsize=8)
    return axes


LEARNED_MARGIN = 0.1  # our threshold: a model counts as having learned when it beats chance by 10 points


def verdict_table(scores: pd.DataFrame, areas: pd.DataFrame, sanity: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """One row per method × cue type: did the model learn, is the cue located above chance
    (pointing game or rank CI above chance), do deletion/insertion beat random, is it sane."""
    def yes_no(values, good="yes"):
        values = [v for v in values if v in ("yes", "no")]
        return "n/a" if not values else ("yes" if good in values else "no")

    rows = []
    for m in models.itertuples():
        key = (scores.method == m.method) & (scores.cue_type == m.cue_type)
        located = scores[key & scores.metric.isin(["pointing game", "rank score"])]
        mass = scores[key & (scores.metric == "normalised mass")]["mean"]
        curve = areas[(areas.method == m.method) & (areas.cue_type == m.cue_type)] if len(areas) else areas
        sane = sanity[(sanity.method == m.method) & (sanity.cue_type == m.cue_type)] if len(sanity) else sanity
        learned = "n/a" if not np.isfinite(m.held_out_accuracy) else (
            "yes" if m.held_out_accuracy > m.chance + LEARNED_MARGIN else "no")
        row = dict(method=m.method, cue_type=m.cue_type, model_learned=learned,
                   located=yes_no(located.above_chance.tolist()) if len(located) else "n/a",
                   normalised_mass=f"{mass.iloc[0]:.2f}" if len(mass) and np.isfinite(mass.iloc[0]) else "n/a",
                   faithful=yes_no(curve.beats_random.tolist()) if len(curve) else "n/a",
                   sane=yes_no(["yes" if v.startswith("passes") else "no" if v.startswith("fails") else v
                                for v in sane.verdict]) if len(sane) else "n/a")
        rows.append(row)
    return pd.DataFrame(rows)
