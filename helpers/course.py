"""Coursework: the exercises in the notebooks, their student versions, and how those run.

Exercises carry nbgrader's markup (CONTRIBUTING.md, "Exercises"), so the instructor
version is the notebook itself. Student versions are built by nbgrader's own
preprocessors run through nbconvert, never by a hand-written stripper, so that what
`course release` hands out is what `nbgrader generate_assignment` would.

The source of a student version is the jupytext `.py`, not the executed `.ipynb`: the
`.py` is the reviewed file (CONTRIBUTING), the one `reproduce` executes, and it exists
before the `.ipynb` has been regenerated. Outputs are cleared anyway (ClearOutput), so
an executed notebook passed in yields the same student version.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import notebooks
from .errors import InvalidParameterError, SerxaiError
from .fileio import atomic_write_text
from .paths import NOTEBOOKS_DIR, PARAMS_DIR, REPO_ROOT

# Notebooks that must end with an `## Exercises` section (the lead's `faithfulness` is exempt).
EXERCISE_NOTEBOOKS = ("quickstart", "dixit2024", "das2022", "hjuler2025", "smietanka2023", "nasr2025")
MIN_EXERCISES, MAX_EXERCISES = 3, 5
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
RELEASE_PROFILE = "tutorial"  # students get the classroom-sized parameters by default
_GRADE_ID = re.compile(r"^(?P<paper>.+)-ex(?P<number>\d+)-(?P<role>solution|check|answer)$")
_HEADING = re.compile(r"^###\s+Exercise\s+(\d+)\s*:\s*(.+?)\s*$", re.M)
_PAPER_OUTPUT = re.compile(r"\b(save_figure|save_table|paper_vs_run)\(")
_REQUIRED_KEYS = ("grade", "grade_id", "locked", "schema_version", "solution", "task")
# Anything shaped like a jupytext percent cell marker (`#` then `%` signs, then a space, a
# `[cell type]` or the end of the line; a commented magic such as `# %matplotlib` is not one).
# Only `# %%` is jupytext's: `# % [markdown]`, `#%%` or `# %%%` would silently glue the
# following text into the cell above.
_LOOSE_MARKER = re.compile(r"^#\s*%+(?=\s|\[|$)")
_EXACT_MARKER = re.compile(r"^# %%(?=\s|$)")
_MARKDOWN_HEADER = re.compile(r"\[(markdown|md)\]")


@dataclass
class Exercise:
    number: int
    title: str = ""
    solution: str = ""  # grade_ids
    check: str = ""
    answer: str = ""
    points: float = 0.0  # check + written answer


def nbgrader_meta(cell) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def role(cell) -> str:
    """'solution', 'check', 'answer' (graded markdown) or 'other', from nbgrader's flags."""
    meta = nbgrader_meta(cell)
    if not meta:
        return "other"
    if cell.cell_type == "markdown":
        return "answer" if meta.get("solution") else "other"
    if meta.get("solution"):
        return "solution"
    return "check" if meta.get("grade") else "other"


def _split(source: str) -> tuple[list[list[str]], list[str]]:
    """(lines inside each solution region, lines outside any; delimiters are outside).
    Raises ValueError on nested, unclosed or stray delimiters."""
    regions, outside, current = [], [], None
    for number, line in enumerate(source.splitlines(), start=1):
        if "BEGIN SOLUTION" in line:
            if current is not None:
                raise ValueError(f"line {number}: BEGIN SOLUTION inside another solution region")
            current = []
            outside.append(line)
        elif "END SOLUTION" in line:
            if current is None:
                raise ValueError(f"line {number}: END SOLUTION without BEGIN SOLUTION")
            regions.append(current)
            current = None
            outside.append(line)
        elif current is not None:
            current.append(line)
        else:
            outside.append(line)
    if current is not None:
        raise ValueError("BEGIN SOLUTION without END SOLUTION")
    return regions, outside


def solution_regions(source: str) -> list[list[str]]:
    """Lines inside each `### BEGIN SOLUTION` … `### END SOLUTION` region (raises if unbalanced)."""
    return _split(source)[0]


