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


# ------------------------------------------------------------------ data: list, fetch, check (#24, item 5)

@pytest.mark.parametrize("action,present,absent", [
    ("list", ["usage: python -m helpers data list [-h] [--data-dir DIR]", "licence", "subset"], ["CORPUS", "--allow-subset"]),
    ("fetch", ["usage: python -m helpers data fetch [-h] [--data-dir DIR] [CORPUS]", "numbered steps"], ["--allow-subset"]),
    ("check", ["usage: python -m helpers data check [-h] [--data-dir DIR] [--allow-subset]", "subset",
               "IncompleteCorpusWarning", "Exit 0 when the copy is the complete corpus"], []),
])
def test_each_data_action_has_its_own_help(action, present, absent):
    done = cli("data", action, "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # argparse wraps lines
    for words in present:
        assert words in text, words
    for words in absent:
        assert words not in text, words


EMODB_FAKES = ["wav/03a01Wa.wav", "wav/03b02Ta.wav", "wav/08a02Lb.wav"]  # EmoDB names: speakers 03, 03, 08


def _rows(stdout: str) -> dict[str, list[str]]:
    """`data list` rows by corpus name, cells split on the two-space column gaps."""
    import re

    lines = stdout.splitlines()
    assert lines[0].startswith("data directory: ")
    return {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in lines[1:])}


