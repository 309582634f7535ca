"""The dixit2024 notebook end to end: planted families recovered from audio, the EmoDB subset
run of the issue's papermill command, and the committed notebook under nbval."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from helpers import features, probing, reproduce, synthetic
from helpers.paths import NOTEBOOKS_DIR, REPO_ROOT

PAPER = "dixit2024"
OUTPUTS = ["table1_categories.csv", "table2_f1.csv", "fig2_shap_categories.png", "fig2_shap_categories.csv",
           "fig3_info_increase.png", "fig3_info_increase.csv", "fig3_eq1_terms.png", "table5_eq1_terms.csv",
           "table4_authors_protocol.csv", "paper_vs_run.csv"]


def quiet_env(figures_dir) -> dict:
    return {**os.environ, **reproduce.QUIET_ENV, "SERXAI_FIGURES": str(figures_dir)}


def functionals_in_a_clean_process(meta: pd.DataFrame, folder) -> pd.DataFrame:
    """eGeMAPS functionals computed by a fresh interpreter, so the result cannot depend on the
    native libraries other test modules have loaded (openSMILE loaded after TensorFlow
    corrupts the heap, and some test modules import TensorFlow at collection time)."""
    paths, out = folder / "paths.txt", folder / "functionals.npy"
    paths.write_text("\n".join(meta.path))
    code = ("import sys, numpy as np; from helpers import features; "
            "paths = open(sys.argv[1]).read().splitlines(); "
            "np.save(sys.argv[2], features.extract(paths, n_jobs=1, show_progress=False, cache=False).to_numpy())")
    subprocess.run([sys.executable, "-c", code, str(paths), str(out)], check=True, timeout=600,
                   env={**os.environ, **reproduce.QUIET_ENV})
    return pd.DataFrame(np.load(out), columns=features.feature_names(), index=meta.index)


@pytest.mark.slow
def test_planted_family_is_the_top_shap_category_from_audio(tmp_path):
    """synthetic-family: anger moves only Energy parameters, sadness only Frequency ones."""
    meta = synthetic.generate_corpus(tmp_path / "family", variant="synthetic-family", n_speakers=6, takes=3,
                                     emotions=["neutral", "anger", "sadness"], progress=False)
    values = functionals_in_a_clean_process(meta, tmp_path)
    tasks, skipped = probing.build_tasks(meta, ["anger", "sadness", "disgust"], n_outer=3, n_inner=3)
    assert list(tasks) == ["anger", "sadness"] and "no disgust files" in skipped["disgust"]
    results = probing.egemaps_only(tasks, probing.speaker_zscore(values, meta.speaker), n_outer=3, n_inner=3)
    planted = meta.drop_duplicates("emotion").set_index("emotion").cue_family.to_dict()
    table = probing.ground_truth_table(results, features.egemaps_families(), planted, "synthetic-family")
    assert dict(zip(table.emotion, table.planted_family)) == {"anger": "Energy", "sadness": "Frequency"}
    assert (table.top_by_mean == table.planted_family).all(), table.to_string()
    assert (table.egemaps_f1 >= 90).all()


@pytest.mark.shared
@pytest.mark.notebook
def test_issue_papermill_command_on_the_emodb_subset(emodb_subset_dir, tmp_path):
    """`papermill notebooks/dixit2024.ipynb out.ipynb -p dataset emodb -p data_dir ../shared/data/emodb-subset`"""
    relative = os.path.relpath(emodb_subset_dir, REPO_ROOT)
    out = tmp_path / "out.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / f"{PAPER}.ipynb"), str(out),
         "-p", "dataset", "emodb", "-p", "data_dir", relative, "--no-progress-bar"],
        cwd=REPO_ROOT, env=quiet_env(tmp_path / "figures"), capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    written = tmp_path / "figures" / PAPER
    missing = [name for name in OUTPUTS if not (written / name).exists()]
    assert missing == []
    assert not (written / "table3_ground_truth.csv").exists()  # ground truth is for synthetic corpora only
    f1 = pd.read_csv(written / "table2_f1.csv")
    assert set(f1.emotion) == {"anger", "fear", "happiness", "sadness"}  # disgust has 4 files in the subset
    assert (f1.dataset == "emodb").all() and (f1.n_outer_folds == 4).all()  # 4 speakers: leave-one-out
    assert f1.egemaps_f1.between(50, 100).all()
    assert "emodb disgust: skipped" in out.read_text()
    info = pd.read_csv(written / "fig3_info_increase.csv")
    assert len(info) == 4 * 88 and {"category_mean", "category_median"} <= set(info.columns)
    protocols = pd.read_csv(written / "table4_authors_protocol.csv")
    assert set(protocols.emotion) == {"anger", "fear", "happiness", "sadness", "neutral"}
    verdicts = pd.read_csv(written / "paper_vs_run.csv", keep_default_na=False).set_index("item")
    # a real corpus: the eGeMAPS claims are decided by CIs, not n/a by construction
    assert verdicts.loc["sadness has the lowest F1 (eGeMAPS) [emodb]", "basis"] == "authors' repository"
    assert verdicts.loc["sadness has the lowest F1 (eGeMAPS) [emodb]", "sampling_noise"] == "yes"
    assert "stand-in" in verdicts.loc["embedding (all dims) beats eGeMAPS for every emotion [emodb]", "dataset"]


def test_committed_paper_vs_run_compares_the_authors_numbers_with_the_replica_of_their_protocol():
    """Like for like: the replica row carries table4's authors'-code numbers, the corrected row
    table2's leak-free numbers, for every emotion the run analysed."""
    figures = REPO_ROOT / "figures" / PAPER
    table = pd.read_csv(figures / "paper_vs_run.csv", keep_default_na=False).set_index("item")
    f1 = pd.read_csv(figures / "table2_f1.csv")
    theirs = pd.read_csv(figures / "table4_authors_protocol.csv")
    theirs = theirs[theirs.protocol == "authors' code"].set_index("emotion")
    item = "RAVDESS F1 {} (eGeMAPS / WavLM all / WavLM top / k): {}"
    for r in f1.itertuples():
        replica = table.loc[item.format(r.emotion, "authors' protocol replica"), "this_run"]
        corrected = table.loc[item.format(r.emotion, "corrected (ours, leak-free)"), "this_run"]
        t = theirs.loc[r.emotion]
        assert replica.startswith(f"{t.egemaps_f1:.1f} / {t.embedding_all_f1:.1f} / {t.embedding_top_f1:.1f} / {t.k}")
        assert corrected.startswith(f"{r.egemaps_f1:.1f} / {r.embedding_all_f1:.1f} / {r.embedding_top_f1:.1f}")
    drivers = pd.read_csv(figures / "table5_eq1_terms.csv")
    assert set(drivers.emotion) == set(f1.emotion) and drivers.rho_inv_top.between(-1, 1).all()


@pytest.mark.slow
@pytest.mark.notebook
def test_committed_notebook_passes_nbval_and_reproduces_its_tables(tmp_path):
    """The executed notebook at full defaults re-runs under nbval with the same checked outputs,
    and writes the same table bytes as the committed figures/dixit2024/."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         str(NOTEBOOKS_DIR / f"{PAPER}.ipynb")],
        cwd=tmp_path, env=quiet_env(tmp_path), capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    for name in ("table2_f1.csv", "table3_ground_truth.csv", "table4_authors_protocol.csv", "paper_vs_run.csv"):
        committed = REPO_ROOT / "figures" / PAPER / name
        assert (tmp_path / PAPER / name).read_bytes() == committed.read_bytes(), name