def exercises(nb) -> list[Exercise]:
    """The exercises of a notebook, numbered from their grade_ids, in notebook order."""
    found: dict[int, Exercise] = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for number, title in _HEADING.findall(cell.source):
                found.setdefault(int(number), Exercise(int(number))).title = title
        match = _GRADE_ID.match(str(nbgrader_meta(cell).get("grade_id", "")))
        if not match:
            continue
        exercise = found.setdefault(int(match["number"]), Exercise(int(match["number"])))
        setattr(exercise, match["role"], match.group(0))
        exercise.points += float(nbgrader_meta(cell).get("points", 0) or 0)
    return [found[n] for n in sorted(found) if found[n].solution or found[n].check or found[n].answer]


def has_exercises(name: str) -> bool:
    return any(nbgrader_meta(c) for c in notebooks.read_source(name).cells)


def with_exercises() -> list[str]:
    """Notebooks (in run order) whose source holds nbgrader cells."""
    return [n for n in notebooks.available() if has_exercises(n)]


def check_names(names) -> list[str]:
    """Validate names like `reproduce` does; default: every notebook with exercises."""
    valid = with_exercises()
    if not names and not valid:
        raise SerxaiError("no notebook has exercises yet (see CONTRIBUTING.md, 'Exercises')")
    return notebooks.check_names(names, valid, hint=" (or it has no exercises)")


def _metadata_problems(cell, name: str) -> list[str]:
    meta, cell_role = nbgrader_meta(cell), role(cell)
    gid = meta.get("grade_id", "?")
    problems = [f"{gid}: nbgrader metadata lacks {k!r}" for k in _REQUIRED_KEYS if k not in meta]
    if meta.get("schema_version") != 3:
        problems.append(f"{gid}: schema_version is {meta.get('schema_version')!r}, not 3")
    match = _GRADE_ID.match(str(gid))
    if not match or match["paper"] != name:
        problems.append(f"{gid}: grade_id is not '{name}-exN-solution|check|answer'")
    elif match["role"] != cell_role:
        problems.append(f"{gid}: grade_id says {match['role']} but the cell is a {cell_role} cell")
    if meta.get("grade"):
        points = meta.get("points")
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
            problems.append(f"{gid}: graded cell needs points > 0 (has {points!r})")
    expected = {"solution": dict(grade=False, solution=True, locked=False),
                "check": dict(grade=True, solution=False, locked=True),
                "answer": dict(grade=True, solution=True, locked=False)}.get(cell_role)
    if expected is None:
        problems.append(f"{gid}: nbgrader cell is neither a solution, a check nor a written answer")
    else:
        wrong = {k: meta.get(k) for k, v in expected.items() if meta.get(k) is not v}
        if wrong or meta.get("task"):
            problems.append(f"{gid}: {cell_role} cell needs {expected} and task false, has {wrong}")
    if cell_role == "solution" and cell.cell_type == "code" and BEGIN not in cell.source:
        problems.append(f"{gid}: solution cell has no '{BEGIN}' region")
    return problems


def marker_problems(text: str) -> list[str]:
    """Lines of a jupytext source that look like a cell marker but are not exactly `# %%`."""
    return [f"line {number}: {line.strip()[:40]!r} is not a jupytext cell marker (write '# %%')"
            for number, line in enumerate(text.splitlines(), start=1)
            if _LOOSE_MARKER.match(line) and not _EXACT_MARKER.match(line)]


def _cell_marker_problems(cell, i: int) -> list[str]:
    """A malformed marker that jupytext read as text: a comment line in a code cell (or a
    `% [markdown]` line in a markdown cell), which glues the next cell into this one."""
    lines = cell.source.splitlines()
    if cell.cell_type == "markdown":
        lines = ["# " + line for line in lines if re.match(r"^\s*%+\s*\[", line)]
    return [f"cell {i}: {p.split(': ', 1)[1]}" for p in marker_problems("\n".join(lines))]


