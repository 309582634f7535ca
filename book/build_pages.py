"""Write the book's Sphinx sources into a generated folder (by default _build/book-src).

Why a generator: the pages must follow the committed files (README's notebook table,
figures/INDEX.md, figures/<paper>/paper_vs_run.csv, CITATION.cff) without anything generated
being committed. `make book` runs this, then sphinx-build with book/conf.py on the result.
The notebooks are copied as executed (never run); the copy only gains one markdown cell under
its title with the Binder link, the .ipynb download and the citation.
"""
from __future__ import annotations

import argparse
import copy
import csv
import html
import json
import re
import shutil
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
# Papers with a paper-vs-run table (the other notebooks, quickstart and faithfulness, have none).
PAPERS = ("dixit2024", "das2022", "hjuler2025", "smietanka2023", "nasr2025")
# Longest table rendered inline on an outputs page; longer ones are only linked as CSV.
MAX_INLINE_ROWS = 60


def repository() -> tuple[str, str]:
    """(owner, name) of the GitHub repository, from pyproject.toml's [project.urls]: one place."""
    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", urls["Repository"])
    if not match:
        raise SystemExit(f"pyproject.toml: Repository URL is not a GitHub one: {urls['Repository']}")
    return match[1], match[2]


def binder_url(notebook: str) -> str:
    owner, name = repository()
    return f"https://mybinder.org/v2/gh/{owner}/{name}/HEAD?labpath=notebooks/{notebook}.ipynb"


def read_index(path: Path = REPO / "figures" / "INDEX.md") -> list[dict[str, str]]:
    """Rows of figures/INDEX.md's table as dicts (notebook, kind, output, file, code cell)."""
    rows = [line for line in path.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in row.strip("|").split("|")), strict=True))
            for row in rows[2:]]


def readme_notebook_table(readme: Path = REPO / "README.md") -> tuple[list[str], str]:
    """(notebook names in order, README's notebook table) with links pointing at book pages."""
    lines = readme.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| notebook | paper |")), None)
    if start is None:
        raise SystemExit("README.md: the '| notebook | paper | ...' table was not found")
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    names = []
    for line in table[2:]:
        match = re.match(r"\| \[`(\w+)`\]", line)
        if not match:
            raise SystemExit(f"README.md: a notebook table row without a [`name`] link: {line}")
        names.append(match[1])
    rows = re.sub(r"\]\(notebooks/(\w+)\.py\)", r"](notebooks/\1.ipynb)", "\n".join(table))
    # Any other relative link names a repository file that is no page here: link it on GitHub.
    owner, name = repository()
    rows = re.sub(r"\]\((?!notebooks/\w+\.ipynb\)|https?:|#)([^)]+)\)",
                  rf"](https://github.com/{owner}/{name}/blob/HEAD/\1)", rows).splitlines()
    # One more column: the page of each notebook's figures and tables.
    rows[0] += " outputs |"
    rows[1] += "---|"
    rows[2:] = [row + f" [figures and tables](outputs/{name}.md) |"
                for row, name in zip(rows[2:], names, strict=True)]
    return names, "\n".join(rows)


def readme_block(start: str, end: str, readme: Path = REPO / "README.md") -> str:
    """The text between two marker comments of README.md (the generated faithfulness summary)."""
    text = readme.read_text()
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.S)
    return match[1].strip() if match else ""


def citations(cff_path: Path = REPO / "CITATION.cff") -> tuple[dict[str, str], str]:
    """({notebook: paper citation}, the companion's own citation), only from CITATION.cff."""
    cff = yaml.safe_load(cff_path.read_text())
    by_notebook = {}
    for ref in cff.get("references", []):
        match = re.search(r"notebooks/(\w+)", ref.get("notes", ""))
        if match:
            by_notebook[match[1]] = format_reference(ref)
    companion = (f"{authors(cff['authors'])}. *{cff['title']}*. Software, version {cff['version']}. "
                 f"<{cff['repository-code']}>")
    return by_notebook, companion


