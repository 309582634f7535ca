"""Every notebook: committed copy in sync and error-free; smoke run + nbval; same seed → same bytes.

Each notebook is executed on its `smoke` profile with papermill (as `reproduce` does), then
that executed copy is validated with `pytest --nbval-lax` in a subprocess. nbval re-executes
it with the same injected parameters into a second figures folder, so comparing the two
folders byte for byte checks determinism without a third run.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys

import pytest

from helpers import notebooks, reproduce
from helpers.paths import NOTEBOOKS_DIR

NAMES = notebooks.available()
# Committed copies re-executed by nbval at full defaults: only those cheap enough for CI.
NBVAL_COMMITTED = {"quickstart"}


def run_nbval(ipynb, figures_dir, cwd):
    env = {**os.environ, **reproduce.QUIET_ENV, "SERXAI_FIGURES": str(figures_dir)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", str(ipynb)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=1800,
    )


def test_there_are_notebooks():
    assert "quickstart" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_has_a_smoke_profile(name):
    assert "smoke" in notebooks.profiles(name), f"add notebooks/params/{name}.smoke.yaml (≤ 60 s run)"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source_and_has_no_errors(name):
    executed = notebooks.executed_path(name)
    assert executed.exists(), f"run `python -m helpers reproduce {name}` and commit {executed.name}"
    assert notebooks.sync_differences(notebooks.source_path(name), executed) == []
    assert notebooks.error_outputs(executed) == []


@pytest.mark.parametrize("name", NAMES)
def test_notebook_writes_what_its_source_declares(name):
    declared = notebooks.outputs(name)
    assert declared, f"{name} writes no figure or table"
    assert notebooks.parameters(name).get("seed") is not None


def test_sync_check_catches_an_edited_copy(tmp_path):
    py, ipynb = tmp_path / "q.py", tmp_path / "q.ipynb"
    shutil.copy(notebooks.source_path("quickstart"), py)
    shutil.copy(notebooks.executed_path("quickstart"), ipynb)
    assert notebooks.sync_differences(py, ipynb) == []
    py.write_text(py.read_text().replace("max_speakers = 0", "max_speakers = 2"))
    problems = notebooks.sync_differences(py, ipynb)
    assert len(problems) == 1 and "source differs" in problems[0]
    py.write_text(py.read_text() + "\n# %%\nprint('extra')\n")
    assert any("cells in" in p for p in notebooks.sync_differences(py, ipynb))


def test_error_outputs_are_found(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1/0", execution_count=1)])
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    nbformat.write(nb, tmp_path / "bad.ipynb")
    assert notebooks.error_outputs(tmp_path / "bad.ipynb") == [
        "cell 0 raised ZeroDivisionError: division by zero", "cell 1 was not executed"]


@pytest.mark.notebook
@pytest.mark.parametrize("name", NAMES)
def test_smoke_run_passes_nbval_and_is_reproducible(name, tmp_path):
    first, second = tmp_path / "run1", tmp_path / "run2"
    results = reproduce.run([name], profile="smoke", output_dir=tmp_path, figures_dir=first,
                            progress=False, echo=lambda *_: None)
    assert results[0].status == "ok", results[0].error
    written = {p.name for p in (first / name).iterdir()}
    for kind, output, _ in notebooks.outputs(name):
        assert f"{output}{'.png' if kind == 'figure' else '.csv'}" in written
    done = run_nbval(tmp_path / f"{name}.ipynb", second, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    compared = sorted(p.name for p in (first / name).iterdir() if p.suffix in (".png", ".csv"))
    match, mismatch, errors = filecmp.cmpfiles(first / name, second / name, compared, shallow=False)
    assert mismatch == [] and errors == [], f"not byte-identical across runs: {mismatch + errors}"


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(NBVAL_COMMITTED & set(NAMES)))
def test_committed_notebook_passes_nbval(name, tmp_path):
    done = run_nbval(NOTEBOOKS_DIR / f"{name}.ipynb", tmp_path, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


@pytest.mark.parametrize("name", NAMES)
def test_papermill_can_parse_every_parameter(name):
    """papermill parses the parameters cell with a regex of its own; a comment it cannot read
    makes it warn 'Unable to parse line' and treat overrides as unknown parameters."""
    from papermill.translators import PythonTranslator

    parsed = {p.name for p in PythonTranslator.inspect(notebooks.parameters_cell(notebooks.read_source(name)))}
    assert parsed == set(notebooks.parameters(name))


def test_a_failed_run_never_replaces_the_executed_notebook(tmp_path, monkeypatch):
    import nbformat
    import papermill

    target = tmp_path / "quickstart.ipynb"
    target.write_text("committed copy")

    def failing(nb, output, **kwargs):
        nbformat.write(nbformat.v4.new_notebook(), output)
        raise papermill.PapermillExecutionError(3, 1, "x = 1", "ValueError", "boom", [])

    monkeypatch.setattr(papermill, "execute_notebook", failing)
    result = reproduce.run_one("quickstart", {}, tmp_path, progress=False)
    assert result.status == "failed" and result.error.startswith("cell 3 (ValueError: boom")
    assert target.read_text() == "committed copy"
    assert result.executed == tmp_path / "quickstart.failed.ipynb" and result.executed.exists()
    assert not list(tmp_path.glob(".*running*"))
