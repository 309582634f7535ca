"""Run notebooks headlessly with papermill and summarise what they produced.

`python -m helpers reproduce` converts each jupytext source to a notebook, injects the
profile's and the command line's parameters, executes it (kernel `python3`, cwd
`notebooks/`), writes the executed `.ipynb` (by default back beside its source), then
prints one summary and regenerates `figures/INDEX.md`.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from . import notebooks
from .errors import InvalidParameterError
from .fileio import atomic_write_text
from .paths import NOTEBOOKS_DIR
from .plotting import FIGURES_ENV_VAR, figures_root

# Inside executed notebooks: no progress bars (helpers.progress), no TF/absl chatter, no warnings on stderr,
# so that stored outputs are readable and comparable by nbval.
QUIET_ENV = {
    "SERXAI_QUIET": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "JUPYTER_PREFER_ENV_PATH": "1",
}


@dataclass
class Result:
    notebook: str
    status: str = "pending"
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    executed: Path | None = None
    peak_rss_mb: float = 0.0  # peak resident memory of the kernel and its worker processes


def parse_value(text: str):
    """Command-line parameter values are YAML scalars: 1 → int, 0.5 → float, true → bool."""
    return yaml.safe_load(text) if isinstance(text, str) else text


def resolve_parameters(name: str, profile: str | None, overrides: dict) -> dict:
    """Profile file values, then overrides; every key must exist in the parameters cell."""
    declared = notebooks.parameters(name)
    values: dict = {}
    if profile:
        path = notebooks.profile_path(name, profile)
        if not path.exists():
            raise InvalidParameterError(
                f"notebook {name!r} has no profile {profile!r}; valid: "
                f"{', '.join(notebooks.profiles(name)) or '(none)'}"
            )
        values.update(yaml.safe_load(path.read_text()) or {})
    values.update({k: parse_value(v) for k, v in overrides.items()})
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise InvalidParameterError(
            f"unknown parameter {', '.join(map(repr, unknown))} for notebook {name!r}; "
            f"valid: {', '.join(declared)}"
        )
    return values


def validate(names, profile: str | None, overrides: dict) -> dict[str, dict]:
    """Check every name, profile and parameter before anything runs."""
    names = notebooks.check_names(names)
    return {name: resolve_parameters(name, profile, overrides) for name in names}


@contextlib.contextmanager
def _environment(figures_dir: Path | None):
    extra = dict(QUIET_ENV)
    if figures_dir is not None:
        extra[FIGURES_ENV_VAR] = str(Path(figures_dir).resolve())
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _scrub(nb: nbformat.NotebookNode) -> None:
    """Drop run timestamps/durations so re-executed notebooks diff only where results change."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


def _written_since(paper: str, start: float) -> list[str]:
    folder = figures_root() / paper
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.stat().st_mtime >= start - 1)


def _process_tree() -> tuple[dict[int, int], dict[int, list[int]]]:
    """(pid → VmHWM in KiB, pid → child pids) for every process /proc shows (Linux)."""
    peaks, children = {}, {}
    for stat in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in stat.read_text().splitlines() if ":" in line)
            pid, ppid = int(stat.parent.name), int(fields["PPid"])
            peaks[pid] = int(fields.get("VmHWM", "0 kB").split()[0])
        except (OSError, KeyError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
    return peaks, children


def _child_pids() -> set[int]:
    return set(_process_tree()[1].get(os.getpid(), []))


def _children_peak_kib(exclude=frozenset()) -> int:
    """Peak resident memory of this process's largest child tree, leaving out the children in
    `exclude` (started before the notebook, e.g. a test session's idle joblib workers): a
    child's VmHWM plus that of each living descendant. Worker processes a notebook starts
    count, as they do against Binder's memory limit; the sum bounds the tree's peak from above."""
    peaks, children = _process_tree()

    def tree(pid: int) -> int:
        return peaks.get(pid, 0) + sum(tree(child) for child in children.get(pid, []))

    return max((tree(c) for c in children.get(os.getpid(), []) if c not in exclude), default=0)


@contextlib.contextmanager
def _kernel_memory_watch(result: "Result", interval_s: float = 0.5):
    """Sample the kernel's peak memory while a notebook runs (0 where /proc is unavailable)."""
    stop = threading.Event()
    before = _child_pids()

    def watch():
        while not stop.wait(interval_s):
            result.peak_rss_mb = max(result.peak_rss_mb, _children_peak_kib(before) / 1024)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


EXERCISES_HEADING = "## Exercises"
SKIP_TAG = "skip-execution"  # nbclient (and so papermill) leaves cells with this tag unexecuted


def exercises_apply(name: str, parameters: dict) -> bool:
    """The exercises are written for the notebook's offline default corpus (they use its planted
    cues); a run on another `dataset` leaves them unexecuted instead of failing on them."""
    if "dataset" not in (parameters or {}):
        return True
    declared = notebooks.parameters(name).get("dataset")
    return declared is None or parameters["dataset"] == declared.default


def without_exercises(nb: nbformat.NotebookNode, dataset) -> nbformat.NotebookNode:
    """Tag every cell from the Exercises heading on with SKIP_TAG and say why under the heading."""
    start = next((i for i, c in enumerate(nb.cells)
                  if c.cell_type == "markdown" and c.source.lstrip().startswith(EXERCISES_HEADING)), None)
    if start is None:
        return nb
    for cell in nb.cells[start:]:
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), SKIP_TAG]
    note = nbformat.v4.new_markdown_cell(
        f"*Not executed in this run: the exercises need the offline default corpus, and this run used "
        f"`dataset = {dataset!r}`.*", metadata={"tags": [SKIP_TAG]})
    nb.cells.insert(start + 1, note)
    return nb


