"""Check a built book in headless Chromium: pages load, images decode, links resolve, offline.

Why a real browser: a page can be valid HTML and still show a broken image or depend on a CDN.
Chromium is driven over --remote-debugging-pipe (the DevTools protocol on fds 3 and 4, NUL
separated JSON), so only the standard library is needed, plus Pillow to decode each image file
a second way. Usage: python book/check_site.py _build/html [--screenshots DIR]
"""
from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Evaluated in each page once it has loaded: every <img> is forced to load and decode (lazy
# images included), then what the checks need is returned as plain JSON.
PAGE_PROBE = """(async () => {
  const images = await Promise.all([...document.images].map(async (img) => {
    img.loading = "eager";
    try { await img.decode(); } catch (e) {}
    return {src: img.currentSrc || img.src, attr: img.getAttribute("src"),
            width: img.naturalWidth, complete: img.complete};
  }));
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id)
    .concat([...document.querySelectorAll("a[name]")].map((a) => a.name));
  const tables = [...document.querySelectorAll("table.paper-vs-run")].map((t) => ({
    headers: [...t.querySelectorAll("thead th")].map((th) => th.textContent.trim()),
    rows: t.querySelectorAll("tbody tr").length}));
  return {href: location.href, ready: document.readyState, title: document.title,
          text_length: document.body ? document.body.innerText.trim().length : 0,
          images, ids, tables,
          links: [...document.querySelectorAll("a[href]")].map((a) => ({href: a.getAttribute("href"), url: a.href}))};
})()"""

LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools"}
SKIPPED_LINK_SCHEMES = {"mailto", "javascript", "tel"}


class BrowserError(RuntimeError):
    """Chromium did not answer as expected (did not start, crashed or timed out)."""


class Chromium:
    """One headless Chromium and one tab, spoken to over the DevTools pipe."""

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 900,
                 timeout: float = 60.0):
        self.executable = executable or shutil.which("chromium") or shutil.which("chromium-browser")
        if not self.executable:
            raise BrowserError("chromium is not installed")
        self.size, self.timeout = (width, height), timeout
        self._id, self._buffer, self._events = 0, b"", []

    def __enter__(self) -> Chromium:
        self._profile = tempfile.TemporaryDirectory(prefix="book-chromium-")
        # Every pipe end above fd 9, so that moving two of them onto 3 and 4 overwrites none.
        to_browser_r, self._to_browser, self._from_browser, from_browser_w = (
            _high_fd(fd) for fd in (*os.pipe(), *os.pipe()))
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                 f"--user-data-dir={self._profile.name}", "--no-first-run",
                 "--no-default-browser-check", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--mute-audio", "--hide-scrollbars", f"--window-size={self.size[0]},{self.size[1]}",
                 "about:blank"]
        self._log = tempfile.TemporaryFile()
        # bash (dash takes one-digit fds only) puts the pipe ends on fds 3 and 4 for Chromium.
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}',
             self.executable, *flags],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            pass_fds=(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send("Target.attachToTarget",
                                     {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page.enable", "Network.enable", "Runtime.enable"):
                self.send(domain, session=self.session)
            self.send("Emulation.setDeviceMetricsOverride", {"width": self.size[0], "height": self.size[1],
                      "deviceScaleFactor": 1, "mobile": False}, session=self.session)
        except BaseException:
            self.__exit__()  # never leave a browser running behind a failed start
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()
        self._profile.cleanup()

    def log_tail(self, size: int = 2000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-size:]

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise BrowserError(f"no answer from chromium in time; its log ends with:\n{self.log_tail()}")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the pipe; its log ends with:\n{self.log_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float | None = None) -> dict:
        """Send one command and return its result; events read meanwhile are kept."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for event in self._events:
                if event["method"] == method:
                    return event
            self._events.append(self._read_message(deadline))

    def open(self, url: str) -> tuple[dict, list[str]]:
        """Load a page; returns (the probe's JSON, URLs of every request the page made)."""
        self._events.clear()
        nav = self.send("Page.navigate", {"url": url}, session=self.session)
        if nav.get("errorText"):
            return {"error": nav["errorText"]}, []
        self.wait_event("Page.loadEventFired")
        probe = self.send("Runtime.evaluate", {"expression": PAGE_PROBE, "awaitPromise": True,
                          "returnByValue": True}, session=self.session)
        if "exceptionDetails" in probe:
            return {"error": f"probe failed: {probe['exceptionDetails']}"}, []
        requests = [e["params"]["request"]["url"] for e in self._events
                    if e["method"] == "Network.requestWillBeSent"]
        return probe["result"]["value"], requests

    def screenshot(self, url: str, path: Path, selector: str | None = None) -> Path:
        """PNG of the viewport at the top of the page, or scrolled to `selector`."""
        self.open(url)
        if selector:
            self.send("Runtime.evaluate", {"expression":
                      f"document.querySelector({json.dumps(selector)}).scrollIntoView()"},
                      session=self.session)
            time.sleep(0.3)
        shot = self.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


def _high_fd(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class _Ids(HTMLParser):
    """ids and <a name> of a page that the browser did not visit (a link's target)."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.ids.update(v for k, v in attrs.items() if k == "id" or (tag == "a" and k == "name"))


@dataclass
class SiteReport:
    pages: dict[str, dict] = field(default_factory=dict)  # relative path -> the probe's JSON
    problems: list[str] = field(default_factory=list)
    external_links: set[str] = field(default_factory=set)


def html_pages(root: Path) -> list[Path]:
    """Every page of the site (the theme's and Sphinx's own asset folders are not pages)."""
    skip = {"_static", "_images", "_downloads", "_sources"}
    return sorted(p for p in root.rglob("*.html") if not skip & set(p.relative_to(root).parts))


def image_decodes(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            return image.width > 0 and image.height > 0
    except Exception:
        return False


def check_site(root: Path, browser: Chromium, pages: list[Path] | None = None) -> SiteReport:
    """Open every page (or `pages`) and collect problems; the report holds each page's probe."""
    root = root.resolve()
    report = SiteReport()
    for page in pages or html_pages(root):
        rel = page.relative_to(root).as_posix()
        probe, requests = browser.open(page.resolve().as_uri())
        report.pages[rel] = probe
        if "error" in probe:
            report.problems.append(f"{rel}: did not load ({probe['error']})")
            continue
        if probe["ready"] != "complete" or not probe["title"] or probe["text_length"] == 0:
            report.problems.append(f"{rel}: loaded empty (ready={probe['ready']}, title={probe['title']!r})")
        for url in requests:
            if urlsplit(url).scheme not in LOCAL_SCHEMES:
                report.problems.append(f"{rel}: requests an external resource {url}")
        for image in probe["images"]:
            if image["width"] <= 0:
                report.problems.append(f"{rel}: image {image['attr']} did not load (naturalWidth 0)")
            url = urlsplit(image["src"])
            if url.scheme == "file" and not image_decodes(Path(unquote(url.path))):
                report.problems.append(f"{rel}: image file {image['attr']} is missing or does not decode")
    ids = {rel: set(probe.get("ids", ())) for rel, probe in report.pages.items()}
    for rel, probe in report.pages.items():
        for link in probe.get("links", ()):
            problem = _link_problem(root, link, ids, report)
            if problem:
                report.problems.append(f"{rel}: link {link['href']!r} {problem}")
    report.problems = list(dict.fromkeys(report.problems))  # a link repeated in a page once
    return report


def _link_problem(root: Path, link: dict, ids: dict[str, set[str]], report: SiteReport) -> str | None:
    url = urlsplit(link["url"])
    if url.scheme in ("http", "https"):
        report.external_links.add(link["url"])
        return None
    if url.scheme in SKIPPED_LINK_SCHEMES or url.scheme == "data":
        return None
    if url.scheme != "file":
        return f"has an unexpected scheme {url.scheme!r}"
    target = Path(unquote(url.path))
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(root):
        return "points outside the site"
    if not target.is_file():
        return "points at a missing file"
    if url.fragment and target.suffix == ".html":
        rel = target.relative_to(root).as_posix()
        if rel not in ids:
            parser = _Ids()
            parser.feed(target.read_text(errors="replace"))
            ids[rel] = parser.ids
        if unquote(url.fragment) not in ids[rel]:
            return f"points at a missing anchor #{url.fragment}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--screenshots", type=Path, help="folder for landing.png")
    args = parser.parse_args()
    with Chromium() as browser:
        report = check_site(args.site, browser)
        if args.screenshots:
            browser.screenshot((args.site / "index.html").resolve().as_uri(), args.screenshots / "landing.png")
    print(f"{len(report.pages)} pages, {len(report.external_links)} external links, "
          f"{len(report.problems)} problems")
    for problem in report.problems:
        print("  " + problem)
    raise SystemExit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