def structure_problems(nb, name: str) -> list[str]:
    """Everything wrong with a notebook's exercise markup (empty list = fine)."""
    from nbgrader.nbgraderformat import MetadataValidator

    problems: list[str] = []
    cells = nb.cells
    for i, cell in enumerate(cells):
        problems += _cell_marker_problems(cell, i)
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and re.search(r"^##\s+Exercises\s*$", c.source, re.M)), None)
    if start is None:
        problems.append("no '## Exercises' markdown heading")
    ids: dict[str, int] = {}
    for i, cell in enumerate(cells):
        try:
            regions = solution_regions(cell.source)
        except ValueError as err:
            problems.append(f"cell {i}: {err}")
            regions = []
        meta = nbgrader_meta(cell)
        if regions and role(cell) != "solution":
            problems.append(f"cell {i}: solution region outside a solution cell")
        if not meta:
            continue
        if start is not None and i < start:
            problems.append(f"cell {i}: nbgrader cell before the '## Exercises' heading")
        gid = meta.get("grade_id", "?")
        if gid in ids:
            problems.append(f"{gid}: grade_id used by cells {ids[gid]} and {i}")
        ids[gid] = i
        problems += _metadata_problems(cell, name)
    if start is not None:
        for i, cell in enumerate(cells[start:], start=start):
            if cell.cell_type == "code" and _PAPER_OUTPUT.search(cell.source):
                problems.append(f"cell {i}: exercises must not write the paper's figures or tables")
    found = exercises(nb)
    if not MIN_EXERCISES <= len(found) <= MAX_EXERCISES:
        problems.append(f"{len(found)} exercises; {MIN_EXERCISES}–{MAX_EXERCISES} expected")
    if [e.number for e in found] != list(range(1, len(found) + 1)):
        problems.append(f"exercises are numbered {[e.number for e in found]}, not 1..{len(found)}")
    solutions = [ids.get(e.solution) for e in found]
    for k, e in enumerate(found):
        if not e.title:
            problems.append(f"exercise {e.number}: no '### Exercise {e.number}: <title>' heading")
        if not e.solution or not e.check:
            problems.append(f"exercise {e.number}: needs both a solution and a check cell")
            continue
        following = solutions[k + 1] if k + 1 < len(solutions) and solutions[k + 1] is not None else len(cells)
        if not ids[e.solution] < ids[e.check] < following:
            problems.append(f"exercise {e.number}: check cell {e.check} must follow its solution cell")
    try:
        MetadataValidator().validate_nb(copy.deepcopy(nb))
    except Exception as err:  # ValidationError, SchemaTooOldError, … whatever nbgrader rejects
        problems.append(f"nbgrader's validator: {type(err).__name__}: {err}")
    return problems


def checked_source(name: str):
    """The instructor version, refused (first problem named) if its exercise markup is broken."""
    nb = notebooks.read_source(name)
    problems = marker_problems(notebooks.source_path(name).read_text(encoding="utf-8"))
    problems += structure_problems(nb, name)
    if problems:
        raise SerxaiError(f"{name}: exercise markup is broken: {problems[0]} (+{len(problems) - 1} more)")
    return nb


def _bare(line: str) -> str:
    """A line as compared for leaks: stripped, and without a leading comment mark, so that a
    written answer glued into a code cell as comments (`# text`) still matches `text`."""
    return line.strip().lstrip("#").strip()


def solution_lines(nb) -> list[str]:
    """Distinctive lines of the instructor's answers: each non-blank line inside a solution
    region, and of each written model answer, that occurs in no paper cell and nowhere else
    in a solution cell. Check cells do not count as "elsewhere": they are handed out, so a
    model-answer line repeated in a check cell is a leak."""
    inside, outside = [], set()
    for cell in nb.cells:
        if role(cell) == "answer" and BEGIN not in cell.source:
            inside += [_bare(line) for line in cell.source.splitlines()]
            continue
        regions, rest = _split(cell.source)
        inside += [_bare(line) for region in regions for line in region]
        if role(cell) != "check":
            outside |= {_bare(line) for line in rest}
    return sorted({s for s in inside if s} - outside)