def authors(people: list[dict]) -> str:
    names = []
    for person in people:
        if "family-names" in person:
            names.append(" ".join(filter(None, [person.get("given-names"), person["family-names"]])))
        else:
            names.append(person["name"])
    return ", ".join(names)


def format_reference(ref: dict) -> str:
    """Authors (year). *Title*. Venue. Identifier: nothing that CITATION.cff does not say."""
    text = f"{authors(ref['authors'])} ({ref['year']}). *{ref['title']}*."
    venue = (ref.get("conference") or {}).get("name") or ref.get("journal")
    if venue:
        text += f" {venue}."
    for ident in ref.get("identifiers", []):
        text += f" <{ident['value']}>"
    return text


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def html_table(path: Path, css_class: str, max_rows: int | None = None) -> str:
    """A CSV as a raw HTML table; `agrees` cells get a class per value for the stylesheet."""
    header, *body = csv_rows(path)
    shown = body if max_rows is None else body[:max_rows]
    out = [f'<table class="table {css_class}">', "<thead><tr>"]
    out += [f"<th>{html.escape(name)}</th>" for name in header]
    out.append("</tr></thead><tbody>")
    for row in shown:
        cells = []
        for name, value in zip(header, row, strict=False):
            extra = f' class="agrees-{html.escape(value.replace("/", ""))}"' if name == "agrees" else ""
            cells.append(f"<td{extra}>{html.escape(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def raw_html(text: str) -> str:
    return "```{raw} html\n" + text + "\n```\n"


def notebook_box(name: str, citation: str) -> str:
    """The markdown cell put under each notebook's title: run, download, outputs, cite."""
    return "\n".join([
        "```{admonition} Run it, download it, cite it",
        ":class: tip book-links",
        f"[Launch on Binder]({binder_url(name)}) ·",
        f"{{download}}`Download {name}.ipynb (executed) <_ipynb/{name}.ipynb>` ·",
        f"[Figures and tables of this notebook](../outputs/{name}.md)",
        "",
        citation,
        "```",
    ])


def write_notebook(src: Path, out_dir: Path, box: str) -> None:
    """Copy the executed notebook twice: as is (the download) and with the box (the page)."""
    (out_dir / "_ipynb").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, out_dir / "_ipynb" / src.name)
    notebook = json.loads(src.read_text())
    cells = notebook["cells"]
    first = "".join(cells[0]["source"]) if cells and cells[0]["cell_type"] == "markdown" else ""
    if first.startswith("# "):  # keep the title first: it is the page's title
        title, _, rest = first.partition("\n")
        cells[0]["source"] = title + "\n"
        added = [{"cell_type": "markdown", "metadata": {}, "source": box}]
        if rest.strip():
            tail = copy.deepcopy(cells[0])
            tail["source"] = rest
            tail.pop("id", None)
            added.append(tail)
        cells[1:1] = added
    else:
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": box})
    for cell in cells:
        cell.pop("id", None)  # ids of the split cells would clash; the page does not need them
    notebook["nbformat_minor"] = min(notebook.get("nbformat_minor", 4), 4)
    (out_dir / src.name).write_text(json.dumps(notebook, indent=1, ensure_ascii=False))


