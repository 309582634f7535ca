"""The smietanka2023 notebook on the shared EmoDB subset (skipped where it is absent)."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import reproduce


@pytest.mark.shared
@pytest.mark.notebook
def test_notebook_runs_on_the_emodb_subset(emodb_subset_dir, tmp_path):
    results = reproduce.run(
        ["smietanka2023"], profile="smoke",
        overrides={"dataset": "emodb", "data_dir": str(emodb_subset_dir), "ground_truth": "", "applications": False},
        output_dir=tmp_path, figures_dir=tmp_path / "fig", progress=False, echo=lambda *_: None)
    assert results[0].status == "ok", results[0].error
    out = tmp_path / "fig" / "smietanka2023"
    table1 = pd.read_csv(out / "table1_distribution.csv", dtype={"speaker": str})
    totals = table1[table1.emotion == "total"].set_index("speaker")
    # smoke keeps 2 speakers per gender: the subset's one woman (08) and men 03 and 10; disgust dropped
    assert totals.loc["08", "ours"] == 58 and totals.loc["03", "ours"] == 48 and totals.loc["10", "ours"] == 37
    assert totals.loc["11", "ours"] == 0 and totals.loc["total", "ours"] == 58 + 48 + 37
    assert totals.loc["total", "paper"] == 417 and totals.loc["total", "published_emodb"] == 421
    table2 = pd.read_csv(out / "table2_last_conv_shapes.csv")
    assert table2.shape[0] == 1 and table2.loc[0, "shape"] == "90 × 47"
    analysis = pd.read_csv(out / "per_recording_analysis.csv", dtype={"speaker": str})
    assert set(analysis.speaker) <= {"08", "03", "10"}
    assert analysis.energy_ratio.between(0, 1).all()
    assert analysis.envelope_rmse.between(0, 1).all()
    assert (analysis.n_voiced > 0).all()  # Praat finds voiced frames in real speech
    # 2-s crops fill 87 of 202 columns: the rest is padding, and the maps are scored on it too
    assert analysis.padding_share.between(0.5, 0.6).all() and analysis.padding_mass.between(0, 1).all()
    comparison = pd.read_csv(out / "paper_vs_run.csv", keep_default_na=False).set_index("item")
    assert set(comparison.dataset) == {"emodb"}
    assert comparison.loc["third conv parameters", "agrees"] == "yes"
    assert comparison.loc["Table 1 files", "agrees"] == "n/a"  # a subset says nothing about Table 1
    assert set(comparison.basis) <= {"paper text", "paper figure (read by eye)", "by construction"}
    held = comparison.loc["test accuracy with the test speakers held out (not in paper)", "this_run"]
    assert "1 folds" in held  # smoke: one held-out man (the only woman, 08, cannot be held out)
