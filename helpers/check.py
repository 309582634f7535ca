"""Did my rerun reproduce this repository? Compare freshly generated tables with the committed ones.

`python -m helpers reproduce --check [PAPER …]` regenerates into a scratch folder (never
into `figures/`) and compares every CSV with the committed copy (`git show HEAD:…`, so a
`make reproduce` that already overwrote `figures/` is still compared with what the repository
holds). Numeric columns must agree within the tolerance declared for their table below;
text columns (claims, verdicts, labels) must agree exactly. PNG files are reported, not
judged: their numbers are in the CSV beside them.

The smoke profile is compared with reference tables under `tests/golden/smoke/`, which the
test-suite does on every run, so drift is caught on each submission rather than by a reader.
"""
from __future__ import annotations

import fnmatch
import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .paths import FIGURES_DIR, REPO_ROOT

GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
STATUSES = ("equal", "within tolerance", "different", "missing", "new")
FAILING = ("different", "missing")


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    reason: str


DETERMINISTIC = Tolerance(1e-6, 1e-9, "deterministic: same code, same data, same numbers")
# Wider tolerances, each with its reason. Keys are fnmatch patterns on "<paper>/<file>.csv";
# the first match wins. Only numeric columns use them: verdicts and labels compare exactly.
TOLERANCES: dict[str, Tolerance] = {
    "quickstart/fig1_log_mel_by_emotion.csv": Tolerance(
        0, 1e-3, "log of FFT power: CPUs' FFT/BLAS kernels differ in the last bits (measured ≤ 1e-4 dB)"),
    "nasr2025/fig_saliency_topk.csv": Tolerance(
        0, 1e-5, "raw occlusion/CRP scores of a ResNet trained on the CPU: two machines gave -0.021590 and "
                 "-0.021588 for the same cell with the same code (|Δ| 2e-6); times and ranks sit on grids far coarser than 1e-5"),
}


def tolerance_for(paper: str, filename: str) -> Tolerance:
    key = f"{paper}/{filename}"
    for pattern, tolerance in TOLERANCES.items():
        if fnmatch.fnmatchcase(key, pattern):
            return tolerance
    return DETERMINISTIC


@dataclass
class FileReport:
    paper: str
    name: str
    status: str
    max_abs: float = 0.0
    column: str = ""
    detail: str = ""


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""])


def compare_csv(reference: bytes, fresh: bytes, tolerance: Tolerance = DETERMINISTIC) -> tuple[str, float, str, str]:
    """(status, largest numeric deviation, column where it is, detail) of two CSV files."""
    if reference == fresh:
        return "equal", 0.0, "", ""
    ref, new = _frame(reference), _frame(fresh)
    if list(ref.columns) != list(new.columns):
        return "different", float("nan"), "", f"columns {list(ref.columns)} vs {list(new.columns)}"
    if len(ref) != len(new):
        return "different", float("nan"), "", f"{len(ref)} rows vs {len(new)}"
    worst, worst_column, status, detail = 0.0, "", "within tolerance", ""
    for column in ref.columns:
        a, b = ref[column], new[column]
        numeric = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
        if not numeric:
            unequal = (a.astype(str) != b.astype(str)).to_numpy()
            if unequal.any():
                i = int(np.flatnonzero(unequal)[0])
                return "different", float("nan"), column, f"row {i}: {a.iloc[i]!r} vs {b.iloc[i]!r}"
            continue
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        both_nan = np.isnan(x) & np.isnan(y)
        deviation = np.where(both_nan, 0.0, np.abs(x - y))
        deviation = np.where(np.isnan(deviation), np.inf, deviation)  # NaN on one side only
        if deviation.size and deviation.max() > worst:
            worst, worst_column = float(deviation.max()), column
        close = both_nan | np.isclose(x, y, rtol=tolerance.rtol, atol=tolerance.atol)
        if not close.all() and status != "different":
            i = int(np.flatnonzero(~close)[0])
            status, detail = "different", f"row {i}: {x[i]!r} vs {y[i]!r} (rtol {tolerance.rtol:g}, atol {tolerance.atol:g})"
    return status, worst, worst_column, detail


def committed_bytes(relative: str, root: Path = REPO_ROOT) -> bytes | None:
    """The file as committed at HEAD (falls back to the working tree outside a git checkout)."""
    try:
        done = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=root, capture_output=True, timeout=60)
        if done.returncode == 0:
            return done.stdout
    except (OSError, subprocess.SubprocessError):
        pass
    path = root / relative
    return path.read_bytes() if path.is_file() else None


