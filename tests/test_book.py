"""The HTML book (`make book`): built once per session, then every page opened in headless Chromium.

Why: a static site can build without a warning and still show a broken figure, a dead link or
need a CDN. The browser checks (book/check_site.py) are shown to fail on a copy of the site with
a figure deleted or corrupted, a link or an anchor broken, or an external script added. The
browser tests skip when chromium is missing or the book's venv (.venv-book/) cannot be created.
"""
from __future__ import annotations

import csv
import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageStat

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD = REPO_ROOT / "_build"
PAPERS = ("dixit2024", "das2022", "hjuler2025", "smietanka2023", "nasr2025")
NOTEBOOKS = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"book_{name}", REPO_ROOT / "book" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check_site = _load("check_site")
build_pages = _load("build_pages")


def _make(*targets: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", *targets], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=1200)


@pytest.fixture(scope="session")
def book_html() -> Path:
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install chromium): the book is not checked")
    env = _make("book-env")
    if env.returncode != 0:
        pytest.skip(f"the book's venv (.venv-book/) could not be created:\n{(env.stdout + env.stderr)[-2000:]}")
    built = _make("book")
    assert built.returncode == 0, f"make book failed:\n{(built.stdout + built.stderr)[-4000:]}"
    return BUILD / "html"


@pytest.fixture(scope="session")
def browser(book_html):
    with check_site.Chromium(CHROMIUM) as chromium:
        yield chromium


@pytest.fixture(scope="session")
def report(book_html, browser):
    return check_site.check_site(book_html, browser)


@pytest.fixture
def site_copy(book_html, tmp_path) -> Path:
    return Path(shutil.copytree(book_html, tmp_path / "html"))


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


# --- the built book in the browser ------------------------------------------------------------

@pytest.mark.book
def test_every_page_loads_shows_its_images_and_links_resolve(report):
    expected = {"index.html", *(f"notebooks/{n}.html" for n in NOTEBOOKS),
                *(f"outputs/{n}.html" for n in NOTEBOOKS)}
    assert expected <= set(report.pages)
    assert report.problems == []
    assert sum(len(page["images"]) for page in report.pages.values()) > 50


@pytest.mark.book
def test_external_links_are_only_binder_github_and_the_papers(report):
    hosts = {re.match(r"https?://([^/]+)", url)[1] for url in report.external_links}
    assert hosts <= {"mybinder.org", "github.com", "arxiv.org"}, hosts


@pytest.mark.book
def test_built_pages_load_no_script_or_stylesheet_from_outside(book_html):
    pattern = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(https?:)?//", re.I)
    offenders = [p.relative_to(book_html).as_posix() for p in check_site.html_pages(book_html)
                 if pattern.search(p.read_text())]
    assert offenders == []


@pytest.mark.book
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_page_has_binder_download_and_citation(name, report, book_html):
    page = report.pages[f"notebooks/{name}.html"]
    urls = {link["url"] for link in page["links"]}
    assert build_pages.binder_url(name) in urls
    downloads = [u for u in urls if "/_downloads/" in u and u.endswith(f"/{name}.ipynb")]
    assert len(downloads) == 1
    download = Path(downloads[0].removeprefix("file://"))
    assert download.read_bytes() == (REPO_ROOT / "notebooks" / f"{name}.ipynb").read_bytes()
    text = html.unescape(re.sub(r"<[^>]+>", "", (book_html / "notebooks" / f"{name}.html").read_text()))
    papers, companion = build_pages.citations()
    cited_title = re.search(r"\*(.+?)\*", papers.get(name, companion))[1]
    assert cited_title in " ".join(text.split())
    assert len(page["images"]) >= 1  # the committed outputs are shown


@pytest.mark.book
@pytest.mark.parametrize("paper", PAPERS)
def test_paper_page_shows_paper_vs_run_with_agrees_and_basis(paper, report):
    rows = csv_rows(REPO_ROOT / "figures" / paper / "paper_vs_run.csv")
    tables = report.pages[f"outputs/{paper}.html"]["tables"]
    assert len(tables) == 1
    assert tables[0]["headers"] == rows[0]
    assert {"agrees", "basis"} <= set(tables[0]["headers"])
    assert tables[0]["rows"] == len(rows) - 1


@pytest.mark.book
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_outputs_page_shows_every_indexed_figure_and_links_its_csv(name, report):
    index = [row for row in build_pages.read_index() if row["notebook"] == name]
    page = report.pages[f"outputs/{name}.html"]
    figures = [row for row in index if row["kind"] == "figure"]
    assert len(page["images"]) == len(figures)
    linked = {link["url"].rsplit("/", 1)[-1] for link in page["links"] if "/_downloads/" in link["url"]}
    for row in index:
        csv_name = Path(row["file"]).with_suffix(".csv")
        if (REPO_ROOT / "figures" / csv_name).exists():
            assert csv_name.name in linked, row


@pytest.mark.book
def test_screenshots_of_the_landing_and_a_paper_page(book_html, browser):
    shots = BUILD / "screenshots"
    taken = [
        browser.screenshot((book_html / "index.html").as_uri(), shots / "landing.png"),
        browser.screenshot((book_html / "index.html").as_uri(), shots / "landing-fig-scores.png",
                           selector="figure img"),
        browser.screenshot((book_html / "outputs" / "das2022.html").as_uri(), shots / "paper-das2022.png"),
        browser.screenshot((book_html / "outputs" / "das2022.html").as_uri(),
                           shots / "paper-das2022-table.png", selector="table.paper-vs-run"),
        browser.screenshot((book_html / "outputs" / "das2022.html").as_uri(),
                           shots / "paper-das2022-figure.png", selector="figure img"),
    ]
    for path in taken:
        with Image.open(path) as image:
            assert image.size == (1280, 900)
            gray = image.convert("L")
            assert ImageStat.Stat(gray).stddev[0] > 20, f"{path.name} looks blank"
            dark = sum(gray.histogram()[:100]) / (image.width * image.height)
            assert dark > 0.005, f"{path.name} shows almost no text"