def outputs_page(name: str, rows: list[dict[str, str]], citation: str) -> str:
    """One notebook's figures (shown, CSV linked) and tables (CSV linked, small ones inline)."""
    figures = REPO / "figures"
    # Wide tables: this page drops the right-hand contents column (the sidebar keeps the outline).
    lines = ["---", "html_theme.sidebar_secondary.remove: true", "---", "",
             f"# {name}: figures and tables", "",
             f"Made by the notebook [{name}](../notebooks/{name}.ipynb) and committed under "
             f"`figures/{name}/` (listed in `figures/INDEX.md`).", "", citation, ""]
    if (figures / name / "paper_vs_run.csv").exists():
        lines += ["## Paper vs this run", "",
                  "Each number or claim of the paper beside this run's, with its `basis` and whether "
                  "it `agrees` (yes / no from a test that could have gone the other way, `unclear` "
                  "where the confidence interval straddles the paper's side, `n/a` by construction "
                  "or for a stand-in model). "
                  f"{{download}}`paper_vs_run.csv <../figures/{name}/paper_vs_run.csv>`", "",
                  raw_html(html_table(figures / name / "paper_vs_run.csv", "paper-vs-run"))]
    figs = [row for row in rows if row["kind"] == "figure"]
    tables = [row for row in rows if row["kind"] == "table" and row["output"] != "paper_vs_run"]
    if figs:
        lines += ["## Figures", ""]
    for row in figs:
        png = Path(row["file"])
        numbers = figures / png.with_suffix(".csv")
        link = (f"{{download}}`numbers (CSV) <../figures/{png.with_suffix('.csv')}>`"
                if numbers.exists() else "no CSV (a diagram)")
        lines += [f"### {row['output']}", "",
                  f"```{{figure}} ../figures/{png}", f":alt: {row['output']} ({name})", "",
                  f"`{png}` from code cell {row['code cell']} · {link}", "```", ""]
    if tables:
        lines += ["## Tables", ""]
    for row in tables:
        path = figures / row["file"]
        lines += [f"### {row['output']}", "",
                  f"`{row['file']}` from code cell {row['code cell']} · "
                  f"{{download}}`CSV <../figures/{row['file']}>`", ""]
        count = len(csv_rows(path)) - 1
        if count <= MAX_INLINE_ROWS:
            lines.append(raw_html(f"<details><summary>Show the table ({count} rows)</summary>\n"
                                  + html_table(path, "output-table") + "\n</details>"))
        else:
            lines += [f"({count} rows: see the CSV.)", ""]
    return "\n".join(lines)


def landing_page(names: list[str], table: str) -> str:
    template = (BOOK / "landing.md").read_text()
    summary = readme_block("<!-- faithfulness-summary:start -->", "<!-- faithfulness-summary:end -->")
    if summary:  # one sentence a line in README: the first introduces, the others become a list
        first, *others = summary.splitlines()
        summary = "\n".join([first, ""] + [f"- {line}" for line in others])
    return (template.replace("{{ notebook_table }}", table)
            .replace("{{ faithfulness_summary }}", summary or "(see the faithfulness notebook)")
            .replace("{{ notebook_pages }}", "\n".join(f"notebooks/{n}" for n in names))
            .replace("{{ output_pages }}", "\n".join(f"outputs/{n}" for n in names))
            .replace("{{ binder_quickstart }}", binder_url("quickstart")))


def build(out: Path) -> list[str]:
    """Write every source into `out` (emptied first); returns the notebook names in page order."""
    if out.exists():
        shutil.rmtree(out)
    (out / "outputs").mkdir(parents=True)
    shutil.copytree(REPO / "figures", out / "figures")
    readme_names, table = readme_notebook_table()
    present = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    missing = [n for n in readme_names if n not in present]
    if missing:
        raise SystemExit(f"README's notebook table names notebooks without an .ipynb: {missing}")
    names = readme_names + [n for n in present if n not in readme_names]
    papers, companion = citations()
    index = read_index()
    for name in names:
        citation = (f"**Cite the paper:** {papers[name]}" if name in papers
                    else f"**Cite this companion:** {companion}")
        write_notebook(REPO / "notebooks" / f"{name}.ipynb", out / "notebooks", notebook_box(name, citation))
        rows = [row for row in index if row["notebook"] == name]
        (out / "outputs" / f"{name}.md").write_text(outputs_page(name, rows, citation))
    (out / "index.md").write_text(landing_page(names, table))
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "book-src")
    args = parser.parse_args()
    names = build(args.out)
    print(f"book sources for {len(names)} notebooks written to {args.out}")


if __name__ == "__main__":
    main()
