"""Issue #24: papermill itself (not `python -m helpers reproduce`) on a real corpus.

The README documents `papermill notebooks/<name>.ipynb out.ipynb -p dataset emodb …`. The
runner tags the Exercises section `skip-execution` on another corpus; papermill does not, so
the notebook itself must skip its exercises (helpers.exercise_guard), quiet its libraries
(helpers.quiet) and read a relative `data_dir` from the repository, not from the kernel's
working directory (course.resolve_data_dir). The kernel runs in a scratch folder here, with
none of the runner's environment variables.
"""
from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from helpers.exercise_guard import SKIP_MESSAGE
from helpers.paths import NOTEBOOKS_DIR, PARAMS_DIR

PAPER = "quickstart"


def papermill(tmp_path, *arguments):
    out = tmp_path / "out.ipynb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SERXAI_", "PYTHONWARNINGS", "TF_CPP"))}
    env["SERXAI_FIGURES"] = str(tmp_path / "figures")  # never over the committed figures
    if "SERXAI_CACHE" in os.environ:
        env["SERXAI_CACHE"] = os.environ["SERXAI_CACHE"]
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / f"{PAPER}.ipynb"), str(out),
         "--cwd", str(tmp_path), "--no-progress-bar", "--kernel", "python3", *arguments],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return nbformat.read(out, as_version=4)


def texts(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts += [str(v) for v in output.get("data", {}).values()]
    return "".join(parts)


@pytest.mark.shared
@pytest.mark.notebook
def test_papermill_on_the_emodb_subset_runs_to_the_last_cell(emodb_subset_dir, tmp_path):
    """`papermill notebooks/quickstart.ipynb out.ipynb -p dataset emodb -f <smoke> -f <emodb-subset>`
    from a folder that is neither the repository nor notebooks/; the profile's data_dir is
    relative to the profile file."""
    nb = papermill(tmp_path, "-f", str(PARAMS_DIR / f"{PAPER}.smoke.yaml"),
                   "-f", str(PARAMS_DIR / f"{PAPER}.emodb-subset.yaml"), "-p", "dataset", "emodb")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "every code cell ran, the last one included"
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
    stderr = [line for c in code for o in c.outputs if o.get("name") == "stderr" for line in o.text.splitlines()]
    # our own warnings stay, one line each (the subset is incomplete by design); no library chatter
    assert [line for line in stderr if not line.startswith("IncompleteCorpusWarning: ")] == []
    assert any("fine for a subset" in line for line in stderr)

    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    exercise_cells = [c for c in nb.cells[start:] if c.cell_type == "code"]
    skipped = SKIP_MESSAGE.format(default="synthetic", dataset="emodb")
    assert f"Exercises: {skipped}." in texts(exercise_cells[0])
    assert [texts(c) for c in exercise_cells[1:]] == [skipped + "\n"] * (len(exercise_cells) - 1)

    take_away = next(texts(c) for c in code if "take_away" in c.source)
    assert "This run used the real corpus 'emodb'" in take_away
    assert "On this synthetic corpus" not in take_away and "synthetic voices" not in take_away

    written = tmp_path / "figures" / PAPER
    files = pd.read_csv(written / "table1_files_per_speaker.csv")
    assert len(files) == 3  # 4 speakers in the subset, one of them female: max_speakers 4 keeps 2 + 1
    assert {"anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"} <= set(files.columns)
    comparison = pd.read_csv(written / "table3_measured_vs_planted.csv")
    assert len(comparison) == 6 * 3 and comparison.measured.notna().all()


@pytest.mark.shared
def test_the_subset_profile_names_the_shared_subset_relative_to_itself(emodb_subset_dir):
    import yaml

    from helpers.course import read_parameter_file

    path = PARAMS_DIR / f"{PAPER}.emodb-subset.yaml"
    assert not os.path.isabs(yaml.safe_load(path.read_text())["data_dir"])
    assert read_parameter_file(PAPER, path)["data_dir"] == str(emodb_subset_dir.resolve())
