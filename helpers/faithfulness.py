"""Scores for explanations against planted ground truth, the sanity checks of the XAI
literature, and the verdict rules that turn them into yes / no / undecided / n/a.

The planted-cue corpus records where each emotion's cue was put (a time window, a frequency
band, or one eGeMAPS family), so an explanation can be graded, not just looked at:

- `mass_fraction` / `normalised_mass`: share of the positive relevance inside the planted
  region; normalised so that 0 is what a map blind to the cue scores (the region's share)
  and 1 is all mass inside. `mass_fraction` is Quantus' RelevanceMassAccuracy on a
  non-negative map (tests/test_faithfulness_quantus.py).
- `pointing_game`: is the single most relevant element inside the region.
- `pool_to_grid` / `pool_components`: a spectrogram map (any bins, any frame rate) or
  EmoLIME's component weights put into one shared grid (16 Mel-spaced bands × 0.1 s), where
  the normalised mass ("pooled mass") is scored in the same Hz × time units for every method.
- `rank_score`: where the planted unit (band, family) lands in the ranking, 1 = first,
  0 = last, 0.5 = what a random ranking gives on average.
- `curves_for`: deletion (remove the most relevant units first; a faithful map
  makes the model's score drop fast, low area) and insertion (add them first to the
  removed state; fast rise, high area), each against random orders (Petsiuk et al. 2018,
  RISE; Samek et al. 2017 for region perturbation).
- `similarities`: Spearman ρ of the signed maps and of their magnitudes between two
  explanations (Adebayo et al. 2018, sanity checks).

Verdicts (`verdict_row`): one primary metric per cue type (`PRIMARY`); the null is the same
explainer on a randomised model, scored on the same files; intervals are hierarchical
bootstrap CIs over training seeds, speakers and files (`hierarchical_bootstrap`); the outcome
is three-way against a margin `DELTA` (`three_way`), at most undecided for a row that explains
fewer than `MIN_ITEMS` items, and n/a when the model did not learn (`learned_threshold`).
`summary_sentences` writes the README's summary from the table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InvalidParameterError, check_choice

KINDS = ("deletion", "insertion")



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


def normalise_curves(curves: pd.DataFrame, by: str = "emotion") -> pd.DataFrame:
    """Add `normalised` = (score − mean score of the all-baseline inputs) / (mean score of the
    originals − that), per class (`by`, when present) over all items of one model, so classes
    and models with different score scales share one axis (1 = original input, 0 = every unit
    removed). Per-item spans would blow up on items whose original and removed scores happen to
    be close; one span for all classes lets the easiest class set the scale of the others."""
    deletion = curves[(curves.kind == "deletion") & (curves.draw == "explanation")]
    last_key = [k for k in ("seed", "item") if k in curves] or ["kind"]
    last = deletion.groupby(last_key).step.transform("max")
    groups = [by] if by in curves else []
    ends = deletion.assign(_first=deletion.step == 0, _last=deletion.step == last)
    if groups:
        original = ends[ends._first].groupby(groups).score.mean()
        blank = ends[ends._last].groupby(groups).score.mean()
        span = (original - blank).where(lambda v: v.abs() > 1e-12)
        b, sp = curves[by].map(blank), curves[by].map(span)
    else:
        b = ends[ends._last].score.mean()
        sp = ends[ends._first].score.mean() - b
        sp = sp if abs(sp) > 1e-12 else np.nan
    return curves.assign(normalised=(curves.score - b) / sp)


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


# ------------------------------------------------------------------ randomisation test

def rank_similarity(a, b) -> float:
    """Spearman ρ between two explanations (flattened); NaN when either is constant."""
    a, b = np.ravel(np.asarray(a, dtype=np.float64)), np.ravel(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        raise InvalidParameterError(f"explanations of shapes {a.shape} and {b.shape} cannot be compared")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def similarities(a, b, magnitude_a=None, magnitude_b=None) -> dict:
    """Spearman ρ of the signed maps and of their absolute values (both are reported: a
    magnitude map of w·(x − μ) correlates with the input's own deviations whatever w is).
    `magnitude_*` replace |a|, |b| when the graded magnitude is not the signed map's absolute value."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    magnitude_a = np.abs(a) if magnitude_a is None else magnitude_a
    magnitude_b = np.abs(b) if magnitude_b is None else magnitude_b
    return {"rho_signed": rank_similarity(a, b), "rho_abs": rank_similarity(magnitude_a, magnitude_b)}


# ------------------------------------------------------------------ hierarchical CIs, three-way verdicts

LEVELS = ("seed", "speaker", "item")  # resampled in this order: training seeds, then speakers, then files
N_BOOT = 1000
DELTA = 0.05  # our margin over the null, in the primary metric's units (rank, normalised mass, gain, ρ)
LEARNED_MARGIN = 0.1  # a model learned when its accuracy beats chance by 10 % of the way from chance to 1
MIN_ITEMS = 10  # fewer explained items than this decide nothing about the explanation (see `verdict_row`)
VERDICTS = ("yes", "no", "undecided", "n/a")


def _nest(frame: pd.DataFrame, value: str, levels):
    if not levels:
        return frame[value].to_numpy(dtype=np.float64)
    return [_nest(part, value, levels[1:]) for _, part in frame.groupby(levels[0], sort=True)]


def _nested_mean(node) -> float:
    return float(np.mean(node)) if isinstance(node, np.ndarray) else float(np.mean([_nested_mean(n) for n in node]))


def _draws(node, m: int, rng) -> np.ndarray:
    """m independent bootstrap draws of a node's nested mean (children resampled with
    replacement, each picked child drawn afresh), vectorised per level."""
    if isinstance(node, np.ndarray):
        return node[rng.integers(0, len(node), (m, len(node)))].mean(axis=1)
    picks = rng.integers(0, len(node), (m, len(node)))
    values = np.empty(picks.shape)
    for j, child in enumerate(node):
        where = picks == j
        values[where] = _draws(child, int(where.sum()), rng)
    return values.mean(axis=1)


def hierarchical_bootstrap(frame: pd.DataFrame, value: str, levels=LEVELS, n_boot: int = N_BOOT, seed: int = 0,
                           confidence: float = 0.95) -> tuple[float, float, float]:
    """(estimate, low, high): mean of `value` as a mean over seeds of means over speakers of
    means over files, and its percentile interval when seeds, then speakers within a seed,
    then files within a speaker are resampled with replacement. Levels missing from `frame`
    are skipped; the last level present is resampled row by row."""
    frame = frame[np.isfinite(frame[value].to_numpy(dtype=np.float64))]
    if frame.empty:
        return float("nan"), float("nan"), float("nan")
    groups = [level for level in levels if level in frame.columns][:-1]
    tree = _nest(frame, value, groups)
    rng = np.random.default_rng(seed)
    draws = _draws(tree, n_boot, rng)
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return _nested_mean(tree), float(low), float(high)


def three_way(low: float, high: float, threshold: float) -> str:
    """'yes' if the whole interval lies above `threshold`, 'no' if wholly below, else 'undecided'."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "undecided"
    return "yes" if low > threshold else "no" if high < threshold else "undecided"


def format_ci(estimate: float, low: float, high: float, digits: int = 2) -> str:
    if not np.isfinite(estimate):
        return "n/a"
    return f"{estimate:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def learned_threshold(chance: float, margin: float = LEARNED_MARGIN) -> float:
    """Accuracy a model must beat to count as having learned: chance + margin × (1 − chance)."""
    return chance + margin * (1 - chance)


# ------------------------------------------------------------------ tables and figures over benchmarks

METRICS = ("rank score", "pointing game", "normalised mass", "pooled mass")
POOLED_METRIC = "pooled mass"  # normalised mass on the shared Hz × time grid (`pool_to_grid`, `pool_components`)
GRID_BANDS = 16  # Mel-spaced bands of the shared grid, 0–8 kHz
GRID_SPAN_S = 0.1  # time spans of the shared grid


def grid_band_edges(n_bands: int = GRID_BANDS, fmax: float = 8000.0) -> np.ndarray:
    """Edges (Hz) of the shared grid's frequency bands: equal steps on the Mel scale."""
    import librosa

    return librosa.mel_frequencies(n_bands + 1, fmin=0.0, fmax=fmax)


def pool_to_grid(relevance, freqs_hz, times_s, band_edges, span_s: float = GRID_SPAN_S) -> np.ndarray:
    """Positive relevance of a (bins, frames) map summed into the shared grid's cells
    (bands × spans): each bin goes to the band holding its centre frequency, each frame to the
    span holding its time. Mass fractions do not change under pooling; what pooling changes is
    the unit of area, so that a CQT, a Mel map and a map of any resolution share one chance
    level (a cell's share of the grid)."""
    relevance = np.clip(np.asarray(relevance, dtype=np.float64), 0.0, None)
    band = np.clip(np.searchsorted(band_edges, np.asarray(freqs_hz), side="right") - 1, 0, len(band_edges) - 2)
    span = np.floor(np.asarray(times_s) / span_s).astype(int)
    span -= span.min()
    grid = np.zeros((len(band_edges) - 1, int(span.max()) + 1))
    np.add.at(grid, (band[:, None], span[None, :]), relevance)
    return grid


def pool_components(weights, component_edges_hz, band_edges) -> np.ndarray:
    """Positive weights of spectral components (EmoLIME's bands, [edge_k, edge_k+1) Hz) spread
    over the shared grid's bands in proportion to their overlap in Hz; one time span, since a
    component covers the whole utterance. Shape (bands, 1), like `pool_to_grid`'s output."""
    weights = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    comp, grid = np.asarray(component_edges_hz, dtype=np.float64), np.asarray(band_edges, dtype=np.float64)
    overlap = np.clip(np.minimum(comp[1:, None], grid[None, 1:]) - np.maximum(comp[:-1, None], grid[None, :-1]), 0.0, None)
    share = overlap / np.maximum(np.diff(comp)[:, None], 1e-12)
    return (weights @ share)[:, None]


def grid_region(cue_type: str, lo: float, hi: float, band_edges, times_s, span_s: float = GRID_SPAN_S) -> np.ndarray:
    """Cells of the shared grid covered at least half by the planted band [lo, hi) Hz (band
    cue) or window [lo, hi) s (time cue); same shape as `pool_to_grid`'s output."""
    spans = np.floor(np.asarray(times_s) / span_s).astype(int)
    first, n_spans = spans.min(), spans.max() - spans.min() + 1
    if cue_type == "time":
        starts = (first + np.arange(n_spans)) * span_s
        inside = (np.minimum(starts + span_s, hi) - np.maximum(starts, lo)) >= span_s / 2
        return np.broadcast_to(inside[None, :], (len(band_edges) - 1, n_spans)).copy()
    edges = np.asarray(band_edges)
    widths = np.diff(edges)
    inside = (np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo)) >= widths / 2
    return np.broadcast_to(inside[:, None], (len(edges) - 1, n_spans)).copy()
