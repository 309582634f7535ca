"""Coursework (issue #19): exercise markup, student versions, and how both run.

The markup and release machinery is tested on a toy notebook built here, so it is tested
whatever the paper notebooks hold; the same checks then run on every notebook that must
have exercises (`course.EXERCISE_NOTEBOOKS`).
"""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from helpers import course, notebooks
from helpers.errors import InvalidParameterError

HEADER = """# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
seed = 0  # the only parameter

# %%
base = seed + 2
print(base)

# %% [markdown]
# ## Exercises
"""
# (name, solution body, check) per toy exercise; the check holds for any correct answer.
TOY = [
    ("double", "doubled = base * 2", "assert doubled == 2 * base"),
    ("cube it", "cubed = base ** 3\ncubed = int(cubed)", "assert cubed == base ** 3 and isinstance(cubed, int)"),
    ("a list", "values = [base] * 3", "assert values == [base, base, base]"),
]


def meta(**fields) -> str:
    base = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    return json.dumps({**base, **fields}, sort_keys=True)


def toy_source(name: str = "toy", exercises=TOY, answer: bool = True) -> str:
    """A jupytext notebook with the CONTRIBUTING markup: heading, solution, check (+ answer)."""
    parts = [HEADER]
    for n, (title, solution, check) in enumerate(exercises, start=1):
        parts.append(f"# %% [markdown]\n# ### Exercise {n}: {title}\n# Compute it.\n")
        sol = meta(grade_id=f"{name}-ex{n}-solution", solution=True)
        parts.append(f"# %% nbgrader={sol}\nshown = {n}\n### BEGIN SOLUTION\n{solution}\n### END SOLUTION\n")
        chk = meta(grade_id=f"{name}-ex{n}-check", grade=True, locked=True, points=1)
        parts.append(f"# %% nbgrader={chk}\n{check}\n")
        if answer:
            ans = meta(grade_id=f"{name}-ex{n}-answer", grade=True, solution=True, points=1)
            parts.append(f"# %% [markdown] nbgrader={ans}\n# Model answer number {n}: it scales.\n")
    return "\n".join(parts)


def toy(tmp_path, text=None, name="toy"):
    path = tmp_path / f"{name}.py"
    path.write_text(text if text is not None else toy_source(name))
    return jupytext.read(path, fmt="py:percent")


# ---------------------------------------------------------------- markup, on the toy
def test_toy_markup_is_read_as_three_exercises(tmp_path):
    nb = toy(tmp_path)
    assert course.structure_problems(nb, "toy") == []
    found = course.exercises(nb)
    assert [(e.number, e.title, e.points) for e in found] == [(1, "double", 2.0), (2, "cube it", 2.0), (3, "a list", 2.0)]
    assert found[1].solution == "toy-ex2-solution" and found[1].check == "toy-ex2-check"
    assert found[1].answer == "toy-ex2-answer"
    roles = [course.role(c) for c in nb.cells if course.nbgrader_meta(c)]
    assert roles == ["solution", "check", "answer"] * 3


def swap(text, old, new, count=1):
    assert old in text, old
    return text.replace(old, new, count)


