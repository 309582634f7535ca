"""`python -m helpers`: list, and reproduce's validation before anything runs (exit code 2)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import notebooks, reproduce
from helpers.errors import InvalidParameterError


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True, timeout=timeout)


def test_list_shows_notebooks_parameters_and_outputs():
    done = cli("list")
    assert done.returncode == 0, done.stderr
    assert "quickstart" in done.stdout
    assert "seed = 0" in done.stdout and "fig1_log_mel" in done.stdout and "smoke" in done.stdout


@pytest.mark.parametrize(
    "args,expected",
    [
        (["reproduce", "nosuchpaper"], "unknown notebook 'nosuchpaper'; valid: quickstart"),
        (["reproduce", "quickstart", "-p", "nosuch", "1"], "unknown parameter 'nosuch' for notebook 'quickstart'; valid: seed"),
        (["reproduce", "quickstart", "--profile", "huge"], "has no profile 'huge'; valid: "),
        (["course", "release", "faithfulness", "--out", "/nonexistent/x"], "unknown notebook 'faithfulness' (or it has no exercises); valid: quickstart"),
        (["course", "source", "quickstart"], "'course source' needs --out DIR (the nbgrader course directory)"),
        (["course", "release", "quickstart", "--profile", "huge", "--out", "/nonexistent/x"], "has no profile 'huge'; valid: "),
        (["course", "grade", "/nonexistent/q.ipynb"], "no such notebook '/nonexistent/q.ipynb'"),
        (["course", "grade"], "'course grade' needs the submitted notebooks"),
    ],
)
def test_bad_names_give_one_line_error_and_exit_2(args, expected):
    done = cli(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


def test_parameters_are_read_from_the_tagged_cell_with_comments():
    params = notebooks.parameters("quickstart")
    assert params["seed"].default == 0 and "seed" in params["seed"].help
    assert list(params)[0] == "seed"


def test_values_parse_as_yaml_scalars_and_profile_is_overridden():
    assert [reproduce.parse_value(v) for v in ("1", "0.5", "true", "emodb")] == [1, 0.5, True, "emodb"]
    assert reproduce.resolve_parameters("quickstart", "smoke", {})["max_speakers"] == 4
    merged = reproduce.resolve_parameters("quickstart", "smoke", {"max_speakers": "6", "dataset": "emodb"})
    assert merged == {"max_speakers": 6, "dataset": "emodb"}


def test_validation_happens_before_any_notebook_runs(tmp_path):
    with pytest.raises(InvalidParameterError):
        reproduce.run(["quickstart", "nosuch"], output_dir=tmp_path, figures_dir=tmp_path, echo=lambda *_: None)
    assert list(tmp_path.iterdir()) == []


def test_cache_info_and_clear_through_the_cli(tmp_path):
    import numpy as np

    from helpers.cache import FeatureCache

    FeatureCache(tmp_path).put("opensmile-eGeMAPSv02-functionals", "ab" * 32, np.ones(3))
    info = cli("cache", "info", "--cache-dir", str(tmp_path))
    assert info.returncode == 0 and "opensmile-eGeMAPSv02-functionals: 1 entries" in info.stdout
    cleared = cli("cache", "clear", "--cache-dir", str(tmp_path))
    assert cleared.returncode == 0 and cleared.stdout.strip() == "removed 1 entries"


def test_data_list_names_every_manifest():
    done = cli("data", "list")
    assert done.returncode == 0
    assert done.stdout.split() == ["cafe", "cremad", "emodb", "iemocap", "ravdess", "savee", "tess"]