def committed_names(paper: str, reference_dir: Path = FIGURES_DIR) -> list[str]:
    """CSV names the reference holds for a paper: for `figures/` as tracked at HEAD, else on disk."""
    if Path(reference_dir).resolve() == FIGURES_DIR.resolve():
        try:
            done = subprocess.run(["git", "ls-tree", "--name-only", "HEAD", f"figures/{paper}/"],
                                  cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
            if done.returncode == 0 and done.stdout.strip():
                return sorted(Path(line).name for line in done.stdout.splitlines() if line.endswith(".csv"))
        except (OSError, subprocess.SubprocessError):
            pass
    folder = Path(reference_dir) / paper
    return sorted(p.name for p in folder.glob("*.csv")) if folder.is_dir() else []


def _reference(reference_dir: Path, paper: str, name: str) -> bytes | None:
    """`figures/` is read as committed (a rerun may have overwritten the working tree);
    any other reference (the golden tables) as it is on disk."""
    if Path(reference_dir).resolve() == FIGURES_DIR.resolve():
        return committed_bytes(f"figures/{paper}/{name}")
    path = Path(reference_dir) / paper / name
    return path.read_bytes() if path.is_file() else None


def compare_paper(paper: str, fresh_dir: Path, reference_dir: Path = FIGURES_DIR) -> list[FileReport]:
    """One report per CSV in the reference or the fresh run of one paper."""
    fresh_names = sorted(p.name for p in (Path(fresh_dir) / paper).glob("*.csv"))
    names = sorted(set(committed_names(paper, Path(reference_dir))) | set(fresh_names))
    reports = []
    for name in names:
        reference = _reference(Path(reference_dir), paper, name)
        fresh_path = Path(fresh_dir) / paper / name
        if reference is None:
            reports.append(FileReport(paper, name, "new", detail="not in the reference"))
        elif not fresh_path.is_file():
            reports.append(FileReport(paper, name, "missing", detail="the run did not write it"))
        else:
            status, worst, column, detail = compare_csv(reference, fresh_path.read_bytes(), tolerance_for(paper, name))
            reports.append(FileReport(paper, name, status, worst, column, detail))
    return reports


@dataclass
class CheckReport:
    files: list[FileReport] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_runs and not any(f.status in FAILING for f in self.files)

    def text(self, largest: int = 5) -> str:
        lines = []
        papers = sorted({f.paper for f in self.files} | set(self.failed_runs))
        for paper in papers:
            mine = [f for f in self.files if f.paper == paper]
            counts = ", ".join(f"{sum(f.status == s for f in mine)} {s}" for s in STATUSES
                               if any(f.status == s for f in mine))
            failed = " — RUN FAILED" if paper in self.failed_runs else ""
            lines.append(f"{paper}: {counts or 'no tables'}{failed}")
            for f in mine:
                if f.status in FAILING or f.status == "new":
                    lines.append(f"    {f.status:>16}  {f.name}  {f.column} {f.detail}".rstrip())
            close = sorted((f for f in mine if f.status == "within tolerance"), key=lambda f: -f.max_abs)
            for f in close[:largest]:
                lines.append(f"    within tolerance  {f.name}  largest |Δ| {f.max_abs:.3g} in {f.column!r}")
        verdict = "REPRODUCED: every table equal or within its declared tolerance" if self.ok else \
            "NOT REPRODUCED: see the tables marked different/missing above"
        return "\n".join(lines + ["", verdict])


def compare_run(papers, fresh_dir: Path, reference_dir: Path = FIGURES_DIR, failed_runs=()) -> CheckReport:
    report = CheckReport(failed_runs=list(failed_runs))
    for paper in papers:
        report.files += compare_paper(paper, fresh_dir, reference_dir)
    return report


def reference_for(profile: str | None) -> Path:
    """Committed figures for the default profile; the golden reference tables for `smoke`."""
    if profile in (None, "default"):
        return FIGURES_DIR
    folder = GOLDEN_DIR / profile
    if not folder.is_dir():
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"no reference tables for profile {profile!r} (only the default "
                                    f"and {sorted(p.name for p in GOLDEN_DIR.glob('*') if p.is_dir())})")
    return folder


def check(names=(), profile: str | None = None, overrides: dict | None = None, scratch: Path | None = None,
          progress: bool = True, echo=print, jobs: int | None = 1) -> CheckReport:
    """Regenerate into `scratch` (a temporary folder by default) and compare with the reference."""
    import tempfile

    from . import notebooks, reproduce

    reference = reference_for(profile)
    names = list(names) or notebooks.available()
    with tempfile.TemporaryDirectory(prefix="serxai-check-") as tmp:
        folder = Path(scratch) if scratch else Path(tmp)
        echo(f"regenerating into {folder} (the committed figures/ are not touched)")
        results = reproduce.run(names, profile=profile, overrides=overrides, output_dir=folder / "notebooks",
                                figures_dir=folder / "figures", progress=progress, echo=echo, jobs=jobs)
        failed = [r.notebook for r in results if r.status != "ok"]
        report = compare_run(names, folder / "figures", reference, failed)
    echo("\n" + report.text())
    return report