def run_one(name: str, parameters: dict, output_dir: Path, progress: bool = True) -> Result:
    """Execute one notebook. It runs into a temporary file; only a successful run replaces
    `<output_dir>/<name>.ipynb` (the committed copy by default). A failed run is kept as
    `<name>.failed.ipynb` beside it for inspection."""
    import papermill

    result = Result(name)
    output = Path(output_dir) / f"{name}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    running = output.with_name(f".{name}.running.ipynb")
    start = time.time()
    source = notebooks.read_source(name)
    if not exercises_apply(name, parameters):
        source = without_exercises(source, parameters["dataset"])
    try:
        with _kernel_memory_watch(result):
            papermill.execute_notebook(
                source, str(running), parameters=parameters or None,
                kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=progress,
                log_output=False, request_save_on_cell_execute=False,
            )
        result.status = "ok"
    except papermill.PapermillExecutionError as err:
        result.status = "failed"
        result.error = f"cell {err.cell_index} ({err.ename}: {str(err.evalue)[:200]})"
    result.seconds = time.time() - start
    if running.exists():
        target = output if result.status == "ok" else output.with_name(f"{name}.failed.ipynb")
        nb = nbformat.read(running, as_version=4)
        _scrub(nb)
        atomic_write_text(target, nbformat.writes(nb) + "\n")
        running.unlink()
        result.executed = target
    result.outputs = _written_since(name, start)
    return result


def run(names=(), profile: str | None = None, overrides: dict | None = None,
        output_dir: Path | None = None, figures_dir: Path | None = None,
        progress: bool = True, echo=print) -> list[Result]:
    """Validate everything, then execute each notebook; returns one Result per notebook."""
    plan = validate(list(names), profile, overrides or {})
    output_dir = Path(output_dir) if output_dir else NOTEBOOKS_DIR
    results = []
    with _environment(figures_dir):
        for name, parameters in plan.items():
            shown = " ".join(f"{k}={v!r}" for k, v in parameters.items())
            echo(f"▶ {name} {shown}".rstrip())
            result = run_one(name, parameters, output_dir, progress=progress)
            results.append(result)
            echo(f"  {result.status} in {result.seconds:.1f} s" + (f": {result.error}" if result.error else ""))
        write_index()
    echo(summary(results).to_string(index=False))
    claims = claims_summary([r.notebook for r in results])
    if not claims.empty:
        echo("\npaper vs this run (claims that hold):\n" + claims.to_string(index=False))
    return results


def summary(results: list[Result]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "notebook": [r.notebook for r in results],
            "status": [r.status for r in results],
            "wall_s": [round(r.seconds, 1) for r in results],
            "peak_rss_mb": [round(r.peak_rss_mb) for r in results],
            "figures": [sum(o.endswith(".png") for o in r.outputs) for r in results],
            "tables": [sum(o.endswith(".csv") for o in r.outputs) for r in results],
            "failed_at": [r.error for r in results],
        }
    )


def claims_summary(names) -> pd.DataFrame:
    """Count yes / no / n/a in each notebook's paper_vs_run.csv."""
    rows = []
    for name in names:
        path = figures_root() / name / "paper_vs_run.csv"
        if path.exists():
            agrees = pd.read_csv(path)["agrees"].fillna("n/a").value_counts()
            rows.append({"notebook": name, **{k: int(agrees.get(k, 0)) for k in ("yes", "no", "n/a")}})
    return pd.DataFrame(rows)


def write_index() -> Path:
    """figures/INDEX.md: notebook → output → file → the code cell that writes it."""
    root = figures_root()
    lines = ["# Figures and tables", "",
             "Generated by `python -m helpers reproduce`; do not edit by hand.", "",
             "| notebook | kind | output | file | code cell |", "|---|---|---|---|---|"]
    for name in notebooks.available():
        for kind, output, cell in notebooks.outputs(name):
            suffix = ".png" if kind == "figure" else ".csv"
            path = root / name / f"{output}{suffix}"
            shown = path.relative_to(root).as_posix() if path.exists() else "(not yet generated)"
            lines.append(f"| {name} | {kind} | {output} | {shown} | {cell} |")
    index = root / "INDEX.md"
    atomic_write_text(index, "\n".join(lines) + "\n")
    return index


def describe() -> str:
    """Text for `python -m helpers list`."""
    blocks = []
    for name in notebooks.available():
        params = notebooks.parameters(name)
        lines = [f"{name}  (notebooks/{name}.py; profiles: {', '.join(notebooks.profiles(name)) or '-'})"]
        lines += [f"    {p.name} = {p.default!r}" + (f"    # {p.help}" if p.help else "") for p in params.values()]
        outs = notebooks.outputs(name)
        lines.append("    writes: " + (", ".join(o for _, o, _ in outs) or "-"))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
