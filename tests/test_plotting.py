"""save_figure / save_table: deterministic bytes, numbers beside every figure, safe names."""
from __future__ import annotations

import hashlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers import plotting  # noqa: E402


@pytest.fixture
def figures(tmp_path, monkeypatch):
    monkeypatch.setenv(plotting.FIGURES_ENV_VAR, str(tmp_path))
    return tmp_path


def draw(seed: int):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"x": np.arange(5), "y": rng.normal(size=5)})
    fig, ax = plt.subplots()
    ax.plot(data.x, data.y)
    return fig, data


def test_two_saves_of_the_same_figure_are_byte_identical(figures):
    digests = []
    for _ in range(2):
        plotting.set_style()
        fig, data = draw(0)
        path = plotting.save_figure(fig, "demo", "fig1", data=data)
        plt.close(fig)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    png = (figures / "demo" / "fig1.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png.lower()


def test_figure_numbers_are_saved_beside_it(figures):
    fig, data = draw(1)
    plotting.save_figure(fig, "demo", "fig2", data=data)
    saved = pd.read_csv(figures / "demo" / "fig2.csv")
    np.testing.assert_allclose(saved.y, data.y, rtol=1e-5)
    assert not (figures / "demo" / "fig2.md").exists()


def test_table_writes_csv_and_markdown(figures):
    table = pd.DataFrame({"emotion": ["anger", "sad|ness"], "f1": [92.123456789, np.nan]})
    plotting.save_table(table, "demo", "table1")
    assert (figures / "demo" / "table1.csv").read_text() == "emotion,f1\nanger,92.1235\nsad|ness,\n"
    md = (figures / "demo" / "table1.md").read_text().splitlines()
    assert md[0] == "| emotion | f1 |" and md[2] == "| anger | 92.1235 |" and md[3] == "| sad\\|ness |  |"


@pytest.mark.parametrize("paper,name", [("../etc", "x"), ("demo", "a/b"), ("demo", "")])
def test_names_that_would_escape_the_figures_folder_are_refused(figures, paper, name):
    with pytest.raises(ValueError, match="plain file name"):
        plotting.save_table(pd.DataFrame({"a": [1]}), paper, name)


def test_paper_vs_run_has_the_contract_columns_and_rejects_bad_agreement(figures):
    rows = [{"item": "anger F1", "paper": 92.1, "this_run": 88.0, "agrees": "no", "basis": "paper text",
             "note": "synthetic"}]
    table = plotting.paper_vs_run(rows, "demo", dataset="synthetic")
    assert list(table.columns) == plotting.PAPER_VS_RUN_COLUMNS
    saved = pd.read_csv(figures / "demo" / "paper_vs_run.csv")
    assert saved.dataset.tolist() == ["synthetic"] and saved.basis.tolist() == ["paper text"]
    with pytest.raises(ValueError, match="agrees"):
        plotting.paper_vs_run([{"item": "x", "agrees": "maybe", "basis": "paper text"}], "demo", dataset="synthetic")


@pytest.mark.parametrize("bad,message", [
    ({"agrees": "yes", "basis": "by construction"}, "by construction"),
    ({"agrees": "no", "basis": "paper text", "dataset": "synthetic (wav2vec2 stand-in)"}, "stand-in"),
    ({"agrees": "yes", "basis": "paper text", "sampling_noise": "yes", "this_run": "0.3"}, "without a CI"),
    ({"agrees": "n/a", "basis": "a hunch"}, "basis"),
])
def test_paper_vs_run_refuses_rows_that_break_the_verdict_rules(figures, bad, message):
    with pytest.raises(ValueError, match=message):
        plotting.paper_vs_run([{"item": "x", "paper": "p", **bad}], "demo", dataset="synthetic")
    assert not (figures / "demo" / "paper_vs_run.csv").exists()


def test_paper_vs_run_keeps_a_rows_own_dataset_and_accepts_a_ci(figures):
    rows = [{"item": "a", "agrees": "n/a", "basis": "paper text", "dataset": "x (stand-in)"},
            {"item": "b", "agrees": "yes", "basis": "paper text", "sampling_noise": "yes",
             "this_run": "+0.10 [+0.02, +0.18]"}]
    table = plotting.paper_vs_run(rows, "demo", dataset="synthetic")
    assert table.dataset.tolist() == ["x (stand-in)", "synthetic"]
    assert table.sampling_noise.tolist() == ["no", "yes"]