def _loose_cells(text: str) -> list[tuple[str, str]]:
    """(header, body) of each cell of a jupytext source, split at anything shaped like a
    cell marker, so a malformed marker still starts a cell here."""
    cells, header, body = [], "", []
    for line in text.splitlines():
        if _LOOSE_MARKER.match(line):
            cells.append((header, "\n".join(body)))
            header, body = line, []
        else:
            body.append(line)
    return cells + [(header, "\n".join(body))]


def source_answer_lines(text: str) -> list[str]:
    """Distinctive model-answer lines read from the jupytext text itself (see `solution_lines`),
    with cells split at every marker-shaped line: a written answer whose `# %% [markdown]`
    marker is misspelt is still found, although jupytext glues it into the check cell above."""
    cells = []
    for header, body in _loose_cells(text):
        meta = re.search(r"nbgrader=(\{.*\})", header)
        flags = json.loads(meta.group(1)) if meta else {}
        kind = "markdown" if _MARKDOWN_HEADER.search(header) else "code"
        cell = nbformat.v4.new_markdown_cell(body) if kind == "markdown" else nbformat.v4.new_code_cell(body)
        if flags:
            cell.metadata["nbgrader"] = flags
        cells.append(cell)
    return solution_lines(nbformat.v4.new_notebook(cells=cells))


def leaked_lines(instructor, student, source_text: str | None = None) -> list[str]:
    """Model-answer lines (see `solution_lines`; with `source_text`, the jupytext source, also
    `source_answer_lines`) and region markers present in any cell of a student version, check
    cells included (an injected parameters cell is not the student's to have leaked into)."""
    cells = [c for c in student.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    present = {_bare(line) for cell in cells for line in cell.source.splitlines()}
    answers = set(solution_lines(instructor))
    if source_text is not None:
        answers |= set(source_answer_lines(source_text))
    leaks = [s for s in sorted(answers) if s in present]
    return leaks + [m for m in ("BEGIN SOLUTION", "END SOLUTION")
                    if any(m in cell.source for cell in cells)]


def _exporter():
    """nbconvert's notebook exporter with nbgrader's generate_assignment preprocessors."""
    from nbconvert.exporters import NotebookExporter
    from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearOutput,
                                        ClearSolutions, LockCells)

    exporter = NotebookExporter()
    for preprocessor in (LockCells, ClearSolutions, ClearHiddenTests, ClearOutput, CheckCellMetadata):
        exporter.register_preprocessor(preprocessor(), enabled=True)
    return exporter


def inject(nb, parameters: dict, comment: str = "Parameters"):
    """papermill's own injection: a cell tagged `injected-parameters` after `parameters`."""
    from papermill.parameterize import parameterize_notebook

    nb = copy.deepcopy(nb)
    bare = [c for c in nb.cells if "tags" not in c.metadata]
    for cell in bare:  # papermill's loader gives every cell a tag list; its injection needs one
        cell.metadata["tags"] = []
    nb.metadata["papermill"] = {}  # … and a metadata entry, dropped again below
    nb = parameterize_notebook(nb, parameters, comment=comment, kernel_name="python3", language="python")
    nb.metadata.pop("papermill")
    for cell in nb.cells:
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    return nb


