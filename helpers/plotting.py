"""One figure style and the only two ways notebooks write results: `save_figure`, `save_table`.

Outputs go to `figures/<paper>/` (or `$SERXAI_FIGURES/<paper>/`, which the test-suite and
`reproduce --figures-dir` use so that smoke runs never overwrite the committed figures).
Both writers are deterministic: fixed DPI, no timestamps or version strings in PNG metadata,
fixed float formatting in CSV, so two runs with the same seed give byte-identical files.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .fileio import atomic_write_bytes
from .paths import FIGURES_DIR

FIGURES_ENV_VAR = "SERXAI_FIGURES"
DPI = 120
FLOAT_FORMAT = "%.6g"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
PAPER_VS_RUN_COLUMNS = ["item", "paper", "this_run", "dataset", "agrees", "basis", "sampling_noise", "note"]


def set_style() -> None:
    """The companion's single look: seaborn 'ticks', colour-blind palette, small fonts."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="ticks", palette="colorblind", font_scale=0.9)
    plt.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": DPI,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "serxai",
            "path.simplify": True,
        }
    )


def figures_root() -> Path:
    return Path(os.environ.get(FIGURES_ENV_VAR) or FIGURES_DIR)


def output_path(paper: str, name: str, suffix: str) -> Path:
    for what, value in (("paper", paper), ("name", name)):
        if not _NAME.match(value):
            raise ValueError(f"{what} {value!r} is not a plain file name (letters, digits, _ . -)")
    return figures_root() / paper / f"{name}{suffix}"


def _csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n").encode()


def _markdown(df: pd.DataFrame) -> str:
    """A GitHub table without an extra dependency (pandas.to_markdown needs tabulate)."""
    def cell(value) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else FLOAT_FORMAT % value
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def save_table(df: pd.DataFrame, paper: str, name: str, markdown: bool = True) -> Path:
    """Write `figures/<paper>/<name>.csv` (+ `.md`). The index is dropped: put keys in columns."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"save_table expects a pandas DataFrame, got {type(df).__name__}")
    path = output_path(paper, name, ".csv")
    atomic_write_bytes(path, _csv_bytes(df))
    if markdown:
        atomic_write_bytes(path.with_suffix(".md"), _markdown(df).encode())
    return path


def save_figure(fig, paper: str, name: str, data: pd.DataFrame | None = None) -> Path:
    """Write `figures/<paper>/<name>.png` byte-reproducibly, plus the plotted numbers as CSV.

    `data` is required in spirit (every figure has its numbers beside it); pass
    `data=None` only for drawings without numbers (architecture diagrams), which is recorded
    by writing no CSV.
    """
    path = output_path(paper, name, ".png")
    buffer = io.BytesIO()
    # metadata=None entries remove matplotlib's default 'Software' key; PNG gets no timestamp.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    atomic_write_bytes(path, buffer.getvalue())
    if data is not None:
        save_table(data, paper, name, markdown=False)
    return path


def paper_vs_run(rows: list[dict], paper: str, dataset: str) -> pd.DataFrame:
    """Build, check and save the closing 'paper vs this run' table.

    Each row (see `helpers.verdicts.row`): item, paper (the paper's number or claim),
    this_run, agrees (yes / no / unclear / n/a), basis (paper text / paper figure (read by
    eye) / authors' repository / by construction), sampling_noise (yes when noise could
    decide, then a CI must be shown), note. A row may carry its own `dataset` (e.g. a
    stand-in model); the others get `dataset`. Rows that break the verdict rules raise.
    """
    from .verdicts import problems

    table = pd.DataFrame(rows)
    if "dataset" not in table:
        table["dataset"] = dataset
    table["dataset"] = table["dataset"].fillna(dataset).replace("", dataset)
    if "sampling_noise" not in table:
        table["sampling_noise"] = "no"
    table["sampling_noise"] = table["sampling_noise"].fillna("no")
    for column in PAPER_VS_RUN_COLUMNS:
        if column not in table:
            table[column] = ""
    table = table[PAPER_VS_RUN_COLUMNS]
    found = problems(table)
    if found:
        raise ValueError("paper_vs_run breaks the verdict rules:\n  " + "\n  ".join(found))
    save_table(table, paper, "paper_vs_run")
    return table


def show_table(df: pd.DataFrame):
    """Display every row and the whole text of every cell (no '...' and no hidden rows)."""
    from IPython.display import display

    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.max_colwidth", None, "display.width", None):
        display(df)