# --- the checks can fail ----------------------------------------------------------------------

def _first_figure(site: Path) -> Path:
    match = re.search(r'<img [^>]*src="\.\./(_images/[^"]+)"', (site / "outputs" / "das2022.html").read_text())
    return site / match[1]


@pytest.mark.book
@pytest.mark.parametrize("damage", ["deleted", "not an image"])
def test_check_fails_when_a_figure_file_is_deleted_or_not_an_image(site_copy, browser, damage):
    figure = _first_figure(site_copy)
    if damage == "deleted":
        figure.unlink()
    else:
        figure.write_bytes(b"not a PNG at all" * 100)
    report = check_site.check_site(site_copy, browser, [site_copy / "outputs" / "das2022.html"])
    assert any(f"{figure.name} did not load (naturalWidth 0)" in p for p in report.problems), report.problems
    assert any(f"{figure.name} is missing or does not decode" in p for p in report.problems)


@pytest.mark.book
def test_check_fails_when_a_figure_file_is_truncated(site_copy, browser):
    """Chromium reads the size from the PNG header (naturalWidth > 0): Pillow's full decode catches it."""
    figure = _first_figure(site_copy)
    figure.write_bytes(figure.read_bytes()[:200])
    report = check_site.check_site(site_copy, browser, [site_copy / "outputs" / "das2022.html"])
    assert any(f"{figure.name} is missing or does not decode" in p for p in report.problems), report.problems


@pytest.mark.book
def test_check_fails_when_a_link_or_an_anchor_is_broken(site_copy, browser):
    index = site_copy / "index.html"
    text = index.read_text()
    assert 'href="notebooks/das2022.html"' in text and 'href="#the-notebooks"' in text
    index.write_text(text.replace('href="notebooks/das2022.html"', 'href="notebooks/das2020.html"')
                     .replace('href="#the-notebooks"', 'href="#no-such-section"'))
    report = check_site.check_site(site_copy, browser, [index])
    assert "index.html: link 'notebooks/das2020.html' points at a missing file" in report.problems
    assert "index.html: link '#no-such-section' points at a missing anchor #no-such-section" in report.problems


@pytest.mark.book
def test_check_fails_when_a_page_needs_an_external_script(site_copy, browser):
    index = site_copy / "index.html"
    # Loopback, so nothing leaves the machine; the request itself is what is flagged.
    index.write_text(index.read_text().replace("</head>", '<script src="http://127.0.0.1:9/cdn.js"></script></head>'))
    report = check_site.check_site(site_copy, browser, [index])
    assert "index.html: requests an external resource http://127.0.0.1:9/cdn.js" in report.problems


# --- the sources and the wiring (no browser needed) -------------------------------------------

def test_readme_table_names_every_notebook_and_links_book_pages():
    names, table = build_pages.readme_notebook_table()
    assert sorted(names) == NOTEBOOKS
    assert "notebooks/" not in re.sub(r"\(notebooks/\w+\.ipynb\)", "", table)
    assert all(f"(outputs/{n}.md)" in table for n in names)


def test_every_paper_has_a_citation_from_citation_cff():
    papers, companion = build_pages.citations()
    assert set(PAPERS) <= set(papers)
    assert "Interspeech 2022" in papers["das2022"] and "https://arxiv.org/abs/2511.11691" in papers["nasr2025"]
    assert "serxai" in companion


def test_binder_url_uses_the_repository_named_in_pyproject():
    assert build_pages.binder_url("das2022") == (
        "https://mybinder.org/v2/gh/serxai/ser-xai-companion/HEAD?labpath=notebooks/das2022.ipynb")


def test_requirements_book_pins_every_line_exactly():
    lines = [line.strip() for line in (REPO_ROOT / "requirements-book.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", line) for line in lines), lines
    names = {line.split("==")[0].lower() for line in lines}
    assert {"sphinx", "myst-nb", "sphinx-book-theme", "pyyaml"} <= names


def test_conf_never_executes_notebooks():
    conf = (REPO_ROOT / "book" / "conf.py").read_text()
    assert re.search(r'^nb_execution_mode = "off"', conf, re.M)


def test_make_book_uses_its_own_venv_and_warnings_as_errors():
    dry = _make("-n", "-B", "book")
    assert dry.returncode == 0, dry.stderr
    sphinx = [line for line in dry.stdout.splitlines() if "-m sphinx" in line]
    assert len(sphinx) == 1 and sphinx[0].startswith(".venv-book/bin/python")
    assert " -W " in sphinx[0] and "--keep-going" in sphinx[0] and sphinx[0].endswith("_build/html")
    assert ".venv/" not in dry.stdout.replace(".venv-book/", "")


def test_pages_workflow_builds_with_make_book_and_deploys_the_html():
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert [s["run"] for s in steps if "run" in s] == ["make book"]
    upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps)


def test_ci_installs_chromium_without_failing_and_ends_with_make_test():
    lines = [line for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1] == "make test"
    chromium = "\n".join(lines[:-1])
    assert "apt-get install" in chromium and "chromium" in chromium
    assert '|| echo "chromium not installed' in chromium


def test_build_output_and_book_venv_are_git_ignored():
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "/_build/" in ignored and "/.venv-book/" in ignored
