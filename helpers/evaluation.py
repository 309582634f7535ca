"""Shared evaluation pieces: UAR, confidence intervals, speaker-grouped folds, confusion tables.

Every paper reports unweighted accuracy and splits by speaker somewhere; keeping these in
one place means every notebook computes them the same way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import balanced_accuracy_score, confusion_matrix
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut


def uar(y_true, y_pred) -> float:
    """Unweighted average recall (= balanced accuracy): the SER papers' 'unweighted accuracy'."""
    return float(balanced_accuracy_score(y_true, y_pred))


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) with a Student-t interval over folds; a single value has no interval."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


def bootstrap_ci(values, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
                 statistic=np.mean) -> tuple[float, float, float]:
    """(statistic, low, high) by percentile bootstrap over the values (seeded)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = statistic(values[rng.integers(0, len(values), (n_boot, len(values)))], axis=1)
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(statistic(values)), float(low), float(high)


def speaker_folds(groups, n_splits: int = 5):
    """Speaker-grouped folds: GroupKFold, or leave-one-speaker-out when there are fewer
    speakers than folds. Yields (train_index, test_index); no speaker is ever on both sides."""
    groups = np.asarray(groups)
    n_speakers = len(np.unique(groups))
    if n_speakers < 2:
        raise ValueError(f"speaker-grouped folds need at least 2 speakers, got {n_speakers}")
    splitter = LeaveOneGroupOut() if n_speakers <= n_splits else GroupKFold(n_splits=n_splits)
    yield from splitter.split(np.zeros(len(groups)), groups=groups)


def confusion_table(y_true, y_pred, labels) -> pd.DataFrame:
    """Confusion matrix normalised per true class (rows sum to 1), labelled."""
    matrix = confusion_matrix(y_true, y_pred, labels=list(labels), normalize="true")
    return pd.DataFrame(matrix, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="predicted"))


def confusion_long(table: pd.DataFrame, **keys) -> pd.DataFrame:
    """A confusion table as tidy rows (true, predicted, fraction, + keys) for CSV beside a figure."""
    long = table.stack().rename("fraction").reset_index()
    for key, value in keys.items():
        long[key] = value
    return long


def plot_confusion(ax, table: pd.DataFrame, title: str = "", cmap: str = "Blues") -> None:
    """Heatmap of a normalised confusion table with the fractions written in the cells."""
    ax.imshow(table.to_numpy(), vmin=0, vmax=1, cmap=cmap)
    ax.set_xticks(range(len(table.columns)), table.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(table.index)), table.index)
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                color="white" if value > 0.6 else "black")
    ax.set(xlabel="predicted", ylabel="true", title=title)