def student_version(nb, parameters: dict | None = None, comment: str = "Parameters"):
    """Solutions → `raise NotImplementedError()`, written answers → "YOUR ANSWER HERE",
    outputs cleared, check cells kept and locked; optionally with parameters injected."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("jupytext", None)  # a released copy must not re-pair with a .py on save
    nb.metadata.pop("papermill", None)
    body, _ = _exporter().from_notebook_node(nb)
    student = nbformat.reads(body, as_version=4)
    if parameters:
        student = inject(student, parameters, comment)
    return student


def resolve_data_dir(data_dir, parameter_file=None):
    """A `data_dir` parameter as an absolute path, whatever the kernel's working directory.

    A relative value is tried against the folder of the parameter file that set it (when
    known), the repository root, `notebooks/params/` and `notebooks/` (where the runner starts
    kernels, so profiles written for it keep working); the first folder that exists wins, else
    the path relative to the parameter file, or to the repository root. `None` stays `None`
    ($SERXAI_DATA or the per-user cache). Notebooks call it in their setup cell, so that
    `papermill … -f notebooks/params/<name>.<profile>.yaml` works from any directory.
    """
    if data_dir is None or str(data_dir).strip() == "":
        return None
    path = Path(str(data_dir)).expanduser()
    if path.is_absolute():
        return path
    bases = [Path(parameter_file).resolve().parent] if parameter_file else []
    bases += [REPO_ROOT, PARAMS_DIR, NOTEBOOKS_DIR]
    return next(((base / path).resolve() for base in bases if (base / path).is_dir()),
                (bases[0] / path).resolve())


def read_parameter_file(name: str, path) -> dict:
    """A user's own parameter file (YAML, as `papermill -f` reads it) for notebook `name`:
    every key must be a parameter of the notebook; a relative `data_dir` is resolved against
    the file's folder."""
    import yaml

    path = Path(path).expanduser()
    if not path.is_file():
        raise InvalidParameterError(f"no parameter file {str(path)!r} (a profile name or a path to a .yaml file)")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise InvalidParameterError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(values, dict):
        raise InvalidParameterError(f"{path}: expected 'name: value' lines, got a {type(values).__name__}")
    declared = notebooks.parameters(name)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise InvalidParameterError(f"{path}: unknown parameter {', '.join(map(repr, unknown))} for notebook "
                                    f"{name!r}; valid: {', '.join(declared)}")
    if values.get("data_dir"):
        values["data_dir"] = str(resolve_data_dir(values["data_dir"], path))
    return values


def is_parameter_file(profile: str | None) -> bool:
    """`--profile` names a file (a path or a .yaml/.yml name), not a notebooks/params profile."""
    return bool(profile) and (Path(profile).suffix in (".yaml", ".yml") or "/" in profile or "\\" in profile)


def profile_parameters(name: str, profile: str | None) -> tuple[dict, str]:
    """(parameters, comment for the injected cell) of a profile name or a parameter file."""
    from .reproduce import resolve_parameters

    if not profile:
        return {}, "Parameters"
    if is_parameter_file(profile):
        return read_parameter_file(name, profile), f"Parameters from {Path(profile).name}"
    return (resolve_parameters(name, profile, {}),
            f"Parameters of the {profile!r} profile (notebooks/params/{name}.{profile}.yaml)")


def _profile_plan(names, profile: str | None) -> list[tuple[str, dict, str]]:
    """(name, profile parameters, comment for the injected cell) per notebook, all validated first."""
    names = check_names(list(names))
    return [(n, *profile_parameters(n, profile)) for n in names]


def release(names=(), out_dir: Path = Path("student"), profile: str | None = RELEASE_PROFILE,
            echo=print) -> list[Path]:
    """Write `<out_dir>/<paper>.ipynb` student versions (profile values injected, if given)."""
    written = []
    for name, parameters, comment in _profile_plan(names, profile):
        instructor = checked_source(name)
        student = student_version(instructor, parameters, comment)
        leaks = leaked_lines(instructor, student, notebooks.source_path(name).read_text(encoding="utf-8"))
        if leaks:
            raise SerxaiError(f"{name}: the student version still contains {leaks[0]!r}")
        path = Path(out_dir) / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, nbformat.writes(student) + "\n")
        found = exercises(instructor)
        echo(f"{path}: {len(found)} exercises, {sum(e.points for e in found):g} points")
        written.append(path)
    return written


NBGRADER_CONFIG = """# nbgrader's course directory for the serxai notebooks (written by `python -m helpers course source`).
c = get_config()
c.CourseDirectory.course_id = "serxai"
# nbgrader stops a cell after 30 s by default; paper cells that train a model take longer.
c.Execute.timeout = 600
"""