BROKEN = [
    # (what is broken, edit of the toy source, expected message fragment)
    ("two exercises", lambda s: toy_source(exercises=TOY[:2]), "2 exercises; 3–5 expected"),
    ("six exercises", lambda s: toy_source(exercises=TOY * 2), "6 exercises; 3–5 expected"),
    ("unbalanced region", lambda s: swap(s, "### END SOLUTION\n", ""), "BEGIN SOLUTION without END SOLUTION"),
    ("nested region", lambda s: swap(s, "doubled = base * 2", "### BEGIN SOLUTION\ndoubled = base * 2"),
     "BEGIN SOLUTION inside another solution region"),
    ("stray END", lambda s: swap(s, "print(base)", "print(base)\n### END SOLUTION"), "END SOLUTION without BEGIN"),
    ("region in a plain cell", lambda s: swap(s, "print(base)", "### BEGIN SOLUTION\nprint(base)\n### END SOLUTION"),
     "solution region outside a solution cell"),
    ("duplicate grade_id", lambda s: swap(s, '"toy-ex2-check"', '"toy-ex1-check"'), "toy-ex1-check: grade_id used by cells"),
    ("wrong prefix", lambda s: swap(s, '"toy-ex1-check"', '"other-ex1-check"'), "grade_id is not 'toy-exN-"),
    ("old schema", lambda s: swap(s, '"schema_version": 3', '"schema_version": 2'), "schema_version is 2, not 3"),
    ("no points", lambda s: swap(s, ', "points": 1', ""), "graded cell needs points > 0"),
    ("check unlocked", lambda s: swap(s, '"grade": true, "grade_id": "toy-ex1-check", "locked": true',
                                      '"grade": true, "grade_id": "toy-ex1-check", "locked": false'),
     "check cell needs"),
    ("numbering gap", lambda s: swap(s, "toy-ex1-solution", "toy-ex9-solution").replace("toy-ex2-check", "toy-ex9-check"),
     "numbered [1, 2, 3, 9]"),
    ("check before its solution", lambda s: re.sub(r"(# %% nbgrader=[^\n]*toy-ex1-solution.*?\n\n)(# %% nbgrader=[^\n]*toy-ex1-check[^\n]*\n[^\n]*\n\n)",
                                                   r"\2\1", s, flags=re.S),
     "exercise 1: check cell toy-ex1-check must follow its solution"),
    ("missing check", lambda s: re.sub(r"# %% nbgrader=\{[^\n]*toy-ex3-check[^\n]*\n[^\n]*\n", "", s),
     "exercise 3: needs both a solution and a check cell"),
    ("check after the next exercise", lambda s: swap(swap(s, "toy-ex1-check", "toy-exX-check"), "toy-ex2-check", "toy-ex1-check")
     .replace("toy-exX-check", "toy-ex2-check"), "exercise 1: check cell toy-ex1-check must follow its solution"),
    ("missing heading", lambda s: swap(s, "### Exercise 2: cube it", "Exercise two"), "exercise 2: no '### Exercise 2"),
    ("no Exercises section", lambda s: swap(s, "# ## Exercises", "# ## More"), "no '## Exercises' markdown heading"),
    ("writes a figure", lambda s: swap(s, "doubled = base * 2", "doubled = base * 2\nsave_figure(fig, PAPER, 'x')"),
     "exercises must not write the paper's figures"),
    ("misspelt markdown marker", lambda s: swap(s, "# %% [markdown] nbgrader=", "# % [markdown] nbgrader="),
     "'# % [markdown] nbgrader={\"grade\": true, ' is not a jupytext cell marker (write '# %%')"),
    ("solution without region", lambda s: swap(swap(s, "### BEGIN SOLUTION\nvalues", "values"), "[base] * 3\n### END SOLUTION", "[base] * 3"),
     "toy-ex3-solution: solution cell has no '### BEGIN SOLUTION' region"),
]


@pytest.mark.parametrize("what,edit,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_structure_check_names_what_is_broken(tmp_path, what, edit, expected):
    nb = toy(tmp_path, edit(toy_source()))
    problems = course.structure_problems(nb, "toy")
    assert any(expected in p for p in problems), problems


# ---------------------------------------------------------------- student version, on the toy
def test_student_version_stubs_solutions_keeps_checks_and_clears_outputs(tmp_path):
    nb = toy(tmp_path)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="4\n")]
    nb.cells[2].execution_count = 1
    student = course.student_version(nb)
    assert len(student.cells) == len(nb.cells)
    for mine, theirs in zip(nb.cells, student.cells):
        assert course.nbgrader_meta(mine) == course.nbgrader_meta(theirs)
        if course.role(mine) == "solution":
            assert theirs.source.startswith("shown = ")  # setup outside the region is kept
            assert theirs.source.endswith("# YOUR CODE HERE\nraise NotImplementedError()")
        elif course.role(mine) == "answer":
            assert theirs.source == "YOUR ANSWER HERE"
        else:
            assert theirs.source == mine.source
        if mine.cell_type == "code":
            assert theirs.outputs == [] and theirs.execution_count is None
        if course.role(mine) == "check":
            assert theirs.metadata["editable"] is False and theirs.metadata["deletable"] is False
    assert "jupytext" not in student.metadata and "jupytext" in nb.metadata