PRIMARY = {"family": "rank score", "band": POOLED_METRIC, "time": POOLED_METRIC}  # one per cue type


def score_table(benchmarks, seed: int = 0) -> pd.DataFrame:
    """Method × cue type × metric × model (trained, randomised): mean with its hierarchical 95 %
    CI (seeds → speakers → files), the theoretical chance level, numbers of files and seeds."""
    rows = []
    for b in benchmarks:
        if not len(b.scores):
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, metric="(no item explained)", n=0))
            continue
        for (metric, model), part in b.scores.groupby(["metric", "model"], sort=False):
            mean, low, high = hierarchical_bootstrap(part, "value", seed=seed)
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, metric=metric, model=model,
                             primary="yes" if metric == PRIMARY.get(b.cue_type) else "no", mean=mean, ci_low=low,
                             ci_high=high, chance=part.chance.mean(), n=int(np.isfinite(part.value).sum()),
                             seeds=part.seed.nunique()))
    table = pd.DataFrame(rows)
    metric_rank = table.metric.map({m: i for i, m in enumerate(METRICS)}).fillna(len(METRICS))
    return (table.assign(_rank=metric_rank).sort_values(["cue_type", "method", "_rank", "model"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def area_table(benchmarks, seed: int = 0) -> pd.DataFrame:
    """Method × cue × kind: mean areas under the normalised curves (explanation, random orders)
    and the gain over random with its hierarchical 95 % CI; `beats_random` is three-way vs DELTA."""
    rows = []
    for b in benchmarks:
        if not len(b.curves):
            continue
        keys = [k for k in ("seed", "speaker", "item") if k in b.curves]
        areas = curve_areas(b.curves, keys=keys)
        for kind, part in areas.groupby("kind", sort=False):
            gain, low, high = hierarchical_bootstrap(part, "gain", seed=seed)
            rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, kind=kind,
                             auc_explanation=part.auc_explanation.mean(), auc_random=part.auc_random.mean(),
                             gain=gain, ci_low=low, ci_high=high, n=len(part),
                             beats_random=three_way(low, high, DELTA)))
    return pd.DataFrame(rows)


def sanity_table(benchmarks, seed: int = 0) -> pd.DataFrame:
    """Method × cue × test: Spearman ρ of the signed and of the absolute maps, each with its
    hierarchical CI; `primary` names the form the location metrics grade."""
    rows = []
    for b in benchmarks:
        if not len(b.sanity):
            continue
        for test, part in b.sanity.groupby("test", sort=False):
            row = dict(method=b.method, paper=b.paper, cue_type=b.cue_type, test=test, primary=b.relevance_form)
            for form in ("signed", "abs"):
                rho, low, high = hierarchical_bootstrap(part, f"rho_{form}", seed=seed)
                row.update({f"rho_{form}": rho, f"rho_{form}_low": low, f"rho_{form}_high": high})
            row.update(n=int(np.isfinite(part[f"rho_{b.relevance_form}"]).sum()), seeds=part.seed.nunique())
            rows.append(row)
    return pd.DataFrame(rows)


def model_table(benchmarks, seed: int = 0) -> pd.DataFrame:
    """Did each model learn its cue? Accuracy on held-out speakers' files with its hierarchical CI,
    chance, the threshold `learned_threshold(chance)` and a three-way verdict against it."""
    rows = []
    for b in benchmarks:
        acc, low, high = hierarchical_bootstrap(b.predictions, "correct", seed=seed) if len(b.predictions) else (np.nan,) * 3
        threshold = learned_threshold(b.chance_accuracy)
        rows.append(dict(method=b.method, paper=b.paper, cue_type=b.cue_type, held_out_accuracy=acc, ci_low=low,
                         ci_high=high, chance=b.chance_accuracy, learned_threshold=threshold,
                         model_learned=three_way(low, high, threshold),
                         seeds=b.predictions.seed.nunique() if len(b.predictions) else 0,
                         explained_items=int(b.scores[b.scores.model == "trained"].groupby(["seed", "item"]).ngroups)
                         if len(b.scores) else 0))
    return pd.DataFrame(rows)


def _paired(frame: pd.DataFrame, column: str, value: str, first, second, keys=("seed", "speaker", "item")) -> pd.DataFrame:
    """Rows of `frame` pivoted on `column` and differenced: `diff` = value at first − value at second."""
    keys = [k for k in keys if k in frame]
    wide = frame.pivot_table(index=keys, columns=column, values=value, aggfunc="mean")
    if first not in wide or second not in wide:
        return pd.DataFrame(columns=[*keys, "diff"])
    return (wide[first] - wide[second]).rename("diff").reset_index()


def verdict_row(b, seed: int = 0, delta: float = DELTA) -> dict:
    """One method × cue type under the rules: one primary metric; located = CI of (trained −
    randomised model) on that metric above delta; faithful = CI of the deletion gain (twin as
    the removed state) above delta; sane = CI of (ρ between two trained seeds − ρ trained vs
    randomised) above delta; each yes / no / undecided, n/a when the model did not learn (sane
    also n/a without a between-seeds reference, e.g. a single run on a pretrained embedding).
    A row explaining fewer than `MIN_ITEMS` items is at most undecided on the explanation
    verdicts: a bootstrap over a handful of items does not estimate its own spread (four equal
    items give a zero-width interval although a fifth could differ)."""
    primary = PRIMARY[b.cue_type]
    learned = model_table([b], seed).iloc[0]
    scores = b.scores[b.scores.metric == primary] if len(b.scores) else b.scores
    trained = hierarchical_bootstrap(scores[scores.model == "trained"], "value", seed=seed) if len(scores) else (np.nan,) * 3
    null = hierarchical_bootstrap(scores[scores.model == "randomised"], "value", seed=seed) if len(scores) else (np.nan,) * 3
    diff = hierarchical_bootstrap(_paired(scores, "model", "value", "trained", "randomised"), "diff", seed=seed) \
        if len(scores) else (np.nan,) * 3
    row = dict(method=b.method, cue_type=b.cue_type, seeds=int(learned.seeds), files=int(learned.explained_items),
               accuracy=format_ci(learned.held_out_accuracy, learned.ci_low, learned.ci_high),
               learned_above=round(float(learned.learned_threshold), 3), model_learned=learned.model_learned,
               primary_metric=primary, score=format_ci(*trained), null_models=int(getattr(b, "null_draws", 1)),
               null=format_ci(*null),
               score_minus_null=format_ci(*diff), located=three_way(diff[1], diff[2], delta))
    gains = area_table([b], seed)
    gain = gains[gains.kind == "deletion"].iloc[0] if len(gains) else None
    row.update(deletion_gain=format_ci(gain.gain, gain.ci_low, gain.ci_high) if gain is not None else "n/a",
               faithful=three_way(gain.ci_low, gain.ci_high, delta) if gain is not None else "n/a")
    form = f"rho_{b.relevance_form}"
    sanity = b.sanity if len(b.sanity) else pd.DataFrame(columns=["test", form, "seed"])
    randomised = sanity[sanity.test == RANDOMISED_TEST]
    between = sanity[sanity.test == BETWEEN_SEEDS_TEST]
    rho_rand = hierarchical_bootstrap(randomised, form, seed=seed) if len(randomised) else (np.nan,) * 3
    rho_seeds = hierarchical_bootstrap(between, form, seed=seed) if len(between) else (np.nan,) * 3
    both = pd.concat([randomised, between])
    gap = hierarchical_bootstrap(_paired(both, "test", form, BETWEEN_SEEDS_TEST, RANDOMISED_TEST), "diff", seed=seed) \
        if len(between) else (np.nan,) * 3
    row.update(rho_form=b.relevance_form, rho_randomised=format_ci(*rho_rand), rho_between_seeds=format_ci(*rho_seeds),
               sane=three_way(gap[1], gap[2], delta) if len(randomised) and len(between) else "n/a")
    if row["files"] < MIN_ITEMS:
        row.update({column: "undecided" for column in ("located", "faithful", "sane") if row[column] in ("yes", "no")})
    if row["model_learned"] != "yes":
        row.update(located="n/a", faithful="n/a", sane="n/a")
    return row


RANDOMISED_TEST = "randomised model"  # weights re-drawn (a pretrained embedding: its random-init copy), or labels permuted for the models fitted in closed form
BETWEEN_SEEDS_TEST = "between two training seeds"


def verdict_table(benchmarks, seed: int = 0, delta: float = DELTA) -> pd.DataFrame:
    return pd.DataFrame([verdict_row(b, seed, delta) for b in benchmarks])


VERDICT_COLUMNS = ("model_learned", "located", "faithful", "sane")
_EVIDENCE = {"model_learned": "accuracy", "located": "score_minus_null", "faithful": "deletion_gain",
             "sane": "rho_between_seeds"}


def verdict_agreement(first: pd.DataFrame, second: pd.DataFrame) -> tuple[int, int, pd.DataFrame]:
    """How two verdict tables (e.g. two corpus seeds) agree: (verdicts equal, verdicts compared,
    one row per verdict that differs, with the interval behind it in each run). Rows are
    matched by method and cue type; a row missing from either table is an error."""
    keys = ["method", "cue_type"]
    both = first.merge(second, on=keys, how="outer", suffixes=("_first", "_second"), indicator=True)
    unmatched = both[both._merge != "both"]
    if len(unmatched):
        raise InvalidParameterError("the verdict tables have different rows: "
                                    + ", ".join(f"{r.method} [{r.cue_type}]" for r in unmatched.itertuples()))
    rows = []
    for column in VERDICT_COLUMNS:
        evidence = _EVIDENCE[column]
        for r in both[both[f"{column}_first"] != both[f"{column}_second"]].itertuples():
            rows.append(dict(method=r.method, cue_type=r.cue_type, verdict=column, first=getattr(r, f"{column}_first"),
                             second=getattr(r, f"{column}_second"), first_ci=getattr(r, f"{evidence}_first"),
                             second_ci=getattr(r, f"{evidence}_second")))
    compared = len(both) * len(VERDICT_COLUMNS)
    return compared - len(rows), compared, pd.DataFrame(rows, columns=["method", "cue_type", "verdict", "first", "second",
                                                                        "first_ci", "second_ci"])


def plot_scores(axes, table: pd.DataFrame) -> pd.DataFrame:
    """Two panels on shared units: the rank score of every method (its planted unit among its
    own units: family, component, bin group or time span), and the pooled mass of every band
    and time method on the shared Hz × time grid (the primary metric of those cue types). The
    trained model's explanations (bar, CI) beside the randomised model's (the null: dot, CI).
    Returns the plotted numbers."""
    plotted = table[table.metric.isin(["rank score", POOLED_METRIC])].assign(label=lambda t: t.method + " [" + t.cue_type + "]")
    for ax, metric in zip(axes, ("rank score", POOLED_METRIC)):
        part = plotted[plotted.metric == metric]
        labels = sorted(part.label.unique(), key=lambda s: (s.split("[")[-1], s))
        pos = np.arange(len(labels))
        for model, style in (("trained", dict(kind="bar")), ("randomised", dict(kind="dot"))):
            rows = part[part.model == model].set_index("label").reindex(labels)
            err = np.nan_to_num(np.vstack([rows["mean"] - rows.ci_low, rows.ci_high - rows["mean"]]))
            if style["kind"] == "bar":
                ax.barh(pos, rows["mean"], xerr=err, color="#4c72b0", capsize=2, label="trained model")
            else:
                ax.errorbar(rows["mean"], pos, xerr=err, fmt="o", color="#dd8452", capsize=2, label="randomised model (null)")
        ax.set_yticks(pos, labels, fontsize=7)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.axvline(0.5 if metric == "rank score" else 0.0, color="k", lw=0.8)
        title = "rank score (every method)" if metric == "rank score" else \
            f"pooled mass ({GRID_BANDS} Mel bands × {GRID_SPAN_S:g} s)"
        ax.set(title=title, xlabel="1 = perfect; line: chance for a cue-blind map")
    axes[0].legend(fontsize=7, loc="lower left")
    return plotted.drop(columns="label")


def mean_curves(benchmarks) -> pd.DataFrame:
    """Mean normalised curve per method × cue × kind × order over seeds and items (random draws pooled)."""
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
    fig.supylabel("model score (1 = original input, 0 = every unit from the neutral twin)", fontsize=8)
    return axes


# ------------------------------------------------------------------ the README's summary, generated

SUMMARY_START, SUMMARY_END = "<!-- faithfulness-summary:start -->", "<!-- faithfulness-summary:end -->"
_WORDS = {  # column: (yes, no, undecided)
    "located": ("locate the planted cue better than the same explainer on a randomised model",
                "do not locate the planted cue better than the same explainer on a randomised model",
                "cannot be told apart from the same explainer on a randomised model (located: undecided)"),
    "faithful": ("pass deletion (replacing their most relevant units first by the neutral twin's lowers the "
                 "model's score faster than random orders)",
                 "do not pass deletion against random orders", "are undecided on deletion"),
    "sane": ("change more when the model is randomised than between two training seeds",
             "do not change more when the model is randomised than between two training seeds",
             "are undecided on the randomisation test")}


def _names(table: pd.DataFrame) -> str:
    names = [f"{r.method} [{r.cue_type}]" for r in table.itertuples()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _most_and_fewer(verdicts: pd.DataFrame, column: str) -> tuple[int, list]:
    """The largest count in `column` and the (method, count) of methods with fewer."""
    most = int(verdicts[column].max())
    fewer = verdicts[verdicts[column] < most].drop_duplicates("method")
    return most, [(r.method, int(getattr(r, column))) for r in fewer.itertuples()]


def summary_sentences(verdicts: pd.DataFrame) -> str:
    """The README's summary of `table_verdicts`, one sentence per verdict and outcome, written
    from the table so that text and table cannot disagree."""
    most, fewer = _most_and_fewer(verdicts, "seeds")
    exceptions = "".join(f"; {method}: {n}" for method, n in fewer)
    draws, single = _most_and_fewer(verdicts.assign(null_models=verdicts.get("null_models", 1)), "null_models")
    null = (f"the null of a file: the mean over {draws} randomised models per seed"
            + "".join(f" ({method}: {n})" for method, n in single)) if draws > 1 else "the null: one randomised model per seed"
    lines = [f"In the committed default run ({most} training seeds per model{exceptions}; {null}; "
             f"95 % CIs over seeds, speakers and files; margin {DELTA} over the null):"]
    unlearned = verdicts[verdicts.model_learned != "yes"]
    if len(unlearned):
        which = "the model behind" if len(unlearned) == 1 else "the models behind"
        lines.append(f"{which} {_names(unlearned)} did not demonstrably learn {'its' if len(unlearned) == 1 else 'their'} "
                     f"cue, so {'that row is' if len(unlearned) == 1 else 'those rows are'} not graded (n/a).")
    graded = verdicts[verdicts.model_learned == "yes"]
    for column, texts in _WORDS.items():
        for value, text in zip(("yes", "no", "undecided"), texts):
            part = graded[graded[column] == value]
            if len(part):
                lines.append(f"{_names(part)}: {text}.")
    return "\n".join(lines)


def replace_between_markers(text: str, body: str) -> str:
    """`text` with everything between SUMMARY_START and SUMMARY_END replaced by `body`."""
    start, end = text.find(SUMMARY_START), text.find(SUMMARY_END)
    if start < 0 or end < start:
        raise InvalidParameterError(f"the README needs the markers {SUMMARY_START} … {SUMMARY_END}")
    return text[:start + len(SUMMARY_START)] + "\n" + body + "\n" + text[end:]


def between_markers(text: str) -> str:
    start, end = text.find(SUMMARY_START), text.find(SUMMARY_END)
    if start < 0 or end < start:
        raise InvalidParameterError(f"the README needs the markers {SUMMARY_START} … {SUMMARY_END}")
    return text[start + len(SUMMARY_START):end].strip("\n")


def update_readme(readme="README.md", table="figures/faithfulness/table_verdicts.csv") -> bool:
    """Rewrite the README's generated summary from the committed verdict table; True if it changed."""
    from pathlib import Path

    readme = Path(readme)
    text = readme.read_text()
    new = replace_between_markers(text, summary_sentences(pd.read_csv(table)))
    if new != text:
        readme.write_text(new)
    return new != text


if __name__ == "__main__":  # python -m helpers.faithfulness: refresh the README summary
    import sys

    changed = update_readme(*sys.argv[1:])
    print("README summary updated" if changed else "README summary already matches the table")
