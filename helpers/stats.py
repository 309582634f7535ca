"""The multivariate two-sample Cramér test of Baringhaus & Franz (2004), as R's `cramer.test`.

Hjulér et al. (2025, §V, Table I) compare samples of EmoLIME weight vectors (10 utterances
× 8 components) with the R package `cramer` and its defaults; this is a re-implementation
of that path (kernel `phiCramer`, `sim="ordinary"`, 1000 replicates, 95 %):

  * lookup[i, j] = φ(‖z_i − z_j‖²) with φ(u) = √u / 2, over the pooled sample z = (x, y);
  * T = m n / (m + n) · ( 2/(m n) Σ_xy φ − 1/m² Σ_xx φ − 1/n² Σ_yy φ );
  * ordinary bootstrap: draw m + n indices *with replacement* from the pooled sample, call
    the first m "x" and the rest "y", recompute T (R's `boot(..., sim="ordinary")`);
  * critical value = the round(0.95 · R)-th smallest bootstrap T (1-based, as R indexes);
  * p-value = 1 − rank(T among (T, T*_1 … T*_R)) / (R + 1), ties getting their mean rank;
  * the null ("x is distributed as y") is rejected when T > critical value.
R's random numbers cannot be reproduced here, so critical values and p-values agree with R
only up to bootstrap noise; the statistic agrees exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameterError, check_choice

SIMULATIONS = ("ordinary", "permutation")


def phi_cramer(squared_distances) -> np.ndarray:
    return np.sqrt(np.asarray(squared_distances, dtype=float)) / 2


def _pooled(x, y) -> tuple[np.ndarray, int, int]:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim == 1 and y.ndim == 1:
        x, y = x[:, None], y[:, None]
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise InvalidParameterError(f"x and y must be samples of the same dimension, got {x.shape} and {y.shape}")
    if len(x) < 1 or len(y) < 1:
        raise InvalidParameterError("both samples need at least one observation")
    return np.vstack([x, y]), len(x), len(y)


def lookup_matrix(z) -> np.ndarray:
    """φ of the squared Euclidean distances between all pooled observations."""
    squared = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=-1)
    return phi_cramer(squared)


def _statistic(lookup, index, m: int, n: int) -> np.ndarray:
    """T for each row of `index` (shape (B, m + n)); first m indices are x."""
    xi, yi = index[:, :m], index[:, m:]
    sxy = lookup[xi[:, :, None], yi[:, None, :]].sum(axis=(1, 2))
    sxx = lookup[xi[:, :, None], xi[:, None, :]].sum(axis=(1, 2))
    syy = lookup[yi[:, :, None], yi[:, None, :]].sum(axis=(1, 2))
    return m * n / (m + n) * (2 * sxy / (m * n) - sxx / m ** 2 - syy / n ** 2)


def cramer_statistic(x, y) -> float:
    """The Cramér statistic T of two samples (rows = observations)."""
    z, m, n = _pooled(x, y)
    return float(_statistic(lookup_matrix(z), np.arange(m + n)[None], m, n)[0])


@dataclass(frozen=True)
class CramerResult:
    statistic: float
    crit_value: float
    p_value: float
    rejected: bool  # True: "x is distributed as y" is rejected at 1 − conf_level
    m: int
    n: int
    replicates: int
    conf_level: float

    @property
    def accepted(self) -> bool:
        return not self.rejected


def cramer_test(x, y, conf_level: float = 0.95, replicates: int = 1000, sim: str = "ordinary",
                seed: int = 0) -> CramerResult:
    """R's `cramer.test(x, y)` with kernel phiCramer and a bootstrap (`sim` ordinary or permutation)."""
    check_choice("sim", sim, SIMULATIONS)
    if not 0 < conf_level < 1:
        raise InvalidParameterError(f"invalid conf_level {conf_level!r}; expected 0 < conf_level < 1")
    if not isinstance(replicates, (int, np.integer)) or replicates < 1:
        raise InvalidParameterError(f"invalid replicates {replicates!r}; expected an integer >= 1")
    z, m, n = _pooled(x, y)
    lookup = lookup_matrix(z)
    t0 = float(_statistic(lookup, np.arange(m + n)[None], m, n)[0])
    rng = np.random.default_rng(seed)
    if sim == "ordinary":
        index = rng.integers(0, m + n, size=(replicates, m + n))
    else:
        index = np.argsort(rng.random((replicates, m + n)), axis=1)
    t = _statistic(lookup, index, m, n)
    less, ties = np.sum(t < t0), np.sum(t == t0)
    rank = less + 1 + ties / 2  # R's rank(c(t0, t))[1] with average ties
    p_value = 1 - rank / (replicates + 1)
    crit = float(np.sort(t)[int(round(conf_level * replicates)) - 1])
    return CramerResult(t0, crit, float(p_value), bool(t0 > crit), m, n, int(replicates), conf_level)