def test_leak_check_finds_every_solution_line_but_not_shared_ones(tmp_path):
    nb = toy(tmp_path)
    lines = course.solution_lines(nb)
    assert "doubled = base * 2" in lines and "cubed = int(cubed)" in lines
    assert "Model answer number 1: it scales." in lines
    assert "shown = 1" not in lines  # setup outside a region stays in the student version
    student = course.student_version(nb)
    assert course.leaked_lines(nb, student) == []
    student.cells[7].source += "\n    cubed = int(cubed)  "
    assert course.leaked_lines(nb, student) == ["cubed = int(cubed)"]
    student.cells[3].source = "### BEGIN SOLUTION\n### END SOLUTION"
    assert course.leaked_lines(nb, student)[-2:] == ["BEGIN SOLUTION", "END SOLUTION"]


def test_only_jupytext_cell_markers_are_accepted_in_the_source_text():
    text = "\n".join(["# %%", "# %% [markdown]", "# %matplotlib inline", "# %% tags=['x']",
                      "# % [markdown] nbgrader={}", "#%%", "# %%% odd", "# %", "x = 1  # % of files"])
    assert course.marker_problems(text) == [
        f"line {n}: {shown!r} is not a jupytext cell marker (write '# %%')"
        for n, shown in ((5, "# % [markdown] nbgrader={}"), (6, "#%%"), (7, "# %%% odd"), (8, "# %"))]


def test_release_refuses_a_source_whose_markers_jupytext_reads_but_are_not_exact(tmp_path, monkeypatch):
    text = swap(toy_source(), '# %% nbgrader={"grade": true', '#%% nbgrader={"grade": true')
    path = tmp_path / "toy.py"
    path.write_text(text)
    monkeypatch.setattr(notebooks, "source_path", lambda name: path)
    monkeypatch.setattr(notebooks, "read_source", lambda name: jupytext.read(path, fmt="py:percent"))
    assert course.structure_problems(notebooks.read_source("toy"), "toy") == []  # jupytext accepts it
    with pytest.raises(course.SerxaiError, match=r"toy: exercise markup is broken: line \d+: '#%% nbgrader="):
        course.checked_source("toy")


def test_a_misspelt_answer_marker_is_refused_and_its_answer_found_as_a_leak(tmp_path):
    """Issue #24: `# % [markdown]` glues the written answer into the check cell above as
    comments; the student version then hands it out inside a locked check cell."""
    text = toy_source().replace("# %% [markdown] nbgrader=", "# % [markdown] nbgrader=")
    nb = toy(tmp_path, text)
    assert [e.points for e in course.exercises(nb)] == [1.0, 1.0, 1.0]  # the answers' points are lost
    assert sum("is not a jupytext cell marker" in p for p in course.structure_problems(nb, "toy")) == 3
    student = course.student_version(nb)
    glued = [c.source for c in student.cells if course.role(c) == "check"]
    assert all("# Model answer number" in source for source in glued)
    assert course.leaked_lines(nb, student) == []  # what the old leak test saw
    assert course.leaked_lines(nb, student, text) == [f"Model answer number {n}: it scales." for n in (1, 2, 3)]
    assert course.source_answer_lines(toy_source()) == course.solution_lines(toy(tmp_path))


