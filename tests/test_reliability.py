"""Issue 23: what happens to hostile or broken input (bad audio, CLI misuse, hostile archives,
corrupt or shared caches, interrupted and repeated runs). One section per item of the issue;
each test failed on the code before the fix. Plus the cache's pipeline version (issue 28)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers import audio, cache, errors, fetch, notebooks, reproduce
from helpers.cache import FeatureCache, make_key
from helpers.errors import DatasetError, InvalidParameterError, SilentAudioError, UnsafeArchiveError
from helpers.paths import FIGURES_DIR, REPO_ROOT


def cli(*args, timeout=300, env=None):
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line_error(done, code=2) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    return lines[0]


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ 1. cache clear data loss

def test_cache_clear_refuses_a_folder_without_the_cache_marker(tmp_path, make_corpus):
    corpus = make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/08a02Lb.wav"])
    (tmp_path / "notes.txt").write_text("my notes")
    before = digests(tmp_path)
    done = cli("cache", "clear", "--cache-dir", str(tmp_path))
    assert "no CACHEDIR.TAG marker" in one_line_error(done) and "refusing" in done.stderr
    assert digests(tmp_path) == before and corpus.is_dir()


def test_cache_clear_deletes_only_cache_entries(tmp_path):
    root = tmp_path / "cache"
    store = FeatureCache(root)
    for i in range(3):
        store.put("opensmile-eGeMAPSv02-functionals", hashlib.sha256(str(i).encode()).hexdigest(), np.ones(3))
    (root / "README.txt").write_text("kept")
    (root / "opensmile-eGeMAPSv02-functionals" / "mine.npz").write_bytes(b"not an entry")
    assert (root / cache.MARKER).is_file()
    done = cli("cache", "clear", "--cache-dir", str(root))
    assert done.returncode == 0 and done.stdout.strip() == "removed 3 entries"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "CACHEDIR.TAG", "README.txt", "opensmile-eGeMAPSv02-functionals/mine.npz"]


# ------------------------------------------------------------------ 2. skipped files are reported

@pytest.fixture
def voice_and_bad_files(tmp_path, write_wav, sine_wave):
    good = write_wav(tmp_path / "good.wav", sine_wave(200, 1.0, amp=0.3))
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000, np.float32))
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"not audio" * 20)
    return good, silent, corrupt


def test_extract_prints_and_records_its_skip_report(voice_and_bad_files, tmp_path, capsys, monkeypatch):
    from helpers import features

    log = tmp_path / "skipped.jsonl"
    monkeypatch.setenv(audio.SKIP_LOG_ENV_VAR, str(log))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as inside `reproduce`: the report must not depend on warnings
        result = features.extract(list(voice_and_bad_files), cache=False, show_progress=False)
    assert len(result) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("skipped 2 of 3 files (openSMILE eGeMAPSv02):")
    assert "silent.wav: SilentAudioError: is silent" in printed and "corrupt.wav: CorruptAudioError" in printed
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert record == {"what": "openSMILE eGeMAPSv02", "skipped": 2, "total": 3, "first": ["silent.wav", "corrupt.wav"]}


def test_skip_summary_lists_the_first_five_and_counts_the_rest(tmp_path):
    report = audio.SkipReport(total=9)
    for i in range(7):
        report.add(tmp_path / f"f{i}.wav", SilentAudioError(tmp_path / f"f{i}.wav", "is silent"))
    lines = report.summary("x").splitlines()
    assert lines[0] == "skipped 7 of 9 files (x):" and lines[1] == "  f0.wav: SilentAudioError: is silent"
    assert len(lines) == 7 and lines[-1].startswith("  ... and 2 more")


def test_reproduce_keeps_skip_warnings_of_other_loaders_visible():
    """helpers.embeddings warns "skipped N file(s) ..."; PYTHONWARNINGS=ignore used to swallow it."""
    code = "import warnings; warnings.warn('skipped 2 file(s) that could not be embedded'); warnings.warn('chatter')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": reproduce.QUIET_ENV["PYTHONWARNINGS"]})
    assert "skipped 2 file(s)" in done.stderr and "chatter" not in done.stderr


def fake_papermill(monkeypatch, body):
    """Replace papermill.execute_notebook by `body(nb, output_path, parameters)`."""
    import papermill

    def execute(nb, output, parameters=None, **kwargs):
        body(nb, Path(output), parameters or {})
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute)


def test_runner_counts_skipped_files(tmp_path, monkeypatch):
    def body(nb, output, parameters):
        audio.record_skipped(8, 46, "openSMILE eGeMAPSv02", [f"bad{i}.wav" for i in range(8)])
        nb.cells[-1].outputs = [nbformat.v4.new_output(
            "stream", name="stderr", text="x.py:1: SkippedFilesWarning: skipped 2 file(s) that could not be embedded: a\n")]
        nbformat.write(nb, output)

    fake_papermill(monkeypatch, body)
    lines = []
    [result] = reproduce.run(["quickstart"], output_dir=tmp_path / "nb", figures_dir=tmp_path / "fig",
                             progress=False, echo=lines.append)
    assert result.skipped == 10 and len(result.skip_reports) == 2
    assert "openSMILE eGeMAPSv02: skipped 8 of 46 (bad0.wav, bad1.wav, bad2.wav, bad3.wav, bad4.wav, ...)" in result.skip_reports[0]
    table = next(line for line in lines if "skipped_files" in line)
    assert table.splitlines()[1].split()[-1] == "10"
    assert audio.SKIP_LOG_ENV_VAR not in os.environ


# ------------------------------------------------------------------ 3. runs that must not touch figures/

def _writes_a_figure(nb, output, parameters):
    from helpers.plotting import figures_root

    folder = figures_root() / "quickstart"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fig_probe.png").write_bytes(b"probe")
    nbformat.write(nb, output)


@pytest.mark.parametrize("kwargs", [{"profile": "smoke"}, {"overrides": {"seed": "1"}}, {}])
def test_non_default_runs_write_figures_beside_their_output(tmp_path, monkeypatch, kwargs):
    fake_papermill(monkeypatch, _writes_a_figure)
    committed = digests(FIGURES_DIR / "quickstart")
    reproduce.run(["quickstart"], output_dir=tmp_path / "run", progress=False, echo=lambda *_: None, **kwargs)
    assert (tmp_path / "run" / "figures" / "quickstart" / "fig_probe.png").read_bytes() == b"probe"
    assert (tmp_path / "run" / "quickstart.ipynb").is_file()
    assert digests(FIGURES_DIR / "quickstart") == committed


def test_a_profile_run_without_output_dir_goes_to_the_runs_folder(tmp_path, monkeypatch):
    fake_papermill(monkeypatch, _writes_a_figure)
    monkeypatch.setenv(reproduce.RUNS_ENV_VAR, str(tmp_path / "runs"))
    committed = notebooks.executed_path("quickstart").read_bytes()
    lines = []
    reproduce.run(["quickstart"], profile="tutorial", progress=False, echo=lines.append)
    assert (tmp_path / "runs" / "tutorial" / "figures" / "quickstart" / "fig_probe.png").is_file()
    assert (tmp_path / "runs" / "tutorial" / "quickstart.ipynb").is_file()
    assert notebooks.executed_path("quickstart").read_bytes() == committed
    assert lines[0].startswith("not the default regeneration: notebooks go to ")


def test_only_the_plain_command_is_the_default_regeneration():
    assert reproduce.plan_folders(None, {}, None, None) == (reproduce.NOTEBOOKS_DIR, None)
    assert reproduce.plan_folders(None, {}, None, Path("/x/f")) == (reproduce.NOTEBOOKS_DIR, Path("/x/f"))
    assert reproduce.plan_folders("smoke", {}, Path("/x/o"), None) == (Path("/x/o"), Path("/x/o/figures"))
    assert reproduce.plan_folders(None, {"seed": 1}, Path("/x/o"), Path("/y")) == (Path("/x/o"), Path("/y"))


@pytest.mark.notebook
def test_smoke_run_with_output_dir_leaves_committed_figures_untouched(tmp_path):
    committed = digests(FIGURES_DIR)
    done = cli("reproduce", "quickstart", "--profile", "smoke", "--output-dir", str(tmp_path), "--no-progress",
               timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert digests(FIGURES_DIR) == committed
    written = {p.name for p in (tmp_path / "figures" / "quickstart").iterdir()}
    assert {f"{o}.{'png' if k == 'figure' else 'csv'}" for k, o, _ in notebooks.outputs("quickstart")} <= written


# ------------------------------------------------------------------ 4. bad audio accepted

def test_a_dc_offset_without_sound_is_silent(tmp_path, write_wav):
    path = write_wav(tmp_path / "dc.wav", np.full(16000, 0.25, np.float32))
    with pytest.raises(SilentAudioError, match="DC offset 0.25"):
        audio.load_audio(path)


def test_a_quiet_tone_on_a_dc_offset_is_sound(tmp_path, write_wav, sine_wave):
    path = write_wav(tmp_path / "tone_dc.wav", 0.25 + sine_wave(200, 1.0, amp=0.01))
    assert audio.load_audio(path).std() == pytest.approx(0.01 / np.sqrt(2), rel=0.05)


def test_float_samples_beyond_full_scale_are_refused(tmp_path, write_wav, sine_wave):
    loud = write_wav(tmp_path / "loud.wav", 40 * sine_wave(200, 1.0, amp=0.5), subtype="FLOAT")
    with pytest.raises(errors.OutOfRangeAudioError, match="loud.wav: samples reach 20"):
        audio.load_audio(loud)
    fine = write_wav(tmp_path / "fine.wav", sine_wave(200, 1.0, amp=1.0), subtype="FLOAT")
    assert np.abs(audio.load_audio(fine, sr=None)).max() == pytest.approx(1.0, abs=1e-3)


def test_bad_audio_is_skipped_by_the_batch_loader(tmp_path, write_wav, sine_wave, capsys):
    paths = [write_wav(tmp_path / "dc.wav", np.full(16000, -0.5, np.float32)),
             write_wav(tmp_path / "loud.wav", 40 * sine_wave(), subtype="FLOAT"),
             write_wav(tmp_path / "ok.wav", sine_wave())]
    loaded, report = audio.load_many(paths)
    assert list(loaded) == [str(paths[2])]
    assert [s.error for s in report] == ["SilentAudioError", "OutOfRangeAudioError"]
    assert capsys.readouterr().out.startswith("skipped 2 of 3 files (loading audio):")


# ------------------------------------------------------------------ 5. shared or read-only cache

def test_cache_entries_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        store = FeatureCache(tmp_path / "c")
        store.put("x", "ab" * 32, np.ones(2))
    finally:
        os.umask(old)
    entry = next((tmp_path / "c").rglob("*.npz"))
    assert entry.stat().st_mode & 0o777 == 0o644


def test_a_read_only_cache_computes_without_writing_and_warns_once(tmp_path, monkeypatch):
    store = FeatureCache(tmp_path / "ro")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cache, "atomic_path", refuse)
    monkeypatch.setattr(cache, "_READ_ONLY_WARNED", set())
    with pytest.warns(cache.ReadOnlyCacheWarning, match="not writable .*computing without storing") as caught:
        store.put("x", "ab" * 32, np.ones(2))
        store.put("x", "cd" * 32, np.ones(2))
    assert len([w for w in caught if issubclass(w.category, cache.ReadOnlyCacheWarning)]) == 1
    assert store.get("x", "ab" * 32) is None


def test_an_undeletable_corrupt_entry_is_recomputed_not_raised(tmp_path, monkeypatch):
    store = FeatureCache(tmp_path / "c")
    store.put("x", "ab" * 32, np.ones(2))
    entry = next((tmp_path / "c").rglob("*.npz"))
    entry.write_bytes(b"garbage")

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "unlink", refuse)
    assert store.get("x", "ab" * 32) is None


# ------------------------------------------------------------------ 6. corpus recognised by its first file only

@pytest.fixture
def emodb_with_a_misnamed_first_file(tmp_path, make_corpus):
    names = ["wav/03a01Fa (copy).wav", "wav/03a01Fa.wav", "wav/08a02Lb.wav", "wav/16b10Tc.wav"]
    make_corpus(tmp_path / "emodb", names)
    return tmp_path


def test_a_misnamed_file_does_not_hide_the_corpus(emodb_with_a_misnamed_first_file):
    from helpers.datasets import load

    data_dir = emodb_with_a_misnamed_first_file
    with pytest.raises(DatasetError, match=r"1 file name\(s\) do not follow the emodb scheme: wav/03a01Fa \(copy\)\.wav"):
        load("emodb", data_dir=data_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = load("emodb", data_dir=data_dir, strict=False)
    assert len(df) == 3 and any("03a01Fa (copy).wav" in str(w.message) for w in caught)
    report = fetch.check("emodb", data_dir=data_dir)
    assert report.found_files == 3 and any("03a01Fa (copy).wav" in p for p in report.problems)


def test_a_folder_of_mostly_foreign_files_is_not_the_corpus(tmp_path, make_corpus):
    from helpers.datasets import find_corpus_root, load_manifest

    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/a.wav", "wav/b.wav", "wav/c.wav"])
    assert find_corpus_root(load_manifest("emodb"), tmp_path) is None


# ------------------------------------------------------------------ 7. parameters checked before any kernel starts

@pytest.mark.parametrize("notebook,overrides,expected", [
    ("quickstart", {"seed": "abc"}, "invalid parameter 'seed' for notebook 'quickstart': 'abc' is a string, expected an integer"),
    ("quickstart", {"seed": "1.5"}, "invalid parameter 'seed'"),
    ("quickstart", {"dataset": "emodbb"}, "invalid parameter 'dataset' for notebook 'quickstart': unknown corpus 'emodbb'; valid: synthetic"),
    ("quickstart", {"max_speakers": "-2"}, "invalid parameter 'max_speakers' for notebook 'quickstart': -2 is negative"),
    ("nasr2025", {"n_mels": "-5"}, "invalid parameter 'n_mels' for notebook 'nasr2025': -5 is negative"),
    ("nasr2025", {"n_mels": "0"}, "invalid parameter 'n_mels' for notebook 'nasr2025': 0 is not allowed"),
    ("das2022", {"transfer": "[emodb, nope]"}, "unknown corpus 'nope'"),
    ("das2022", {"merge_excited": "1"}, "1 is an integer, expected true/false"),
    ("nasr2025", {"lr": ".inf"}, "inf is not a finite number"),
])
def test_bad_parameter_values_are_refused_before_running(notebook, overrides, expected):
    with pytest.raises(InvalidParameterError) as err:
        reproduce.resolve_parameters(notebook, None, overrides)
    assert expected in str(err.value)


def test_an_empty_value_is_the_empty_string_and_types_are_checked():
    assert reproduce.parse_value("") == "" and reproduce.parse_value('""') == ""
    assert reproduce.resolve_parameters("hjuler2025", None, {"gt_dataset": ""}) == {"gt_dataset": ""}
    with pytest.raises(InvalidParameterError, match="'gt_dataset'.*None is NoneType, expected a string"):
        reproduce.resolve_parameters("hjuler2025", None, {"gt_dataset": "null"})


def test_data_dir_must_be_a_folder_and_exist_for_a_real_corpus(tmp_path):
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    with pytest.raises(InvalidParameterError, match="'data_dir' .* is a file, not a folder"):
        reproduce.resolve_parameters("quickstart", None, {"data_dir": str(a_file)})
    with pytest.raises(InvalidParameterError, match="does not exist, and corpus 'emodb' is read from it"):
        reproduce.resolve_parameters("quickstart", None, {"data_dir": str(tmp_path / "nope"), "dataset": "emodb"})
    with pytest.raises(InvalidParameterError, match="inside the repository"):
        reproduce.resolve_parameters("quickstart", None, {"data_dir": str(REPO_ROOT / "notebooks")})
    # synthetic corpora are generated on first use: a new folder is fine
    assert reproduce.resolve_parameters("quickstart", None, {"data_dir": str(tmp_path / "new")})["data_dir"]


@pytest.mark.parametrize("name", notebooks.available())
def test_every_profile_and_default_passes_validation(name):
    reproduce.check_parameters(name, {p.name: p.default for p in notebooks.parameters(name).values()})
    for profile in notebooks.profiles(name):
        params = reproduce.notebooks.profile_path(name, profile).read_text()
        if "shared/data" in params and not (REPO_ROOT.parent / "shared" / "data").is_dir():
            continue
        reproduce.resolve_parameters(name, profile, {})


def test_a_bad_value_exits_2_with_one_line_before_any_kernel(tmp_path):
    done = cli("reproduce", "nasr2025", "-p", "n_mels", "-5", "--output-dir", str(tmp_path))
    assert "'n_mels'" in one_line_error(done)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_cell_error_is_never_cut(tmp_path, monkeypatch):
    import papermill

    message = "first part. " + "x" * 400 + " 2. Or download it yourself."

    def failing(nb, output, **kwargs):
        nbformat.write(nb, output)
        raise papermill.PapermillExecutionError(3, 1, "x = 1", "DatasetError", message, [])

    monkeypatch.setattr(papermill, "execute_notebook", failing)
    result = reproduce.run_one("quickstart", {}, tmp_path, progress=False)
    assert result.error == f"cell 3 (DatasetError: {message})"


# ------------------------------------------------------------------ 8. raw tracebacks on the CLI

def test_an_unusable_output_dir_is_one_line_before_running(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    done = cli("reproduce", "quickstart", "--profile", "smoke", "--output-dir", str(a_file / "sub"))
    assert "--output-dir" in one_line_error(done) and "cannot write there" in done.stderr


def test_an_unusable_figures_dir_is_refused_before_the_notebook_runs(tmp_path, monkeypatch):
    ran = []
    fake_papermill(monkeypatch, lambda *args: ran.append(args))
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InvalidParameterError, match="--figures-dir .*file"):
        reproduce.run(["quickstart"], output_dir=tmp_path / "o", figures_dir=a_file, echo=lambda *_: None)
    assert ran == []


def test_cache_info_on_a_file_is_one_line(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert "is a file, not a folder" in one_line_error(cli("cache", "info", "--cache-dir", str(a_file)))


def test_data_fetch_into_the_repository_is_one_line():
    done = cli("data", "fetch", "emodb", "--data-dir", str(REPO_ROOT / "corpora"))
    assert "inside the repository" in one_line_error(done)


# ------------------------------------------------------------------ 9. cache hits checked

def test_a_hit_of_the_wrong_shape_or_with_nan_is_corrupt(tmp_path):
    store = FeatureCache(tmp_path / "c")
    store.put("x", "ab" * 32, np.ones(3))
    assert store.get("x", "ab" * 32, shape=(88,)) is None
    assert not list((tmp_path / "c").rglob("*.npz"))  # dropped
    store.put("x", "cd" * 32, np.array([1.0, np.nan]))  # written with a NaN: returned as written ...
    assert np.isnan(store.get("x", "cd" * 32).values[1])
    assert store.get("x", "cd" * 32, finite=True) is None  # ... unless the caller needs finite values
    store.put("x", "cd" * 32, np.array([1.0, 2.0]))
    entry = next((tmp_path / "c").rglob(f"{'cd' * 32}.npz"))
    with np.load(entry) as stored:
        arrays = dict(stored)
    arrays["values"] = np.array([1.0, np.nan])  # NaN planted into an entry written finite
    with open(entry, "wb") as handle:
        np.savez(handle, **arrays)
    assert store.get("x", "cd" * 32) is None and not entry.exists()
    planted = FeatureCache(tmp_path / "d")._path("x", "ab" * 32)
    planted.parent.mkdir(parents=True)
    with open(planted, "wb") as handle:
        np.savez(handle, values=np.array([np.nan]))  # no record of how it was written: must be finite
    assert FeatureCache(tmp_path / "d").get("x", "ab" * 32) is None
    store.put("x", "ef" * 32, np.ones((4, 2)), columns=["a", "b"])
    assert store.get("x", "ef" * 32, shape=(None, 2)).values.shape == (4, 2)
    store.put("x", "01" * 32, np.ones((4, 2)), columns=["a", "b", "c"])
    assert store.get("x", "01" * 32) is None


def test_extract_recomputes_a_wrong_shaped_entry(tmp_path, write_wav, sine_wave):
    from helpers import features

    path = write_wav(tmp_path / "v.wav", sine_wave(150, 1.0, amp=0.3))
    store = FeatureCache(tmp_path / "c")
    extractor = "opensmile-eGeMAPSv02-functionals"
    key = make_key(path, extractor, {"sr": features.SAMPLE_RATE}, features._version())
    store.put(extractor, key, np.ones(5))
    result = features.extract([path, path], cache=store, show_progress=False)
    assert result.shape == (2, 88) and np.isfinite(result.to_numpy()).all()
    assert store.get(extractor, key, shape=(88,)) is not None


# ------------------------------------------------------------------ 10. symlink chain in a tar

def test_a_symlink_chain_is_refused_as_ours_and_leaves_nothing(tmp_path):
    archive = tmp_path / "chain.tar"
    with tarfile.open(archive, "w") as tar:
        for name, target in (("y", "."), ("x", "y/..")):
            link = tarfile.TarInfo(name)
            link.type, link.linkname = tarfile.SYMTYPE, target
            tar.addfile(link)
        evil = tarfile.TarInfo("x/evil")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match="chain.tar: refusing to unpack"):
        fetch.safe_extract(archive, dest)
    assert list(dest.iterdir()) == [] and not (tmp_path / "evil").exists()


def test_a_good_archive_merges_into_an_existing_folder(tmp_path):
    archive = tmp_path / "ok.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in (("wav/a.txt", b"new"), ("wav/b.txt", b"b")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dest = tmp_path / "corpus"
    (dest / "downloads").mkdir(parents=True)
    (dest / "wav").mkdir()
    (dest / "wav" / "a.txt").write_bytes(b"old")
    assert fetch.safe_extract(archive, dest) == ["wav/a.txt", "wav/b.txt"]
    assert (dest / "wav" / "a.txt").read_bytes() == b"new" and (dest / "downloads").is_dir()
    assert sorted(p.name for p in dest.iterdir()) == ["downloads", "wav"]


# ------------------------------------------------------------------ 11. byte-stable executed notebooks

def _random_ids_and_a_path(nb, output, parameters):
    for cell in nb.cells:
        cell["id"] = uuid.uuid4().hex[:8]  # as a fresh conversion from the .py does
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("execute_result", data={
        "text/plain": f"PosixPath('{REPO_ROOT}/figures/quickstart/fig.png')"}, execution_count=1)]
    nbformat.write(nb, output)


def test_re_executed_notebooks_are_byte_identical_and_path_free(tmp_path, monkeypatch):
    fake_papermill(monkeypatch, _random_ids_and_a_path)
    first = reproduce.run_one("quickstart", {}, tmp_path / "a", progress=False).executed.read_bytes()
    second = reproduce.run_one("quickstart", {}, tmp_path / "a", progress=False).executed.read_bytes()
    other = reproduce.run_one("quickstart", {}, tmp_path / "b", progress=False).executed.read_bytes()
    assert first == second == other
    assert str(REPO_ROOT).encode() not in first and b"PosixPath('figures/quickstart/fig.png')" in first


def test_cell_ids_come_from_the_previous_copy_then_from_content():
    old = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1", id="keep-me"),
                                          nbformat.v4.new_markdown_cell("# t", id="title")])
    new = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("a = 1"),
                                          nbformat.v4.new_code_cell("a = 1"), nbformat.v4.new_code_cell("b = 2")])
    reproduce.stable_ids(new, old)
    ids = [c.id for c in new.cells]
    assert ids[:2] == ["title", "keep-me"] and len(set(ids)) == 4
    again = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("b = 2")])
    reproduce.stable_ids(again, None)
    assert again.cells[0].id == ids[3]
    nbformat.validate(new)


# ------------------------------------------------------------------ 12. claims of an old run

def test_claims_count_only_tables_this_run_wrote(tmp_path, monkeypatch):
    import papermill

    stale = tmp_path / "fig" / "quickstart"
    stale.mkdir(parents=True)
    pd.DataFrame({"agrees": ["yes", "yes", "no"]}).to_csv(stale / "paper_vs_run.csv", index=False)
    os.utime(stale / "paper_vs_run.csv", (1, 1))

    def failing(nb, output, **kwargs):
        nbformat.write(nb, output)
        raise papermill.PapermillExecutionError(1, 1, "", "ValueError", "boom", [])

    monkeypatch.setattr(papermill, "execute_notebook", failing)
    lines = []
    reproduce.run(["quickstart"], output_dir=tmp_path / "nb", figures_dir=tmp_path / "fig",
                  progress=False, echo=lines.append)
    assert not any("claims that hold" in line for line in lines)

    def writes_claims(nb, output, parameters):
        pd.DataFrame({"agrees": ["yes", "no", None, "unclear", "unclear", "n/a"]}).to_csv(
            stale / "paper_vs_run.csv", index=False)
        nbformat.write(nb, output)

    fake_papermill(monkeypatch, writes_claims)
    lines = []
    reproduce.run(["quickstart"], output_dir=tmp_path / "nb", figures_dir=tmp_path / "fig",
                  progress=False, echo=lines.append)
    claims = next(line for line in lines if "claims that hold" in line).splitlines()
    assert claims[-2].split() == ["notebook", "yes", "no", "unclear", "n/a"]
    assert claims[-1].split() == ["quickstart", "1", "1", "2", "2"]  # an empty cell counts as n/a


# ------------------------------------------------------------------ issue 28: pipeline version in cache keys

@pytest.mark.parametrize("name", sorted(getattr(cache, "PIPELINES", {"(none)": None})))
def test_pipeline_sources_match_their_recorded_digest(name):
    """Fails when a function or constant our preprocessing consists of changes: bump
    PIPELINES[name].version in helpers/cache.py (stale cache entries are then never served)
    and record the new digest there."""
    got = cache.pipeline_source_sha(name)
    assert got == cache.PIPELINES[name].source_sha, (
        f"the {name!r} pipeline's sources changed: bump helpers.cache.PIPELINES[{name!r}].version "
        f"(now {cache.PIPELINES[name].version}) and set its source_sha to {got!r}")


def test_the_pipeline_version_is_part_of_every_key(tmp_path, monkeypatch):
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF")
    before = {e: make_key(path, e, {}, "1") for e in ("opensmile-eGeMAPSv02-functionals", "embed-tiny-wavlm-layer-1", "cqt96")}
    for name, pipeline in cache.PIPELINES.items():
        monkeypatch.setitem(cache.PIPELINES, name, cache.Pipeline(pipeline.version + 1, pipeline.sources, pipeline.source_sha))
    after = {e: make_key(path, e, {}, "1") for e in before}
    assert all(before[e] != after[e] for e in before)
    assert cache.pipeline_for("embed-tiny-wavlm-layer-1") == "embed" and cache.pipeline_for("embedding") is None


def test_the_opensmile_version_string_carries_the_pipeline_version(monkeypatch):
    from helpers import features

    before = features._version()
    monkeypatch.setitem(cache.PIPELINES, "opensmile", cache.Pipeline(99, (), ""))
    assert features._version() != before and features._version().endswith("pipeline=99")


def test_folder_lock_makes_a_second_process_wait(tmp_path):
    """Two notebooks run at once (reproduce --jobs 2) build a shared corpus one after the other."""
    import time

    from helpers.fileio import folder_lock

    waiter = ("import sys, time; sys.path.insert(0, sys.argv[2]); from helpers.fileio import folder_lock\n"
              "with folder_lock(sys.argv[1]): print(time.time())")
    with folder_lock(tmp_path):
        child = subprocess.Popen([sys.executable, "-c", waiter, str(tmp_path), str(REPO_ROOT)], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert child.poll() is None  # still waiting for the lock
        held_until = time.time()
    acquired = float(child.communicate(timeout=60)[0])
    assert acquired >= held_until


def test_run_summary_reads_the_device_line():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="hello\n")]),
                nbformat.v4.new_code_cell("y", outputs=[nbformat.v4.new_output(
                    "stream", name="stdout", text="device: cpu (2 threads) | TensorFlow: CPU | per-file work: threads\n")])]
    line = reproduce.device_line(nb)
    assert line == "device: cpu (2 threads) | TensorFlow: CPU | per-file work: threads".removeprefix("device: ")
    assert reproduce.device_column(line) == "cpu (2 threads)"
    assert reproduce.device_column("no torch models | TensorFlow: GPU:0 (A100) | per-file work: threads") == "TensorFlow: GPU:0 (A100)"
    assert reproduce.device_line(nbformat.v4.new_notebook()) == ""


def test_stream_outputs_the_kernel_split_are_merged_but_not_across_other_outputs():
    import nbformat

    from helpers import reproduce

    stream = lambda name, text: nbformat.v4.new_output("stream", name=name, text=text)
    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
    cell = nbformat.v4.new_code_cell("print(table); print('done')")
    cell.outputs = [stream("stdout", "row 1\nrow 2"), stream("stdout", "\ndone\n"), stream("stderr", "warn\n"),
                    figure, stream("stdout", "after\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    reproduce._scrub(nb)
    outs = nb.cells[0].outputs
    assert [(o.output_type, o.get("name")) for o in outs] == [("stream", "stdout"), ("stream", "stderr"),
                                                              ("display_data", None), ("stream", "stdout")]
    assert outs[0].text == "row 1\nrow 2\ndone\n" and outs[3].text == "after\n"