def write_source(nb, name: str, course_dir: Path, parameters: dict | None = None,
                 comment: str = "Parameters") -> Path:
    """nbgrader's layout: `<course_dir>/source/<name>/<name>.ipynb` holds the instructor
    version (markup unchanged, outputs dropped); nbgrader_config.py is written if absent."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("jupytext", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if parameters:
        nb = inject(nb, parameters, comment)
    path = Path(course_dir) / "source" / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, nbformat.writes(nb) + "\n")
    config = Path(course_dir) / "nbgrader_config.py"
    if not config.exists():
        atomic_write_text(config, NBGRADER_CONFIG)
    return path


def course_source(names=(), course_dir: Path = Path("course"), profile: str | None = RELEASE_PROFILE,
                  echo=print) -> list[Path]:
    """The instructor versions as nbgrader assignments, one per notebook."""
    written = []
    for name, parameters, comment in _profile_plan(names, profile):
        written.append(write_source(checked_source(name), name, course_dir, parameters, comment))
        echo(f"{written[-1]}: assignment {name!r}")
    return written


def describe(names=()) -> str:
    """Text for `python -m helpers course list`: exercises, grade_ids and points."""
    blocks = []
    for name in check_names(list(names)):
        found = exercises(notebooks.read_source(name))
        lines = [f"{name}  ({len(found)} exercises, {sum(e.points for e in found):g} points)"]
        for e in found:
            ids = ", ".join(i for i in (e.solution, e.check, e.answer) if i)
            lines.append(f"    {e.number}. {e.title}  [{e.points:g} pt]  {ids}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@dataclass
class CellOutcome:
    index: int
    role: str  # solution / check / other (code cells only)
    grade_id: str
    error: str | None = None  # exception name, None when the cell ran cleanly
    executed: bool = True
    evalue: str = field(default="", repr=False)


def outcomes(nb) -> list[CellOutcome]:
    """Per code cell of an executed notebook: its role and the error it raised, if any."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        found.append(CellOutcome(i, role(cell), nbgrader_meta(cell).get("grade_id", ""),
                                 errors[0].get("ename") if errors else None,
                                 cell.get("execution_count") is not None,
                                 errors[0].get("evalue", "") if errors else ""))
    return found


def execute(nb, parameters: dict | None = None, figures_dir: Path | None = None,
            timeout: int = 1800):
    """Run every cell even after errors (papermill would stop at the first one): papermill's
    injection, then nbclient with allow_errors, in notebooks/ with reproduce's quiet env.
    Figures go to `figures_dir`, or to a scratch folder: never over the committed ones."""
    import tempfile

    from nbclient import NotebookClient

    from .reproduce import _environment

    nb = inject(nb, parameters) if parameters else copy.deepcopy(nb)
    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=timeout,
                            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    with tempfile.TemporaryDirectory() as scratch, _environment(Path(figures_dir or scratch)):
        client.execute()
    return nb


def execute_student(name: str, profile: str = "smoke", overrides: dict | None = None,
                    figures_dir: Path | None = None) -> list[CellOutcome]:
    """Release `name`'s student version and run all of it on `profile`; per-cell outcomes."""
    from .reproduce import resolve_parameters

    parameters = resolve_parameters(name, profile, overrides or {})
    student = student_version(notebooks.read_source(name))
    return outcomes(execute(student, parameters, figures_dir))


@dataclass
class Mark:
    grade_id: str
    points: float
    passed: bool
    error: str | None = None


def grade(submission, instructor=None, figures_dir: Path | None = None) -> list[Mark]:
    """Grade a filled-in student notebook by its check cells, without nbgrader: every check
    cell is first restored from the instructor version (as nbgrader's autograde does, so an
    edited check cannot pass), the notebook runs top to bottom with errors allowed, and a
    check earns its points when it raised nothing. Written answers are left to a reader."""
    nb = copy.deepcopy(submission)
    if instructor is None:
        gids = [str(nbgrader_meta(c).get("grade_id", "")) for c in nb.cells]
        papers = {m["paper"] for m in map(_GRADE_ID.match, gids) if m}
        if len(papers) != 1:
            raise SerxaiError(f"cannot tell which notebook this is (grade_ids name {sorted(papers) or 'none'})")
        instructor = checked_source(check_names(sorted(papers))[0])
    checks = {nbgrader_meta(c)["grade_id"]: c for c in instructor.cells if role(c) == "check"}
    seen = set()
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in checks:
            cell.source, cell.metadata["nbgrader"] = checks[gid].source, dict(nbgrader_meta(checks[gid]))
            seen.add(gid)
    executed = execute(nb, None, figures_dir)
    marks = {gid: Mark(gid, float(nbgrader_meta(c).get("points", 0)), False, "missing") for gid, c in checks.items()}
    for o in outcomes(executed):
        if o.grade_id in seen:
            marks[o.grade_id] = Mark(o.grade_id, marks[o.grade_id].points, o.executed and o.error is None,
                                     o.error if o.executed else "not executed")
    return [marks[gid] for gid in checks]