def test_a_model_answer_repeated_in_a_check_cell_is_a_leak(tmp_path):
    text = swap(toy_source(), "assert values == [base, base, base]", "values = [base] * 3\nassert values == [base, base, base]")
    nb = toy(tmp_path, text)
    assert "values = [base] * 3" in course.solution_lines(nb)
    assert course.leaked_lines(nb, course.student_version(nb)) == ["values = [base] * 3"]


def test_a_solution_line_that_also_appears_in_a_paper_cell_is_not_distinctive(tmp_path):
    text = swap(toy_source(), "doubled = base * 2\n", "doubled = base * 2\nprint(base)\n")
    assert "print(base)" not in course.solution_lines(toy(tmp_path, text))
    same_cell = swap(toy_source(), "doubled = base * 2\n", "doubled = base * 2\nshown = 1\n")
    assert "shown = 1" not in course.solution_lines(toy(tmp_path, same_cell))
    assert "doubled = base * 2" in course.solution_lines(toy(tmp_path, same_cell))


def test_parameters_are_injected_after_the_parameters_cell(tmp_path):
    student = course.student_version(toy(tmp_path), {"seed": 5}, comment="from the tutorial profile")
    injected = student.cells[1]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert injected.source == "# from the tutorial profile\nseed = 5\n"
    assert "tags" not in student.cells[2].metadata  # no empty tag lists left behind


@pytest.mark.notebook
def test_toy_instructor_passes_and_student_fails_each_check(tmp_path):
    nb = toy(tmp_path)
    instructor = course.outcomes(course.execute(nb, {"seed": 1}))
    assert [(o.role, o.error) for o in instructor] == [("other", None)] * 3 + [("solution", None), ("check", None)] * 3
    student = course.outcomes(course.execute(course.student_version(nb), {"seed": 1}))
    assert course.unexpected(student) == []
    assert [o.error for o in student if o.role == "check"] == ["NameError"] * 3
    assert [o.error for o in student if o.role == "solution"] == ["NotImplementedError"] * 3
    # the cells before the exercises ran with the injected seed
    assert student[2].error is None and student[1].grade_id == ""


def test_unexpected_outcomes_are_reported():
    CO = course.CellOutcome
    found = [CO(0, "other", "", "ValueError", evalue="boom"), CO(1, "solution", "t-ex1-solution", None),
             CO(2, "check", "t-ex1-check", None), CO(3, "other", "", None, executed=False)]
    assert course.unexpected(found) == [
        "cell 0 (other) raised ValueError: boom",
        "cell 1 (t-ex1-solution): expected NotImplementedError, got no error",
        "cell 2 (t-ex1-check): check passed without an answer",
        "cell 3 (other) was not executed",
    ]


# ---------------------------------------------------------------- names and the command line
def test_course_names_are_validated_like_reproduce(monkeypatch):
    monkeypatch.setattr(course, "with_exercises", lambda: ["quickstart", "das2022"])
    assert course.check_names([]) == ["quickstart", "das2022"]
    with pytest.raises(InvalidParameterError, match=r"unknown notebook 'nosuch'.*valid: quickstart, das2022$"):
        course.check_names(["quickstart", "nosuch"])


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True, timeout=timeout)


