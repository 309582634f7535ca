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
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import notebooks
from .errors import SerxaiError
from .fileio import atomic_write_text
from .paths import NOTEBOOKS_DIR

# Notebooks that must end with an `## Exercises` section (the lead's `faithfulness` is exempt).
EXERCISE_NOTEBOOKS = ("quickstart", "dixit2024", "das2022", "hjuler2025", "smietanka2023", "nasr2025")
MIN_EXERCISES, MAX_EXERCISES = 3, 5
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
RELEASE_PROFILE = "tutorial"  # students get the classroom-sized parameters by default
_GRADE_ID = re.compile(r"^(?P<paper>.+)-ex(?P<number>\d+)-(?P<role>solution|check|answer)$")
_HEADING = re.compile(r"^###\s+Exercise\s+(\d+)\s*:\s*(.+?)\s*$", re.M)
_PAPER_OUTPUT = re.compile(r"\b(save_figure|save_table|paper_vs_run)\(")
_REQUIRED_KEYS = ("grade", "grade_id", "locked", "schema_version", "solution", "task")


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


def structure_problems(nb, name: str) -> list[str]:
    """Everything wrong with a notebook's exercise markup (empty list = fine)."""
    from nbgrader.nbgraderformat import MetadataValidator

    problems: list[str] = []
    cells = nb.cells
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
    problems = structure_problems(nb, name)
    if problems:
        raise SerxaiError(f"{name}: exercise markup is broken: {problems[0]} (+{len(problems) - 1} more)")
    return nb


def solution_lines(nb) -> list[str]:
    """Distinctive lines of the instructor's answers: each non-blank line inside a solution
    region, and of each written model answer, that occurs nowhere else in the notebook."""
    inside, outside = [], set()
    for cell in nb.cells:
        if role(cell) == "answer" and BEGIN not in cell.source:
            inside += [line.strip() for line in cell.source.splitlines()]
            continue
        regions, rest = _split(cell.source)
        inside += [line.strip() for region in regions for line in region]
        outside |= {line.strip() for line in rest}
    return sorted({s for s in inside if s} - outside)


def leaked_lines(instructor, student) -> list[str]:
    """Solution lines (see `solution_lines`) and region markers present in a student version
    (an injected parameters cell is not the student's to have leaked into)."""
    cells = [c for c in student.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    present = {line.strip() for cell in cells for line in cell.source.splitlines()}
    leaks = [s for s in solution_lines(instructor) if s in present]
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


def _profile_plan(names, profile: str | None) -> list[tuple[str, dict, str]]:
    """(name, profile parameters, comment for the injected cell) per notebook, all validated first."""
    from .reproduce import resolve_parameters

    names = check_names(list(names))
    plan = {n: resolve_parameters(n, profile, {}) if profile else {} for n in names}
    return [(n, parameters, f"Parameters of the {profile!r} profile (notebooks/params/{n}.{profile}.yaml)")
            for n, parameters in plan.items()]


def release(names=(), out_dir: Path = Path("student"), profile: str | None = RELEASE_PROFILE,
            echo=print) -> list[Path]:
    """Write `<out_dir>/<paper>.ipynb` student versions (profile values injected, if given)."""
    written = []
    for name, parameters, comment in _profile_plan(names, profile):
        instructor = checked_source(name)
        student = student_version(instructor, parameters, comment)
        leaks = leaked_lines(instructor, student)
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