def unexpected(found: list[CellOutcome]) -> list[str]:
    """How a student run departs from: other cells clean, every solution raising
    NotImplementedError, every check failing."""
    problems = []
    for o in found:
        where = f"cell {o.index} ({o.grade_id or o.role})"
        if not o.executed:
            problems.append(f"{where} was not executed")
        elif o.role == "solution" and o.error != "NotImplementedError":
            problems.append(f"{where}: expected NotImplementedError, got {o.error or 'no error'}")
        elif o.role == "check" and o.error is None:
            problems.append(f"{where}: check passed without an answer")
        elif o.role == "other" and o.error is not None:
            problems.append(f"{where} raised {o.error}: {o.evalue[:200]}")
    return problems


# ---------------------------------------------------------------- command line
COURSE_HELP = "exercises: list them, release student versions, lay out an nbgrader course, grade"
_PROFILE_HELP = ("parameters injected below each notebook's parameters cell: a profile name "
                 "(notebooks/params/<paper>.<profile>.yaml) or the path to your own YAML parameter "
                 "file, whose relative data_dir is read from the file's folder (default: %(default)s)")


def add_cli(subparsers):
    """`course` with one sub-command per action, so that `course release --help` describes
    release's own arguments. The namespace is what `helpers.__main__._course` reads:
    `action`, `notebooks`, `out`, `profile`, `no_profile`."""
    course = subparsers.add_parser("course", help=COURSE_HELP, description=f"Coursework: {COURSE_HELP}. "
                                   "See README.md, 'Teaching with this repository'.")
    actions = course.add_subparsers(dest="action", required=True, metavar="ACTION")
    papers = dict(nargs="*", metavar="PAPER", help="default: every notebook with exercises")

    def action(name, help, description):
        parser = actions.add_parser(name, help=help, description=description)
        parser.set_defaults(out=None, profile=None, no_profile=False)
        return parser

    action("list", "exercises per notebook: titles, grade_ids, points",
           "Print each notebook's exercises with their grade_ids and points.").add_argument("notebooks", **papers)
    for name, what, out in (
            ("release", "student versions: solutions stubbed, answers blanked, outputs cleared, checks locked",
             "folder for the student notebooks <out>/<paper>.ipynb (required)"),
            ("source", "an nbgrader course directory: source/<paper>/<paper>.ipynb and nbgrader_config.py",
             "the nbgrader course directory (required)")):
        parser = action(name, what, f"Write {what}. Built from the jupytext sources with nbgrader's own "
                                    "preprocessors; refused if a notebook's exercise markup is broken.")
        parser.add_argument("notebooks", **papers)
        parser.add_argument("--out", type=Path, metavar="DIR", help=out)
        parser.add_argument("--profile", default=RELEASE_PROFILE, metavar="NAME|FILE.yaml", help=_PROFILE_HELP)
        parser.add_argument("--no-profile", action="store_true", help="inject nothing: the notebooks' own defaults")
    action("grade", "grade submitted notebooks by their check cells (no nbgrader needed)",
           "Run each submitted notebook top to bottom with its check cells restored from the instructor "
           "version, and print one line per check (points, error) and a total. Written answers are "
           "left to a reader.").add_argument("notebooks", nargs="*", metavar="SUBMISSION.ipynb",
                                             help="the submitted notebooks")
    return course