def test_release_with_an_unknown_name_is_a_one_line_error(tmp_path):
    done = cli("course", "release", "nosuchpaper", "--out", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown notebook 'nosuchpaper'")
    assert "valid: " in lines[0] and list(tmp_path.iterdir()) == []


def test_release_without_out_is_a_one_line_error():
    done = cli("course", "release", "quickstart")
    assert done.returncode == 2 and done.stderr.strip() == (
        "error: 'course release' needs --out DIR (folder for the student notebooks)")


def test_binder_builds_the_student_versions_the_readme_links_to():
    from helpers.paths import REPO_ROOT

    post_build = (REPO_ROOT / "binder" / "postBuild").read_text()
    assert "python -m helpers course release --out student" in post_build
    assert "urlpath=lab/tree/student/quickstart.ipynb" in (REPO_ROOT / "README.md").read_text()


# ---------------------------------------------------------------- the paper notebooks
REQUIRED = course.EXERCISE_NOTEBOOKS


def test_the_required_notebooks_exist():
    assert set(REQUIRED) <= set(notebooks.available())
    assert "faithfulness" not in REQUIRED


@pytest.mark.parametrize("name", REQUIRED)
def test_exercise_markup_is_complete(name):
    assert course.structure_problems(notebooks.read_source(name), name) == []


@pytest.mark.parametrize("name", REQUIRED)
def test_released_notebook_holds_no_solution(name, tmp_path):
    profile = "tutorial" if "tutorial" in notebooks.profiles(name) else None  # as handed out
    [path] = course.release([name], tmp_path, profile=profile, echo=lambda *_: None)
    instructor, student = notebooks.read_source(name), nbformat.read(path, as_version=4)
    assert course.solution_lines(instructor), "no solution lines found"
    assert course.leaked_lines(instructor, student) == []
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert sum("raise NotImplementedError()" in c.source for c in student.cells) == len(course.exercises(instructor))


@pytest.mark.parametrize("name", notebooks.available())
def test_student_release_holds_no_line_of_any_model_answer(name):
    """Every notebook, built as handed out (tutorial profile) without the markup check, so a
    broken marker shows up here as the answer lines it leaks; the answers are read from the
    jupytext text itself, markdown answer cells included, and searched in every cell."""
    text = notebooks.source_path(name).read_text(encoding="utf-8")
    instructor = notebooks.read_source(name)
    if not course.has_exercises(name):
        assert course.source_answer_lines(text) == []
        return
    profile = "tutorial" if "tutorial" in notebooks.profiles(name) else None
    parameters, _ = course.profile_parameters(name, profile)
    student = course.student_version(instructor, parameters)
    assert course.source_answer_lines(text), "no model-answer lines found"
    assert course.leaked_lines(instructor, student, text) == []


@pytest.fixture(scope="module", params=REQUIRED)
def student_run(request, tmp_path_factory):
    """One run of each student version on the smoke profile (every cell, errors allowed),
    shared by the three assertions below."""
    name = request.param
    if not course.has_exercises(name):
        pytest.fail(f"{name} has no exercises yet")
    figures = tmp_path_factory.mktemp(f"student-{name}")
    return name, course.execute_student(name, "smoke", figures_dir=figures)


@pytest.mark.notebook
def test_student_solution_cells_raise_not_implemented(student_run):
    name, found = student_run
    solutions = [(o.grade_id, o.error) for o in found if o.role == "solution"]
    assert len(solutions) == len(course.exercises(notebooks.read_source(name))) >= course.MIN_EXERCISES
    assert solutions == [(gid, "NotImplementedError") for gid, _ in solutions]


@pytest.mark.notebook
def test_student_check_cells_fail(student_run):
    name, found = student_run
    checks = [o for o in found if o.role == "check"]
    assert len(checks) >= course.MIN_EXERCISES
    assert [o.grade_id for o in checks if not o.executed or o.error is None] == []


@pytest.mark.notebook
def test_student_paper_cells_run_cleanly(student_run):
    name, found = student_run
    others = [o for o in found if o.role == "other"]
    assert others and course.unexpected(others) == []


def test_course_list_shows_exercises_ids_and_points(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "with_exercises", lambda: ["toy"])
    monkeypatch.setattr(notebooks, "read_source", lambda name: toy(tmp_path))
    assert course.describe().splitlines() == [
        "toy  (3 exercises, 6 points)",
        "    1. double  [2 pt]  toy-ex1-solution, toy-ex1-check, toy-ex1-answer",
        "    2. cube it  [2 pt]  toy-ex2-solution, toy-ex2-check, toy-ex2-answer",
        "    3. a list  [2 pt]  toy-ex3-solution, toy-ex3-check, toy-ex3-answer",
    ]


def test_course_list_through_the_cli_names_every_notebook_with_exercises():
    done = cli("course", "list")
    assert done.returncode == 0, done.stderr
    shown = re.findall(r"^(\w+)  \((\d+) exercises", done.stdout, re.M)
    assert [n for n, _ in shown] == course.with_exercises()
    for name, count in shown:
        assert f"{name}-ex1-check" in done.stdout and int(count) == len(course.exercises(notebooks.read_source(name)))


def nbgrader(*args, cwd):
    """nbgrader's own command line (it runs `alembic` from the same environment)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


@pytest.mark.notebook
def test_nbgrader_takes_the_markup_unchanged_and_grades_it(tmp_path):
    """`course source` → nbgrader generate_assignment gives our student version; nbgrader's
    autograde gives the instructor version every check point and the student version none."""
    nb = toy(tmp_path)
    root = tmp_path / "course"
    course.write_source(nb, "toy", root, {"seed": 1})
    assert "c.Execute.timeout = 600" in (root / "nbgrader_config.py").read_text()
    nbgrader("generate_assignment", "toy", cwd=root)
    theirs = nbformat.read(root / "release" / "toy" / "toy.ipynb", as_version=4)
    ours = course.student_version(nb, {"seed": 1})
    assert [c.source for c in theirs.cells] == [c.source for c in ours.cells]
    assert [course.nbgrader_meta(c).get("grade_id") for c in theirs.cells] == [
        course.nbgrader_meta(c).get("grade_id") for c in ours.cells]
    for student, version in (("alice", ours), ("bob", nbformat.read(root / "source" / "toy" / "toy.ipynb", as_version=4))):
        folder = root / "submitted" / student / "toy"
        folder.mkdir(parents=True)
        nbformat.write(version, folder / "toy.ipynb")
    nbgrader("autograde", "toy", cwd=root)
    nbgrader("export", cwd=root)
    grades = {row["student_id"]: row for row in csv.DictReader((root / "grades.csv").open())}
    assert float(grades["alice"]["score"]) == 0 and float(grades["alice"]["max_score"]) == 6
    assert float(grades["bob"]["score"]) == 3  # the three checks; written answers are graded by hand


@pytest.mark.notebook
def test_grading_by_check_cells_restores_the_checks_and_counts_passes(tmp_path):
    nb = toy(tmp_path)
    submission = course.student_version(nb, {"seed": 1})
    solved = next(c for c in submission.cells if course.nbgrader_meta(c).get("grade_id") == "toy-ex1-solution")
    solved.source = solved.source.replace("raise NotImplementedError()", "doubled = base + base")
    tampered = next(c for c in submission.cells if course.nbgrader_meta(c).get("grade_id") == "toy-ex2-check")
    tampered.source = "assert True"
    dropped = next(i for i, c in enumerate(submission.cells) if course.nbgrader_meta(c).get("grade_id") == "toy-ex3-check")
    del submission.cells[dropped]
    marks = course.grade(submission, instructor=nb, figures_dir=tmp_path)
    assert [(m.grade_id, m.points, m.passed, m.error) for m in marks] == [
        ("toy-ex1-check", 1.0, True, None), ("toy-ex2-check", 1.0, False, "NameError"),
        ("toy-ex3-check", 1.0, False, "missing")]


# ---------------------------------------------------------------- parameter files (issue #24)
def test_relative_data_dir_resolves_against_the_parameter_file_then_the_repository(tmp_path, monkeypatch):
    from helpers.paths import REPO_ROOT

    monkeypatch.chdir(tmp_path)  # the kernel's working directory plays no part
    (tmp_path / "corpora" / "emodb").mkdir(parents=True)
    (tmp_path / "params").mkdir()
    params = tmp_path / "params" / "mine.yaml"
    assert course.resolve_data_dir(None) is None and course.resolve_data_dir("") is None
    assert course.resolve_data_dir("/abs/data") == Path("/abs/data")
    assert course.resolve_data_dir("../corpora/emodb", params) == tmp_path / "corpora" / "emodb"
    assert course.resolve_data_dir("notebooks/params") == REPO_ROOT / "notebooks" / "params"
    assert course.resolve_data_dir("params") == REPO_ROOT / "notebooks" / "params"  # the runner's cwd, notebooks/
    assert course.resolve_data_dir("nowhere", params) == tmp_path / "params" / "nowhere"
    assert course.resolve_data_dir("nowhere") == REPO_ROOT / "nowhere"


def test_a_users_parameter_file_is_validated_and_its_data_dir_resolved(tmp_path):
    (tmp_path / "data").mkdir()
    good = tmp_path / "mine.yaml"
    good.write_text("max_speakers: 2\ndata_dir: data\n")
    assert course.read_parameter_file("quickstart", good) == {"max_speakers": 2, "data_dir": str(tmp_path / "data")}
    assert course.profile_parameters("quickstart", str(good)) == (
        {"max_speakers": 2, "data_dir": str(tmp_path / "data")}, "Parameters from mine.yaml")
    assert course.profile_parameters("quickstart", "tutorial")[0] == {"max_speakers": 0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("max_speakers: 2\nspeed: 3\n")
    with pytest.raises(InvalidParameterError, match=r"bad.yaml: unknown parameter 'speed' for notebook 'quickstart'; valid: seed"):
        course.read_parameter_file("quickstart", bad)
    bad.write_text("- a list\n")
    with pytest.raises(InvalidParameterError, match="expected 'name: value' lines, got a list"):
        course.read_parameter_file("quickstart", bad)
    with pytest.raises(InvalidParameterError, match="no parameter file"):
        course.profile_parameters("quickstart", str(tmp_path / "missing.yaml"))


def test_release_takes_a_path_to_the_users_own_parameter_file(tmp_path):
    mine = tmp_path / "class.yaml"
    mine.write_text("max_speakers: 6\nseed: 3\n")
    done = cli("course", "release", "quickstart", "--out", str(tmp_path / "out"), "--profile", str(mine))
    assert done.returncode == 0, done.stderr
    student = nbformat.read(tmp_path / "out" / "quickstart.ipynb", as_version=4)
    [injected] = [c for c in student.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected.source.splitlines() == ["# Parameters from class.yaml", "max_speakers = 6", "seed = 3"]


def course_cli():
    """The real command line (`python -m helpers`), so the test also sees how `course` is wired."""
    from helpers.__main__ import _parser

    return _parser()


@pytest.mark.parametrize("action,expected", [
    ("release", ["usage: python -m helpers course release", "--out DIR", "--profile NAME|FILE.yaml",
                 "path to your own YAML parameter file", "--no-profile", "(default: tutorial)"]),
    ("grade", ["usage: python -m helpers course grade", "SUBMISSION.ipynb", "restored from the instructor"]),
    ("list", ["usage: python -m helpers course list", "grade_ids and points"]),
])
def test_each_course_action_has_its_own_help(action, expected, capsys):
    with pytest.raises(SystemExit) as done:
        course_cli().parse_args(["course", action, "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert done.value.code == 0
    assert [e for e in expected if e not in shown] == []
    others = {"release": "--out", "grade": "--out", "list": "--profile"}
    assert action == "release" or others[action] not in shown


def test_the_course_cli_gives_the_namespace_main_reads():
    args = course_cli().parse_args(["course", "release", "quickstart", "--out", "student", "--profile", "mine.yaml"])
    assert (args.action, args.notebooks, args.out, args.profile, args.no_profile) == (
        "release", ["quickstart"], Path("student"), "mine.yaml", False)
    args = course_cli().parse_args(["course", "grade", "a.ipynb", "b.ipynb"])
    assert (args.action, args.notebooks, args.out, args.profile) == ("grade", ["a.ipynb", "b.ipynb"], None, None)
    assert course_cli().parse_args(["course", "source", "--no-profile"]).profile == "tutorial"
