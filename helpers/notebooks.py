"""The notebooks as data: discovery, jupytext pairing, the `parameters` cell, outputs written.

The `.py` (jupytext percent format) is the reviewed source; the `.ipynb` beside it is the
executed artefact. Everything here reads notebooks; running them is `helpers.reproduce`.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from .errors import InvalidParameterError
from .paths import NOTEBOOKS_DIR, PARAMS_DIR

# Order in which `reproduce` runs them (cheapest first) and `list` shows them.
NOTEBOOK_ORDER = (
    "quickstart", "dixit2024", "das2022", "hjuler2025", "smietanka2023", "nasr2025",
    "faithfulness",
)
VOLATILE_TAGS = {"injected-parameters"}
_OUTPUT_CALL = re.compile(
    r"\b(save_figure|save_table)\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*[A-Za-z_][\w.]*\s*,\s*[\"']([\w.\-]+)[\"']"
)


def available() -> list[str]:
    """Notebook names that have a jupytext source in notebooks/."""
    found = {p.stem for p in NOTEBOOKS_DIR.glob("*.py") if _is_jupytext(p)}
    ordered = [n for n in NOTEBOOK_ORDER if n in found]
    return ordered + sorted(found - set(ordered))


def _is_jupytext(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:400]
    return "format_name: percent" in head


def source_path(name: str) -> Path:
    return NOTEBOOKS_DIR / f"{name}.py"


def executed_path(name: str) -> Path:
    return NOTEBOOKS_DIR / f"{name}.ipynb"


def check_names(names, valid=None, hint: str = "") -> list[str]:
    """Validate notebook names before anything runs (against `valid`, default: every notebook);
    the error lists the valid ones. No names: all valid ones."""
    valid = available() if valid is None else list(valid)
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise InvalidParameterError(
            f"unknown notebook {', '.join(map(repr, unknown))}{hint}; valid: {', '.join(valid) or '(none)'}"
        )
    return list(names) or valid


def read_source(name_or_path) -> nbformat.NotebookNode:
    path = Path(name_or_path)
    if path.suffix != ".py":
        path = source_path(str(name_or_path))
    return jupytext.read(path, fmt="py:percent")


def parameters_cell(nb: nbformat.NotebookNode):
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return cell
    return None


@dataclass(frozen=True)
class Parameter:
    name: str
    default: object
    help: str


def parameters(name: str) -> dict[str, Parameter]:
    """Parameters declared in the notebook's `parameters` cell, with defaults and comments."""
    cell = parameters_cell(read_source(name))
    if cell is None:
        raise ValueError(f"{source_path(name)} has no cell tagged 'parameters'")
    lines = cell.source.splitlines()
    found: dict[str, Parameter] = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            line = lines[node.lineno - 1]
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            found[node.targets[0].id] = Parameter(node.targets[0].id, ast.literal_eval(node.value), comment)
    return found


def profiles(name: str) -> list[str]:
    """Profiles with a parameter file `notebooks/params/<name>.<profile>.yaml`."""
    return sorted(p.name[len(name) + 1 : -len(".yaml")] for p in PARAMS_DIR.glob(f"{name}.*.yaml"))


def profile_path(name: str, profile: str) -> Path:
    return PARAMS_DIR / f"{name}.{profile}.yaml"


def outputs(name: str) -> list[tuple[str, str, int]]:
    """(kind, output name, code-cell number) for each save_figure/save_table call in the source.

    The closing `paper_vs_run(...)` call writes the table `paper_vs_run`.
    """
    found = []
    code_cells = [c for c in read_source(name).cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for match in _OUTPUT_CALL.finditer(cell.source):
            kind = "figure" if match.group(1) == "save_figure" else "table"
            found.append((kind, match.group(2), number))
        if re.search(r"\bpaper_vs_run\(", cell.source):
            found.append(("table", "paper_vs_run", number))
    return found


def _comparable_cells(nb) -> list[tuple[str, str, tuple, str]]:
    """(type, source, tags, nbgrader metadata as sorted JSON): what a copy must not lose."""
    cells = []
    for cell in nb.cells:
        tags = tuple(sorted(t for t in cell.metadata.get("tags", []) if t not in VOLATILE_TAGS))
        if VOLATILE_TAGS & set(cell.metadata.get("tags", [])):
            continue
        grading = json.dumps(cell.metadata.get("nbgrader", {}), sort_keys=True)
        cells.append((cell.cell_type, cell.source.strip(), tags, grading))
    return cells


def sync_differences(py_path, ipynb_path) -> list[str]:
    """Where an executed notebook's cells differ from its jupytext source (empty = in sync)."""
    source = _comparable_cells(jupytext.read(Path(py_path), fmt="py:percent"))
    executed = _comparable_cells(nbformat.read(Path(ipynb_path), as_version=4))
    problems = []
    if len(source) != len(executed):
        problems.append(f"{len(source)} cells in {py_path} but {len(executed)} in {ipynb_path}")
    for i, (a, b) in enumerate(zip(source, executed)):
        if a != b:
            what = ("type" if a[0] != b[0] else "tags" if a[2] != b[2]
                    else "nbgrader metadata" if a[3] != b[3] else "source")
            shown = (a[3], b[3]) if what == "nbgrader metadata" else (a[1][:50], b[1][:50])
            problems.append(f"cell {i}: {what} differs ({shown[0]!r} vs {shown[1]!r})")
    return problems


def error_outputs(ipynb_path) -> list[str]:
    """Cells of an executed notebook that hold an error, or were never executed."""
    nb = nbformat.read(Path(ipynb_path), as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.get("execution_count") is None:
            problems.append(f"cell {i} was not executed")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i} raised {out.get('ename')}: {out.get('evalue')}")
    return problems