def test_data_list_shows_access_presence_files_folder_and_licence(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", EMODB_FAKES)
    make_corpus(tmp_path / "synthetic", ["wav/s01/s01_anger_01.wav", "wav/s01/s01_neutral_01.wav"])
    (tmp_path / "synthetic" / "metadata.csv").write_text(
        "relpath\nwav/s01/s01_anger_01.wav\nwav/s01/s01_neutral_01.wav\n")
    done = cli("data", "list", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"data directory: {tmp_path}"
    rows = _rows(done.stdout)
    assert rows["corpus"] == ["corpus", "access", "present", "files", "folder", "licence"]
    assert list(rows)[1:8] == ["cafe", "cremad", "emodb", "iemocap", "ravdess", "savee", "tess"]
    assert rows["emodb"] == ["emodb", "public", "subset", "3/535", "emodb/", "CC0-1.0 (as republished by audEERING)"]
    assert rows["ravdess"] == ["ravdess", "public", "no", "0/1440", "-", "CC BY-NC-SA 4.0"]
    assert rows["savee"][:5] == ["savee", "manual", "no", "0/480", "-"]
    assert rows["synthetic"] == ["synthetic", "generated", "yes", "2/2", "synthetic/", "CC0-1.0 (generated)"]
    assert rows["synthetic-band"][:5] == ["synthetic-band", "generated", "not yet", "-", "-"]


def test_data_list_finds_a_corpus_that_is_the_data_dir_itself(tmp_path, make_corpus):
    make_corpus(tmp_path, EMODB_FAKES)
    rows = _rows(cli("data", "list", "--data-dir", str(tmp_path)).stdout)
    assert rows["emodb"][2:5] == ["subset", "3/535", "./"]


def test_data_check_describes_a_subset_and_exits_1_unless_allowed(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", EMODB_FAKES)
    done = cli("data", "check", "emodb", "--data-dir", str(tmp_path))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (f"emodb at {tmp_path / 'emodb'}: a subset of the corpus (3 of 535 files, 532 missing); "
                        "nothing else wrong")
    assert lines[1] == ("  speakers: 2 of 10 here: 03 (male, 2 files), 08 (female, 1 file); "
                        "absent: 09, 10, 11, 12, 13, 14, 15, 16")
    assert lines[2] == "  emotions: anger 1, boredom 1, sadness 1"
    assert lines[3] == "  files: wav/03a01Wa.wav, wav/03b02Ta.wav, wav/08a02Lb.wav"
    assert "the notebooks run on a subset" in lines[4]
    assert "IncompleteCorpusWarning: found 3 of 535 emodb files" in lines[4]
    assert lines[-1].startswith("exit status 1: not the complete corpus (a subset); pass --allow-subset")
    assert "problem" not in done.stdout
    allowed = cli("data", "check", "emodb", "--data-dir", str(tmp_path), "--allow-subset")
    assert allowed.returncode == 0
    assert allowed.stdout.splitlines()[-1] == "exit status 0: a subset, accepted with --allow-subset"


def test_data_check_allow_subset_still_fails_a_misnamed_file(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", EMODB_FAKES + ["wav/03a01Wa (copy).wav"])
    done = cli("data", "check", "emodb", "--data-dir", str(tmp_path), "--allow-subset")
    assert done.returncode == 1
    assert "2 problem(s) (3 of 535 files)" in done.stdout.splitlines()[0]
    assert "  problem: 532 of 535 files missing" in done.stdout
    assert "1 names outside the naming scheme: wav/03a01Wa (copy).wav" in done.stdout
    assert done.stdout.splitlines()[-1] == "exit status 1: problems beyond the missing files (above)"


@pytest.mark.shared
def test_data_check_on_the_shared_emodb_subset(emodb_subset_dir):
    done = cli("data", "check", "emodb", "--data-dir", str(emodb_subset_dir))
    assert done.returncode == 1, done.stderr
    assert "a subset of the corpus (200 of 535 files, 335 missing); nothing else wrong" in done.stdout
    assert ("speakers: 4 of 10 here: 03 (male, 49 files), 08 (female, 58 files), 10 (male, 38 files), "
            "11 (male, 55 files); absent: 09, 12, 13, 14, 15, 16") in done.stdout
    assert cli("data", "check", "emodb", "--data-dir", str(emodb_subset_dir), "--allow-subset").returncode == 0


# ------------------------------------------------------------------ reproduce --profile FILE.yaml (#24, item 5)

def test_reproduce_help_says_profile_takes_a_file():
    text = " ".join(cli("reproduce", "--help").stdout.split())
    assert "--profile NAME|FILE.yaml" in text and "the path to your own YAML parameter file" in text
    assert "a relative data_dir in it is read from the file's folder" in text


def test_reproduce_profile_file_relative_data_dir_is_read_from_its_folder(tmp_path, monkeypatch, make_corpus):
    params = tmp_path / "myclass"
    make_corpus(params / "corpora" / "emodb", EMODB_FAKES)
    (params / "mine.yaml").write_text("dataset: emodb\ndata_dir: corpora\nmax_speakers: 2\n")
    monkeypatch.chdir(tmp_path)  # not the file's folder: the relative path must not depend on the cwd
    values = reproduce.resolve_parameters("quickstart", "myclass/mine.yaml", {"seed": "3"})
    assert values == {"dataset": "emodb", "data_dir": str(params / "corpora"), "max_speakers": 2, "seed": 3}


@pytest.mark.parametrize("content,expected", [
    ("seed: abc\n", "invalid parameter 'seed' for notebook 'quickstart': 'abc' is a string, expected an integer"),
    ("dataset: emodb\ndata_dir: nowhere\n",
     "invalid parameter 'data_dir' for notebook 'quickstart': '{folder}/nowhere' does not exist, and corpus 'emodb'"),
    ("nosuch: 1\n", "{folder}/mine.yaml: unknown parameter 'nosuch' for notebook 'quickstart'"),
])
def test_reproduce_profile_file_is_validated_before_running(tmp_path, content, expected):
    (tmp_path / "mine.yaml").write_text(content)
    done = cli("reproduce", "quickstart", "--profile", str(tmp_path / "mine.yaml"),
               "--output-dir", str(tmp_path / "out"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected.format(folder=tmp_path) in lines[0]
    assert not (tmp_path / "out").exists()


def test_reproduce_profile_file_that_does_not_exist(tmp_path):
    done = cli("reproduce", "quickstart", "--profile", str(tmp_path / "absent.yaml"))
    assert done.returncode == 2 and f"no parameter file '{tmp_path / 'absent.yaml'}'" in done.stderr
