"""The nasr2025 notebook end to end on real speech (the shared EmoDB subset) and parameter checks."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from helpers import notebooks, reproduce, saliency, verdicts
from helpers.errors import InvalidParameterError

PAPER = "nasr2025"


def test_profiles_and_parameters():
    profiles = notebooks.profiles(PAPER)
    assert {"smoke", "cremad", "tess", "emodb"} <= set(profiles)
    params = notebooks.parameters(PAPER)
    assert params["seed"].default == 4 and params["k"].default == 5 and params["window_hop"].default == 10
    assert params["dataset"].default == "synthetic-time"
    assert params["occlusion_patch"].default == "time" and params["crp_conditions"].default is None
    assert params["crp_seed"].default == "logit" and params["crp_nonpositive"].default == "exclude"


@pytest.mark.parametrize("profile", ["cremad", "tess", "emodb"])
def test_real_corpus_profiles_run_the_authors_explainers(profile):
    values = yaml.safe_load(notebooks.profile_path(PAPER, profile).read_text())
    assert values["occlusion_patch"] == "authors" and values["crp_conditions"] == saliency.AUTHORS_CRP_CONDITIONS
    assert saliency.occlusion_patch(values["occlusion_patch"]) == {"window": (1, 10), "stride": (1, 3)}


def test_unknown_parameter_is_rejected_before_running():
    with pytest.raises(InvalidParameterError, match="valid:"):
        reproduce.validate([PAPER], "smoke", {"top_k": 3})


@pytest.mark.shared
@pytest.mark.notebook
def test_notebook_runs_on_the_emodb_subset(emodb_subset_dir, tmp_path):
    results = reproduce.run([PAPER], profile="smoke",
                            overrides={"dataset": "emodb", "data_dir": str(emodb_subset_dir)},
                            output_dir=tmp_path, figures_dir=tmp_path / "fig", progress=False, echo=lambda *_: None)
    assert results[0].status == "ok", results[0].error
    out = tmp_path / "fig" / PAPER
    accuracy = pd.read_csv(out / "table_accuracy.csv")
    assert accuracy.loc[0, "dataset"] == "emodb" and accuracy.loc[0, "n_test"] >= 8
    assert 0.0 <= accuracy.loc[0, "accuracy"] <= 1.0 and accuracy.loc[0, "chance"] == pytest.approx(0.25)
    cues = pd.read_csv(out / "table2_cue_magnitudes.csv")
    loud = cues[cues.cue == "loudness"]["mean"]
    assert len(loud) and (loud > 0).all()  # real speech: positive loudness in salient windows
    f0 = cues[cues.cue == "F0 (semitones)"]["mean"]
    assert f0.between(10, 50).all()  # voiced-only F0 of adult voices, in semitones re 27.5 Hz
    misclassified = pd.read_csv(out / "table3_misclassified.csv")
    assert set(misclassified.outcome) <= {"correct", "misclassified"} and len(misclassified)
    assert set(misclassified["true"]) <= {"neutral", "anger", "happiness", "sadness"}
    assert pd.read_csv(out / "table_ground_truth.csv").empty  # EmoDB has no planted windows
    table = pd.read_csv(out / "paper_vs_run.csv", keep_default_na=False)
    assert set(table.dataset) == {"emodb"} and set(table.agrees) <= set(verdicts.AGREES_VALUES)
    assert verdicts.problems(table) == []
    hits = table[table["item"].str.contains("planted cue")]
    assert len(hits) == 2 and set(hits.agrees) == {"n/a"}  # no planted windows on EmoDB
    delta = table[table["item"].str.contains("Δf")]
    assert len(delta) == 4 and set(delta.basis) == {"paper text"}  # real speech: tested, not by construction
