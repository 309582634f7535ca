"""The CI-based verdict rule of the paper-vs-run tables, and the committed tables obey it."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import verdicts
from helpers.paths import FIGURES_DIR

PAPERS = ["dixit2024", "das2022", "hjuler2025", "smietanka2023", "nasr2025"]


def test_verdict_from_ci_has_three_outcomes_and_follows_the_direction():
    assert verdicts.verdict_from_ci(0.1, 0.3) == "yes"
    assert verdicts.verdict_from_ci(-0.3, -0.1) == "no"
    assert verdicts.verdict_from_ci(-0.1, 0.3) == "unclear"
    assert verdicts.verdict_from_ci(-0.3, -0.1, direction="<") == "yes"
    assert verdicts.verdict_from_ci(0.6, 0.9, threshold=0.5) == "yes"
    assert verdicts.verdict_from_ci(0.4, 0.9, threshold=0.5) == "unclear"
    assert verdicts.verdict_from_ci(float("nan"), 1.0) == "unclear"
    with pytest.raises(ValueError, match="direction"):
        verdicts.verdict_from_ci(0, 1, direction=">=")


def test_bootstrap_difference_separates_clear_from_noisy_differences():
    rng = np.random.default_rng(0)
    clear = verdicts.compare(rng.normal(1.0, 0.2, 40), rng.normal(0.0, 0.2, 40))
    noisy = verdicts.compare([-1.0, 0.5, 1.0, -0.5, 0.2], [0.1, -0.3, 0.6, -1.0, 0.4])  # means 0.04 vs -0.04
    assert clear["agrees"] == "yes" and noisy["agrees"] == "unclear"
    assert verdicts.has_ci(clear["this_run"]) and clear["sampling_noise"] == "yes"
    estimate, low, high = verdicts.bootstrap_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], paired=True)
    assert estimate == low == high == 0.0  # identical pairs: no spread at all
    with pytest.raises(ValueError, match="equal lengths"):
        verdicts.bootstrap_difference([1.0, 2.0], [1.0], paired=True)


def test_bootstrap_interval_covers_the_true_difference_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    for k in range(200):
        _, low, high = verdicts.bootstrap_difference(rng.normal(0.5, 1, 30), rng.normal(0, 1, 30),
                                                     seed=k, n_boot=500)
        hits += low <= 0.5 <= high
    assert 0.88 <= hits / 200 <= 0.99


def test_has_ci_and_row_validate_their_inputs():
    assert verdicts.has_ci("0.31 [0.20, 0.42]") and verdicts.has_ci("d = -1.2 [-2.0, -0.4]")
    assert not verdicts.has_ci("0.31 (n = 5)")
    with pytest.raises(ValueError, match="basis"):
        verdicts.row("x", "p", 1, basis="my reading")


@pytest.mark.parametrize("paper", PAPERS)
def test_committed_paper_vs_run_tables_keep_the_verdict_rules(paper):
    path = Path(FIGURES_DIR) / paper / "paper_vs_run.csv"
    table = pd.read_csv(path, keep_default_na=False)
    assert "basis" in table.columns, f"{path} has no basis column"
    assert set(table.basis) <= set(verdicts.BASES)
    assert verdicts.problems(table) == []
