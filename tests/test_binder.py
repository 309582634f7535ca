"""Issue #24: Binder builds the image students start from.

repo2docker (the builder behind mybinder.org) is not installed here, so `repo2docker_plan`
below models the part of its documented behaviour this repository depends on:

* a `binder/` (or `.binder/`) folder, when present, is the only place it reads configuration
  from: `environment.yml`, `requirements.txt` and `runtime.txt` at the root are then ignored;
* it picks the first build pack whose file it finds (Dockerfile, Julia, Nix, R, conda
  `environment.yml`, Pipfile, then plain Python: `requirements.txt` or `runtime.txt`);
* the Python build pack runs `apt.txt`, sets the Python of `runtime.txt` (`python-X.Y`; without
  it, repo2docker's own default, older than 3.11), installs `requirements.txt` with pip, then
  runs `postBuild` (which must be executable).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from helpers.paths import REPO_ROOT

# Build packs in repo2docker's detection order: (name, files that select it).
BUILD_PACKS = [
    ("docker", ("Dockerfile",)),
    ("julia", ("Project.toml", "JuliaProject.toml", "REQUIRE")),
    ("nix", ("default.nix",)),
    ("r", ("DESCRIPTION",)),
    ("conda", ("environment.yml",)),
    ("pipfile", ("Pipfile", "Pipfile.lock")),
    ("python", ("requirements.txt", "runtime.txt")),
]
PYTHON_STEPS = ("apt.txt", "runtime.txt", "requirements.txt", "postBuild")


def repo2docker_plan(repo: Path) -> tuple[Path, str, list[str]]:
    """(configuration folder, build pack, configuration files in the order they are used)."""
    folders = [repo / name for name in (".binder", "binder") if (repo / name).is_dir()]
    assert len(folders) <= 1, "repo2docker refuses a repository with both .binder/ and binder/"
    config = folders[0] if folders else repo
    pack = next((name for name, files in BUILD_PACKS if any((config / f).exists() for f in files)), "python")
    if pack == "r" or ((config / "runtime.txt").exists() and (config / "runtime.txt").read_text().startswith("r-")):
        pack = "r"
    steps = PYTHON_STEPS if pack == "python" else ()
    return config, pack, [name for name in steps if (config / name).exists()]


def test_the_model_reads_binder_only_and_picks_conda_for_an_environment_file(tmp_path):
    (tmp_path / "environment.yml").write_text("dependencies: [python=3.11]\n")
    assert repo2docker_plan(tmp_path)[1] == "conda"
    (tmp_path / "binder").mkdir()
    (tmp_path / "binder" / "requirements.txt").write_text("numpy\n")
    assert repo2docker_plan(tmp_path) == (tmp_path / "binder", "python", ["requirements.txt"])


def test_binder_is_a_python_build_of_the_binder_folder_with_every_step():
    config, pack, used = repo2docker_plan(REPO_ROOT)
    assert config == REPO_ROOT / "binder" and pack == "python"
    assert used == ["apt.txt", "runtime.txt", "requirements.txt", "postBuild"]
    assert (REPO_ROOT / "environment.yml").exists()  # … which Binder ignores, hence runtime.txt
    assert os.access(config / "postBuild", os.X_OK), "repo2docker runs postBuild only when it is executable"


def test_runtime_is_the_python_the_package_and_the_pins_require():
    runtime = (REPO_ROOT / "binder" / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"runtime.txt must read python-X.Y, not {runtime!r}"
    python = Version(match[1])
    project = (REPO_ROOT / "pyproject.toml").read_text()
    requires = re.search(r'^requires-python\s*=\s*"([^"]+)"', project, re.M)[1]
    assert python in SpecifierSet(requires)
    conda = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())["dependencies"]
    assert f"python={python}" in conda
    assert f"Python {python}" in (REPO_ROOT / "requirements.txt").read_text().splitlines()[0]


def test_binder_installs_torch_from_the_cpu_index():
    lines = [line.strip() for line in (REPO_ROOT / "binder" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    indexes = [line.split()[-1] for line in lines if line.startswith(("--extra-index-url", "--index-url"))]
    assert indexes == ["https://download.pytorch.org/whl/cpu"]
    [torch] = [line for line in lines if re.match(r"torch\b", line)]
    main = re.search(r"^torch==(\S+)$", (REPO_ROOT / "requirements.txt").read_text(), re.M)[1]
    assert torch == f"torch=={main}+cpu"
    assert not any(re.search(r"nvidia|cuda|^tensorflow==", line) for line in lines)  # tensorflow-cpu only
    assert not any(line.startswith(("-e", ".")) for line in lines), "the package itself is installed by postBuild"


# Commands postBuild may run: installs without dependency resolution, the kernel, the
# student mode and the release of the student notebooks (no execution, no download).
LIGHT_COMMANDS = [
    r"pip install --no-deps -r requirements-nodeps\.txt",
    r"pip install --no-deps -e \.",
    r"python -m ipykernel install --user --name python3",
    r"python binder/student_mode\.py",
    r"python -m helpers course release --out student",
]
HEAVY = re.compile(r"reproduce|pytest|papermill|nbconvert|--execute|data fetch|make\b|curl|wget|"
                   r"huggingface|from_pretrained|download")


def post_build_commands() -> list[str]:
    text = (REPO_ROOT / "binder" / "postBuild").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_post_build_does_only_light_work():
    commands = post_build_commands()
    assert commands[0] == "set -euo pipefail", "a failing step must fail the build"
    unexpected = [c for c in commands[1:] if not any(re.fullmatch(p, c) for p in LIGHT_COMMANDS)]
    assert unexpected == []
    assert not any(HEAVY.search(c) for c in commands)
    assert commands.index("python binder/student_mode.py") < commands.index("python -m helpers course release --out student")


def test_post_build_commands_exist_here():
    """Every `python …` step names a module or script of this repository that can run."""
    for command in post_build_commands():
        words = shlex.split(command)
        if words[:2] == ["python", "-m"] and words[2] == "helpers":
            done = subprocess.run([sys.executable, "-m", "helpers", words[3], "--help"], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        elif words[0] == "python" and words[1].endswith(".py"):
            assert (REPO_ROOT / words[1]).is_file()


def load_student_mode():
    import importlib.util

    spec = importlib.util.spec_from_file_location("student_mode", REPO_ROOT / "binder" / "student_mode.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_student_mode_turns_off_nbgrader_instructor_tools(tmp_path):
    """Run on a copy of this environment's Jupyter configuration: jupyter_server then finds
    the formgrader off and validate-assignment on; the lab plugins are disabled and locked."""
    from jupyter_server.extension.config import ExtensionConfigManager

    student_mode = load_student_mode()
    installed = Path(sys.prefix) / "etc" / "jupyter"
    shutil.copytree(installed, tmp_path / "etc" / "jupyter")
    before = ExtensionConfigManager(read_config_path=[str(installed)]).get_jpserver_extensions()
    assert all(before.get(name) for name in student_mode.SERVER_EXTENSIONS), "nbgrader's pip install enables them"

    (tmp_path / "etc" / "jupyter" / "jupyter_server_config.json").write_text('{"ServerApp": {"jpserver_extensions": {"x": true}}}')
    written = student_mode.disable_instructor_tools(tmp_path)
    after = ExtensionConfigManager(read_config_path=[str(tmp_path / "etc" / "jupyter")]).get_jpserver_extensions()
    assert {name: after[name] for name in student_mode.SERVER_EXTENSIONS} == dict.fromkeys(student_mode.SERVER_EXTENSIONS, False)
    assert after["nbgrader.server_extensions.validate_assignment"] is True and after["x"] is True  # others kept
    assert after["jupyterlab"] is True

    page = json.loads(written[1].read_text())
    assert page["disabledExtensions"] == page["lockedExtensions"] == dict.fromkeys(student_mode.LAB_PLUGINS, True)
    bundle = "".join(p.read_text(errors="ignore") for p in
                     (Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader").rglob("*.js"))
    assert [plugin for plugin in student_mode.LAB_PLUGINS if plugin not in bundle] == []  # real plugin ids
    assert "@jupyter/nbgrader:validate-assignment" in bundle and "@jupyter/nbgrader:validate-assignment" not in page["disabledExtensions"]


def test_student_mode_keeps_a_second_run_unchanged(tmp_path):
    student_mode = load_student_mode()
    first = [p.read_text() for p in student_mode.disable_instructor_tools(tmp_path)]
    assert [p.read_text() for p in student_mode.disable_instructor_tools(tmp_path)] == first


# ---------------------------------------------------------------- what citation and packaging tools read
def test_citation_file_names_the_companion_and_each_papers_notebook():
    import tomllib

    from helpers import notebooks

    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    assert citation["authors"] and citation["message"] and citation["title"]
    assert citation["version"] == project["version"] and citation["license"] == project["license"]["text"]
    assert citation["repository-code"] == project["urls"]["Repository"]
    papers = [n for n in notebooks.available() if re.fullmatch(r"[a-z]+\d{4}", n)]
    cited = [re.search(r"notebooks/(\w+)", ref["notes"])[1] for ref in citation["references"]]
    assert sorted(cited) == sorted(papers) and len(papers) == 5
    for ref, name in zip(citation["references"], cited):
        assert ref["title"] and ref["authors"] and ref["year"] == int(name[-4:]), name  # dixit2024 → 2024


def test_pyproject_has_the_metadata_an_index_shows():
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert (REPO_ROOT / project["readme"]).is_file()
    assert {"Homepage", "Repository", "Binder"} <= set(project["urls"])
    assert project["dependencies"] == [] and "No `dependencies` on purpose" in (REPO_ROOT / "pyproject.toml").read_text()
