"""Run notebooks headlessly with papermill and summarise what they produced.

`python -m helpers reproduce` converts each jupytext source to a notebook, injects the
profile's and the command line's parameters, executes it (kernel `python3`, cwd
`notebooks/`), writes the executed `.ipynb` (by default back beside its source), then
prints one summary and regenerates `figures/INDEX.md`.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from . import notebooks
from .errors import InvalidParameterError
from .audio import SKIP_LOG_ENV_VAR
from .fileio import atomic_write_text
from .paths import NOTEBOOKS_DIR, REPO_ROOT
from .plotting import FIGURES_ENV_VAR, figures_root

# Inside executed notebooks: no progress bars (helpers.progress), no TF/absl chatter, no warnings on stderr,
# so that stored outputs are readable and comparable by nbval.
QUIET_ENV = {
    "SERXAI_QUIET": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # every warning off, except those that report skipped files ("skipped N file(s) ..."), e.g.
    # helpers.embeddings'; helpers.audio/features print their report themselves
    "PYTHONWARNINGS": "ignore,default:skipped ",
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
    skipped: int = 0  # files left out by the batch loaders (features, audio, embeddings)
    skip_reports: list[str] = field(default_factory=list)
    cpu_s: float = 0.0  # CPU time (user + system) of the kernel and its workers
    cpu_samples: list = field(default_factory=list)  # (time.time(), cumulative CPU s, peak MB so far) from the watch
    cells: list = field(default_factory=list)  # per executed code cell: index, first line, wall_s, cpu_s
    device: str = ""  # what the notebook's `devices.announce` line printed after "device: "


def parse_value(text: str):
    """Command-line parameter values are YAML scalars: 1 → int, 0.5 → float, true → bool;
    an empty value stays the empty string (YAML would read it as null)."""
    if isinstance(text, str) and not text.strip():
        return text
    return yaml.safe_load(text) if isinstance(text, str) else text


CORPUS_PARAMETERS = ("dataset", "transfer", "shift_datasets", "gt_dataset", "ground_truth")
SEED_LIKE = re.compile(r"(^|_)(seed|random_state)$")
_ZERO_ALLOWED = re.compile(r"(?<![\d.])0(?![\d.])")  # a comment that mentions the value 0 (e.g. "0: all")


def _bad(notebook: str, name: str, why: str) -> InvalidParameterError:
    return InvalidParameterError(f"invalid parameter {name!r} for notebook {notebook!r}: {why}")


def _kind(value) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _type_ok(default, value, help_text: str) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str) or (isinstance(value, list) and "list" in help_text
                                          and all(isinstance(v, str) for v in value))
    if isinstance(default, (list, tuple)):
        return isinstance(value, list) and (not default or all(_type_ok(default[0], v, "") for v in value))
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


def _check_range(notebook: str, param, value) -> None:
    """Counts, sizes and rates cannot be negative (unless the default is); where the comment
    gives 0 no meaning, they must be positive. Seeds must be >= 0."""
    default = param.default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not isinstance(default, (int, float)):
        return
    if value != value or value in (float("inf"), float("-inf")):
        raise _bad(notebook, param.name, f"{value!r} is not a finite number")
    if default < 0:
        return
    if value < 0:
        raise _bad(notebook, param.name, f"{value!r} is negative (default {default!r}; {param.help})")
    zero_ok = SEED_LIKE.search(param.name) or default == 0 or _ZERO_ALLOWED.search(param.help)
    if value == 0 and not zero_ok:
        raise _bad(notebook, param.name, f"0 is not allowed (default {default!r}; {param.help})")


def _corpus_names(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_corpora(notebook: str, param, value) -> None:
    from .manifest import list_corpora, synthetic_variants

    valid = list(synthetic_variants()) + list(list_corpora())
    extras = (["auto"] if param.default == "auto" else []) + (['""'] if '""' in param.help else [])
    for corpus in _corpus_names(value):
        if corpus in valid or (corpus == "auto" and "auto" in extras) or (corpus == "" and '""' in extras):
            continue
        raise _bad(notebook, param.name, f"unknown corpus {corpus!r}; valid: {', '.join(valid + extras)}")


def _check_data_dir(notebook: str, value, parameters: dict, declared: dict, source) -> None:
    from . import paths
    from .course import resolve_data_dir
    from .manifest import synthetic_variants

    if value is None or str(value).strip() == "":
        return
    if not isinstance(value, str):
        raise _bad(notebook, "data_dir", f"{value!r} is {_kind(value)}, expected a folder path")
    folder = resolve_data_dir(value, source)
    shown = repr(value) if str(folder) == value else f"{value!r} ({folder})"
    if folder.exists() and not folder.is_dir():
        raise _bad(notebook, "data_dir", f"{shown} is a file, not a folder")
    corpora = [c for name in CORPUS_PARAMETERS if name in declared
               for c in _corpus_names(parameters.get(name, declared[name].default))]
    real = [c for c in corpora if isinstance(c, str) and c not in ("", "auto") and c not in synthetic_variants()]
    if not folder.exists() and real:
        raise _bad(notebook, "data_dir", f"{shown} does not exist, and corpus {real[0]!r} is read from it")
    paths.data_dir(folder)  # refuses a folder inside the repository


def check_parameters(notebook: str, values: dict, declared: dict | None = None, sources: dict | None = None) -> None:
    """Type (against the default's), range, corpus names, data_dir and checkpoint paths of the
    parameters a run sets, before any kernel starts; InvalidParameterError names the first
    bad one. `sources`: parameter → the file that set it (relative data_dir values)."""
    declared = declared or notebooks.parameters(notebook)
    for name, value in values.items():
        param = declared[name]
        if not _type_ok(param.default, value, param.help):
            raise _bad(notebook, name, f"{value!r} is {_kind(value)}, expected {_kind(param.default)} "
                                       f"like the default {param.default!r}")
        _check_range(notebook, param, value)
        if name in CORPUS_PARAMETERS:
            _check_corpora(notebook, param, value)
        if name == "checkpoint" and value is not None and not Path(str(value)).expanduser().is_file():
            raise _bad(notebook, name, f"{value!r} is not a file")
    if "data_dir" in values:
        _check_data_dir(notebook, values["data_dir"], values, declared, (sources or {}).get("data_dir"))


def resolve_parameters(name: str, profile: str | None, overrides: dict) -> dict:
    """Profile file values, then overrides; every key must exist in the parameters cell, and
    every value must pass `check_parameters`. `profile` is a profile name
    (notebooks/params/<name>.<profile>.yaml) or the path to a parameter file of one's own,
    whose relative data_dir is read from the file's folder (`course.read_parameter_file`)."""
    from .course import is_parameter_file, read_parameter_file

    declared = notebooks.parameters(name)
    values: dict = {}
    sources: dict = {}
    if is_parameter_file(profile):
        values.update(read_parameter_file(name, profile))
        sources = dict.fromkeys(values, Path(profile).expanduser())
    elif profile:
        path = notebooks.profile_path(name, profile)
        if not path.exists():
            raise InvalidParameterError(
                f"notebook {name!r} has no profile {profile!r}; valid: "
                f"{', '.join(notebooks.profiles(name)) or '(none)'}"
            )
        values.update(yaml.safe_load(path.read_text()) or {})
        sources = dict.fromkeys(values, path)
    values.update({k: parse_value(v) for k, v in overrides.items()})
    sources.update(dict.fromkeys(overrides, None))
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise InvalidParameterError(
            f"unknown parameter {', '.join(map(repr, unknown))} for notebook {name!r}; "
            f"valid: {', '.join(declared)}"
        )
    check_parameters(name, values, declared, sources)
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


def _relative_paths(text: str) -> str:
    """Repository paths in an output, shown relative to the repository root."""
    return text.replace(f"{REPO_ROOT}/", "").replace(str(REPO_ROOT), ".")


def _scrub_output(out) -> None:
    if "text" in out:
        out["text"] = _relative_paths(out["text"])
    for mime in ("text/plain", "text/html", "text/markdown"):
        if mime in out.get("data", {}):
            out["data"][mime] = _relative_paths(out["data"][mime])
    if "traceback" in out:
        out["traceback"] = [_relative_paths(line) for line in out["traceback"]]
    if "evalue" in out:
        out["evalue"] = _relative_paths(out["evalue"])


def _merge_adjacent_streams(outputs: list) -> list:
    """One stream output where the kernel sent several in a row: where a cell's printed text
    is cut depends on when the kernel flushed stdout (a loaded machine cut a das2022 table in
    two), not on what was printed. Streams separated by another output stay apart."""
    merged = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and last is not None and last.get("output_type") == "stream"
                and last.get("name") == out.get("name")):
            last["text"] = "".join(last["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def _scrub(nb: nbformat.NotebookNode) -> None:
    """Drop run timestamps/durations and absolute repository paths, and merge stream outputs
    the kernel happened to split, so that re-executed notebooks diff only where results change."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = _merge_adjacent_streams(cell.outputs)
        for out in cell.get("outputs", []):
            _scrub_output(out)


def _content_id(cell, taken: set) -> str:
    base = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()
    for i in range(len(taken) + 1):
        candidate = base[:8] if i == 0 else hashlib.sha1(f"{base}{i}".encode()).hexdigest()[:8]
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def stable_ids(nb: nbformat.NotebookNode, previous: nbformat.NotebookNode | None) -> None:
    """Give every cell the id its twin (same type and source, in order) had in `previous`
    (the copy being replaced, else the committed one), else an id derived from its content,
    so re-executing an unchanged notebook changes no id."""
    pool: dict[tuple, list[str]] = {}
    for cell in (previous.cells if previous is not None else []):
        if cell.get("id"):
            pool.setdefault((cell.cell_type, cell.source), []).append(cell["id"])
    taken: set[str] = set()
    for cell in nb.cells:
        ids = pool.get((cell.cell_type, cell.source), [])
        cell_id = ids.pop(0) if ids else None
        if cell_id is None or cell_id in taken:
            cell_id = _content_id(cell, taken)
        cell["id"] = cell_id
        taken.add(cell_id)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)


def _previous_copy(*candidates: Path) -> nbformat.NotebookNode | None:
    for path in candidates:
        try:
            return nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            continue
    return None


SKIPPED_WARNING = re.compile(r"Warning: skipped (\d+) (?:of \d+ )?file")


def _skip_reports(log: Path, nb: nbformat.NotebookNode | None) -> tuple[int, list[str]]:
    """Files skipped during a run: the records helpers.audio writes ($SERXAI_SKIP_LOG), plus
    skip warnings of other loaders (e.g. helpers.embeddings) found in the stored stderr."""
    count, reports = 0, []
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            count += int(record.get("skipped", 0))
            reports.append(f"{record.get('what') or 'files'}: skipped {record.get('skipped')} of "
                           f"{record.get('total')} ({', '.join(record.get('first', []))}"
                           f"{', ...' if record.get('skipped', 0) > len(record.get('first', [])) else ''})")
    for cell in (nb.cells if nb is not None else []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                for match in SKIPPED_WARNING.finditer(out.get("text", "")):
                    count += int(match.group(1))
                    reports.append(match.group(0).split(": ", 1)[-1])
    return count, reports


DEVICE_LINE = re.compile(r"^device: (.+)$", re.MULTILINE)


def device_line(nb: nbformat.NotebookNode | None) -> str:
    """Where the run's models ran: the first "device: …" line a notebook printed (helpers.devices.announce)."""
    for cell in (nb.cells if nb is not None else []):
        for out in cell.get("outputs", []):
            match = DEVICE_LINE.search(out.get("text", "")) if out.get("output_type") == "stream" else None
            if match:
                return match.group(1).strip()
    return ""


def device_column(line: str) -> str:
    """The summary's short form: the torch device, or TensorFlow's for a Keras-only notebook."""
    parts = line.split(" | ")
    if parts[0] == "no torch models" and len(parts) > 1:
        return parts[1]
    return parts[0]


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


def _tree_pids(pid: int, children: dict) -> list[int]:
    """`pid` and every living descendant."""
    return [pid] + [d for child in children.get(pid, []) for d in _tree_pids(child, children)]


def _child_pids() -> set[int]:
    return set(_process_tree()[1].get(os.getpid(), []))


def _children_usage(exclude=frozenset()) -> tuple[int, float]:
    """(peak KiB of the largest child tree, CPU seconds of all child trees) of this process,
    leaving out the children in `exclude` (started before the notebook, e.g. a test session's
    idle joblib workers); one walk of /proc for both. A tree's peak is each member's VmHWM
    summed: worker processes a notebook starts count, as they do against Binder's memory
    limit, and the sum bounds the tree's peak from above."""
    peaks, children = _process_tree()
    trees = [_tree_pids(c, children) for c in children.get(os.getpid(), []) if c not in exclude]
    peak = max((sum(peaks.get(p, 0) for p in tree) for tree in trees), default=0)
    return peak, sum(_cpu_seconds(p) for tree in trees for p in tree)


def _children_peak_kib(exclude=frozenset()) -> int:
    return _children_usage(exclude)[0]


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children that it has reaped (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(v) for v in fields[11:15]) / _TICKS  # utime, stime, cutime, cstime


@contextlib.contextmanager
def _kernel_memory_watch(result: "Result", interval_s: float = 0.5):
    """Sample the kernel's peak memory and cumulative CPU while a notebook runs (0 where /proc
    is unavailable). The CPU samples let `cell_timings` attribute CPU time to cells."""
    stop = threading.Event()
    before = _child_pids()

    def sample():
        peak_kib, cpu = _children_usage(before)
        result.peak_rss_mb = max(result.peak_rss_mb, peak_kib / 1024)
        if not result.cpu_samples or cpu >= result.cpu_samples[-1][1]:  # a reaped tree never lowers the count
            result.cpu_samples.append((time.time(), cpu, result.peak_rss_mb))

    def watch():
        while not stop.wait(interval_s):
            sample()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        result.cpu_s = result.cpu_samples[-1][1] if result.cpu_samples else 0.0


def _timestamp(text) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def cell_timings(nb: nbformat.NotebookNode, cpu_samples=()) -> list[dict]:
    """Wall time of every executed code cell (papermill's start and end times), its CPU time
    and how much it raised the run's peak memory, read off the watch's cumulative samples
    (0.5 s apart, linearly interpolated: what happens within half a second of a cell boundary
    may be split between the two cells)."""
    import numpy as np

    times = np.array([sample[0] for sample in cpu_samples], dtype=float)
    cpu = np.array([sample[1] for sample in cpu_samples], dtype=float)
    peak = np.array([sample[2] if len(sample) > 2 else np.nan for sample in cpu_samples], dtype=float)
    rows = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("papermill", {})
        start, end = _timestamp(meta.get("start_time")), _timestamp(meta.get("end_time"))
        if cell.cell_type != "code" or start is None or end is None:
            continue
        used = float(np.interp(end, times, cpu) - np.interp(start, times, cpu)) if len(times) else float("nan")
        raised = float(np.interp(end, times, peak) - np.interp(start, times, peak)) if len(times) else float("nan")
        first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")), "")
        rows.append(dict(cell=index, first_line=first[:60], wall_s=round(end - start, 2), cpu_s=round(used, 2),
                         raised_peak_mb=round(raised) if np.isfinite(raised) else None))
    return rows


def slowest_cells(results, n: int = 10, by: str = "wall_s") -> pd.DataFrame:
    """The n slowest code cells of a run (or the n largest by another column, e.g.
    raised_peak_mb), over every notebook (for `reproduce --timings`)."""
    rows = [dict(notebook=r.notebook, **cell) for r in results if not isinstance(r, str) for cell in r.cells]
    columns = ["notebook", "cell", "wall_s", "cpu_s", "raised_peak_mb", "first_line"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows)[columns].sort_values(by, ascending=False, kind="stable").head(n).reset_index(drop=True)


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
    fd, log_name = tempfile.mkstemp(prefix=f"serxai-skipped-{name}-", suffix=".jsonl")
    os.close(fd)
    skip_log, saved_log = Path(log_name), os.environ.get(SKIP_LOG_ENV_VAR)
    os.environ[SKIP_LOG_ENV_VAR] = str(skip_log)
    nb = None
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
        result.error = f"cell {err.cell_index} ({err.ename}: {_relative_paths(str(err.evalue))})"
    finally:
        if saved_log is None:
            os.environ.pop(SKIP_LOG_ENV_VAR, None)
        else:
            os.environ[SKIP_LOG_ENV_VAR] = saved_log
    result.seconds = time.time() - start
    if running.exists():
        target = output if result.status == "ok" else output.with_name(f"{name}.failed.ipynb")
        nb = nbformat.read(running, as_version=4)
        result.cells = cell_timings(nb, result.cpu_samples)
        _scrub(nb)
        stable_ids(nb, _previous_copy(output, notebooks.executed_path(name)))
        atomic_write_text(target, nbformat.writes(nb) + "\n")
        running.unlink()
        result.executed = target
    result.skipped, result.skip_reports = _skip_reports(skip_log, nb)
    result.device = device_line(nb)
    skip_log.unlink(missing_ok=True)
    result.outputs = _written_since(name, start)
    return result


RUNS_ENV_VAR = "SERXAI_RUNS"


def is_default_regeneration(profile, overrides, output_dir) -> bool:
    """`python -m helpers reproduce [PAPER …]` with no profile, no -p and the default output
    folder: the only kind of run that writes into the committed notebooks/ and figures/."""
    return (not profile and not overrides
            and (output_dir is None or Path(output_dir).resolve() == NOTEBOOKS_DIR.resolve()))


def scratch_dir(profile) -> Path:
    """Where a non-default run without --output-dir goes: $SERXAI_RUNS/<profile>, default
    the per-user cache folder (never the repository)."""
    import platformdirs

    base = os.environ.get(RUNS_ENV_VAR) or (platformdirs.user_cache_dir("serxai") + "/runs")
    label = Path(str(profile)).stem if profile else "custom"
    return Path(base).expanduser() / label


def plan_folders(profile, overrides, output_dir, figures_dir) -> tuple[Path, Path | None]:
    """(notebook folder, figures folder or None for the default figures/). A run that is not
    the default regeneration never writes into the committed copies: its notebooks go to
    `output_dir` (default: `scratch_dir`), its figures beside them in `<output_dir>/figures`,
    unless --figures-dir says otherwise."""
    if is_default_regeneration(profile, overrides, output_dir):
        return NOTEBOOKS_DIR, (Path(figures_dir) if figures_dir is not None else None)
    output_dir = Path(output_dir) if output_dir is not None else scratch_dir(profile)
    if figures_dir is None and output_dir.resolve() == NOTEBOOKS_DIR.resolve():
        return NOTEBOOKS_DIR, None  # asked for the committed notebooks explicitly: figures/ with them
    return output_dir, Path(figures_dir) if figures_dir is not None else output_dir / "figures"


def check_writable(folder: Path, option: str) -> None:
    """Create `folder` if needed and write a probe file into it; InvalidParameterError otherwise."""
    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise InvalidParameterError(f"{option} {folder}: is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InvalidParameterError(f"{option} {folder}: cannot write there ({exc.strerror or exc})") from None


def run(names=(), profile: str | None = None, overrides: dict | None = None,
        output_dir: Path | None = None, figures_dir: Path | None = None,
        progress: bool = True, echo=print, timings: bool = False, jobs: int | None = 1) -> list[Result]:
    """Validate everything, then execute each notebook; returns one Result per notebook.

    `jobs` > 1 executes that many notebooks at once, each in its own worker process and
    kernel (see `run_concurrently`); None: `default_jobs()`. Results come back in the plan's order.

    Only the default regeneration (no profile, no overrides, default output folder) writes
    into notebooks/ and figures/; see `plan_folders` for every other run."""
    plan = validate(list(names), profile, overrides or {})
    output_dir, figures_dir = plan_folders(profile, overrides, output_dir, figures_dir)
    check_writable(output_dir, "--output-dir")
    check_writable(figures_dir if figures_dir is not None else figures_root(), "--figures-dir")
    if output_dir != NOTEBOOKS_DIR:
        echo(f"not the default regeneration: notebooks go to {output_dir}, figures to {figures_dir}")
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise InvalidParameterError(f"--jobs {jobs}: must be at least 1")
    with _environment(figures_dir):
        if jobs > 1 and len(plan) > 1:
            results = run_concurrently(plan, output_dir, jobs, echo)
        else:
            results = []
            for name, parameters in plan.items():
                shown = " ".join(f"{k}={v!r}" for k, v in parameters.items())
                echo(f"▶ {name} {shown}".rstrip())
                results.append(run_one(name, parameters, output_dir, progress=progress))
                _report(results[-1], echo)
        write_index()
        claims = claims_summary(results)
    echo(summary(results).to_string(index=False))
    if timings:
        echo("\nslowest cells (wall and CPU s; CPU counts the kernel and its workers; raised_peak_mb: how much the "
             "run's peak memory grew during the cell):\n" + slowest_cells(results).to_string(index=False))
        echo("\ncells that raised peak memory most:\n" + slowest_cells(results, by="raised_peak_mb", n=5).to_string(index=False))
    if not claims.empty:
        echo("\npaper vs this run (claims that hold, in the tables this run wrote):\n" + claims.to_string(index=False))
    return results


def _report(result: Result, echo) -> None:
    echo(f"  {result.notebook}: {result.status} in {result.seconds:.1f} s" + (f": {result.error}" if result.error else ""))
    for report in result.skip_reports:
        echo(f"  skipped files: {report}")


def run_concurrently(plan: dict, output_dir: Path, jobs: int, echo) -> list[Result]:
    """Execute the plan's notebooks `jobs` at a time, each in a worker process of its own (so
    each has its own environment, skip log and memory watch). The longest notebooks start
    first (by their last recorded wall time); progress bars are off, one line per finished
    notebook. Kernels keep the thread settings of a serial run, so the outputs are the same."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    order = sorted(plan, key=lambda name: -LAST_WALL_S.get(name, 0.0))
    echo(f"▶ {len(plan)} notebooks, {jobs} at a time: {', '.join(order)}")
    done = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_one, name, plan[name], output_dir, False): name for name in order}
        for future in as_completed(futures):
            result = future.result()
            done[result.notebook] = result
            _report(result, echo)
    return [done[name] for name in plan]


NOTEBOOK_PEAK_GB = 2.5  # the largest default-profile peak (kernel + workers) measured, with some room


def _memory_limit_gb() -> float:
    """Memory this process may use: the cgroup limit (containers, Binder) or MemAvailable."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
            if text != "max" and int(text) < 1 << 50:
                return int(text) / 2**30
        except (OSError, ValueError):
            continue
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except (OSError, ValueError):
        pass
    return NOTEBOOK_PEAK_GB  # unknown: room for one


def default_jobs(cores: int | None = None, memory_gb: float | None = None) -> int:
    """Notebooks to run at once by default: one per core (the kernels are mostly single-threaded
    Python), as many as fit in memory at `NOTEBOOK_PEAK_GB` each, at least one. On a 2 GB
    Binder this is 1."""
    if cores is None:
        from .features import default_jobs as usable_cores

        cores = usable_cores()
    memory_gb = _memory_limit_gb() if memory_gb is None else memory_gb
    return max(1, min(int(cores), int(memory_gb // NOTEBOOK_PEAK_GB)))


# Wall seconds of each default regeneration, measured on a 2-core machine (README): only used
# to start the longest notebooks first when running several at once.
LAST_WALL_S = {"faithfulness": 361, "hjuler2025": 172, "smietanka2023": 150, "dixit2024": 123,
               "das2022": 68, "nasr2025": 35, "quickstart": 17}


def summary(results: list[Result]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "notebook": [r.notebook for r in results],
            "status": [r.status for r in results],
            "wall_s": [round(r.seconds, 1) for r in results],
            "cpu_s": [round(r.cpu_s, 1) for r in results],
            "peak_rss_mb": [round(r.peak_rss_mb) for r in results],
            "figures": [sum(o.endswith(".png") for o in r.outputs) for r in results],
            "tables": [sum(o.endswith(".csv") for o in r.outputs) for r in results],
            "skipped_files": [r.skipped for r in results],
            "device": [device_column(r.device) for r in results],
            "failed_at": [r.error for r in results],
        }
    )


def claims_summary(results) -> pd.DataFrame:
    """Count yes / no / unclear / n/a in the paper_vs_run.csv of each notebook that ran successfully
    and wrote that table in this run (under the current figures root); an older table left
    by an earlier run is never counted."""
    from .verdicts import AGREES_VALUES

    rows = []
    for r in results:
        if isinstance(r, str) or r.status != "ok" or "paper_vs_run.csv" not in r.outputs:
            continue
        path = figures_root() / r.notebook / "paper_vs_run.csv"
        if path.exists():
            agrees = pd.read_csv(path, keep_default_na=False)["agrees"].replace("", "n/a").value_counts()
            rows.append({"notebook": r.notebook, **{k: int(agrees.get(k, 0)) for k in AGREES_VALUES}})
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
