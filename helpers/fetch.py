"""Download, verify and unpack public corpora; check any copy on disk.

Downloads go through pooch (progress bar, temp file + rename). Where the manifest has no
sha256 yet, the first download's hash is recorded in `<data_dir>/<name>/.serxai-lock.json`
(trust on first use) and every later fetch or check is verified against it, so a changed
or corrupted archive is noticed. Archives are unpacked only after every member has been
checked to stay inside the corpus folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from . import paths
from .datasets import (
    DOWNLOADS_DIRNAME,
    _listed,
    find_corpus_root,
    layout_files,
    missing_corpus_error,
    scan_corpus,
)
from .errors import ChecksumMismatchError, DatasetError, SerxaiError, UnsafeArchiveError
from .fileio import atomic_write_text
from .manifest import check_corpus_name, list_corpora, load_manifest, synthetic_variants, validate_manifest

LOCK_NAME = ".serxai-lock.json"
_MAX_LISTED_MISSING = 20
_MAX_LISTED_SPEAKERS = 20
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


# --------------------------------------------------------------------------------------
# Hashes and the lock file
# --------------------------------------------------------------------------------------

def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def lock_path(root) -> Path:
    return Path(root) / LOCK_NAME


def read_lock(root) -> dict:
    """{archive file name: {sha256, url, bytes, members?}}; empty when there is no lock."""
    p = lock_path(root)
    if not p.is_file():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{p}: lock file is not valid JSON ({exc}); delete it to re-record") from None


def write_lock(root, lock: dict) -> Path:
    return atomic_write_text(lock_path(root), json.dumps(lock, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------
# Safe extraction
# --------------------------------------------------------------------------------------

def is_archive(path) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _unsafe_name(name: str) -> str | None:
    """Why an archive member name could escape the destination, or None if it is safe."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "'..' in path"
    return None


def _inside(dest: Path, target: Path) -> bool:
    dest = dest.resolve()
    target = target.resolve()
    return target == dest or dest in target.parents


def _tar_problems(tar: tarfile.TarFile, dest: Path) -> list[str]:
    problems = []
    for m in tar.getmembers():
        why = _unsafe_name(m.name)
        if why is None and not _inside(dest, dest / m.name):
            why = "resolves outside the destination"
        if why is None and m.issym():
            link = m.linkname.replace("\\", "/")
            if link.startswith("/") or not _inside(dest, dest / PurePosixPath(m.name).parent / link):
                why = f"symlink to {m.linkname!r} points outside the destination"
        if why is None and m.islnk():
            if _unsafe_name(m.linkname) or not _inside(dest, dest / m.linkname):
                why = f"hard link to {m.linkname!r} points outside the destination"
        if why is None and not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            why = "device, FIFO or other special file"
        if why:
            problems.append(f"{m.name!r}: {why}")
    return problems


def _zip_problems(zf: zipfile.ZipFile, dest: Path) -> list[str]:
    problems = []
    for info in zf.infolist():
        why = _unsafe_name(info.filename)
        if why is None and not _inside(dest, dest / info.filename):
            why = "resolves outside the destination"
        if why is None and (info.external_attr >> 16) & 0o170000 == 0o120000:
            why = "symbolic link (not supported in zip archives)"
        if why:
            problems.append(f"{info.filename!r}: {why}")
    return problems


def _merge_into(staging: Path, dest: Path) -> None:
    """Move everything under `staging` into `dest` (folders merged, files replaced)."""
    for item in sorted(staging.iterdir()):
        target = dest / item.name
        if item.is_dir() and not item.is_symlink():
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                target.unlink()
            if target.is_dir():
                _merge_into(item, target)
                continue
        elif target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(item, target)


def _extract_into(archive: Path, staging: Path) -> list[str]:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            problems = _zip_problems(zf, staging)
            if problems:
                raise UnsafeArchiveError(f"{archive}: refusing to unpack; " + "; ".join(problems))
            zf.extractall(staging)
            return sorted(PurePosixPath(i.filename).as_posix() for i in zf.infolist() if not i.is_dir())
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive, "r:*") as tar:
            problems = _tar_problems(tar, staging)
            if problems:
                raise UnsafeArchiveError(f"{archive}: refusing to unpack; " + "; ".join(problems))
            try:
                tar.extractall(staging, filter="data")
            except tarfile.FilterError as exc:  # e.g. a chain of symlinks that leaves the folder
                raise UnsafeArchiveError(f"{archive}: refusing to unpack; {exc}") from None
            return sorted(PurePosixPath(m.name).as_posix() for m in tar.getmembers() if m.isfile())
    raise DatasetError(f"{archive}: not a zip or tar archive")


def safe_extract(archive, dest) -> list[str]:
    """Unpack a zip or tar archive into `dest`; return the regular files written (relative,
    POSIX). Every member is checked first: absolute paths, `..`, links leaving `dest` and
    special files raise UnsafeArchiveError before anything is written; what our check
    misses and Python's `data` filter catches (e.g. symlink chains) raises it too. The
    archive is unpacked into a hidden staging folder inside `dest` and moved into place only
    when complete, so a refused or interrupted extraction leaves nothing behind."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=dest))
    try:
        members = _extract_into(archive, staging)
        _merge_into(staging, dest)
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{archive}: could not unpack into {dest} ({exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return members


# --------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------

def _copy_local(url: str, output_file, pooch=None) -> None:
    """pooch downloader for file:// URLs (local mirrors, tests)."""
    source = Path(url2pathname(unquote(urlparse(url).path)))
    if not source.is_file():
        raise DatasetError(f"{url}: local file {source} does not exist")
    shutil.copyfile(source, output_file)


class _HashingDownloader:
    """Wraps a pooch downloader and remembers the sha256 of what it wrote, so a mismatch
    message can say what was received."""

    def __init__(self, inner):
        self.inner = inner
        self.got: str | None = None

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        self.inner(url, output_file, pooch_obj)
        self.got = sha256_file(output_file)


def _downloader(url: str, progress: bool):
    if url.startswith("file://"):
        return _HashingDownloader(_copy_local)
    import pooch

    return _HashingDownloader(pooch.HTTPDownloader(progressbar=progress))


def download(entry: dict, folder, expected: str | None = None, progress: bool = True) -> Path:
    """Fetch one manifest download entry into `folder`, verified against `expected`.

    A mismatch deletes the download and raises ChecksumMismatchError (pooch downloads to a
    temp file and only renames it after the hash matches)."""
    import pooch
    import requests

    folder = Path(folder)
    target = folder / entry["filename"]
    downloader = _downloader(entry["url"], progress)
    if progress and not (target.exists() and expected):
        size = f" ({entry['size']})" if entry.get("size") else ""
        print(f"downloading {entry['filename']}{size} from {entry['url']}")
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch's "copy this hash" advice does not apply: we lock it
    try:
        pooch.retrieve(entry["url"], known_hash=f"sha256:{expected}" if expected else None,
                       fname=entry["filename"], path=folder, downloader=downloader,
                       progressbar=progress)
    except (requests.RequestException, OSError) as exc:
        raise DatasetError(
            f"could not download {entry['url']} ({exc}). Check the connection, or download it "
            f"yourself and put it at {target}; it is verified on the next fetch."
        ) from None
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise
        target.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{entry['filename']} from {entry['url']}: sha256 mismatch; expected {expected}, "
            f"got {downloader.got}. The download was deleted. If the source changed on "
            f"purpose, delete the entry from {folder.parent / LOCK_NAME} (or update the "
            "manifest) and fetch again."
        ) from None
    finally:
        logger.setLevel(level)
    got = sha256_file(target)
    if expected and got != expected:  # e.g. a local copy replaced behind pooch's back
        target.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{target}: sha256 mismatch; expected {expected}, got {got}. The file was deleted."
        )
    return target


def _resolve_manifest(name: str, manifest) -> dict:
    if manifest is None:
        return load_manifest(name)
    return validate_manifest(manifest, source=f"<manifest for {name}>")


def fetch(name: str, data_dir=None, progress: bool = True, manifest: dict | None = None,
          urls: dict | None = None) -> "CheckReport":
    """Download, verify and unpack corpus `name` into <data_dir>/<name>; return check().

    manifest: use this dict instead of data_manifest/<name>.yaml (local mirrors, tests).
    urls: {file name: url} overrides for single download entries.
    Manual corpora raise ManualDownloadRequired with the steps to follow.
    """
    if manifest is None:
        check_corpus_name(name)
    if manifest is None and name in synthetic_variants():
        from .datasets import load

        load(name, data_dir=data_dir)
        return CheckReport(name=name, root=str(paths.data_dir(data_dir) / name),
                           notes=["generated locally by helpers.synthetic"])
    m = _resolve_manifest(name, manifest)
    if m["access"] != "public" or not m["download"]:
        if find_corpus_root(m, data_dir) is not None:
            return check(m["name"], data_dir=data_dir, manifest=m)
        raise missing_corpus_error(m, data_dir)
    root = paths.data_dir(data_dir) / m["name"]
    downloads = root / DOWNLOADS_DIRNAME
    lock = read_lock(root)
    for entry in m["download"]:
        entry = dict(entry, url=(urls or {}).get(entry["filename"], entry["url"]))
        recorded = lock.get(entry["filename"], {}).get("sha256")
        if entry["sha256"] and recorded and recorded != entry["sha256"]:
            raise ChecksumMismatchError(
                f"{lock_path(root)}: records sha256 {recorded} for {entry['filename']} but the "
                f"manifest says {entry['sha256']}; delete the lock entry and fetch again."
            )
        expected = entry["sha256"] or recorded
        record = lock.get(entry["filename"], {})
        unpacked = record.get("extracted_sha256") == expected and expected is not None
        if unpacked and not (downloads / entry["filename"]).exists() and all(
                (root / f).is_file() for f in record.get("members", [])):
            continue  # archive deleted after a verified unpack: nothing to do
        path = download(entry, downloads, expected=expected, progress=progress)
        got = expected or sha256_file(path)
        if expected is None and progress:
            print(f"recorded sha256 {got} for {entry['filename']} in {lock_path(root)} "
                  "(trust on first use; later fetches and checks verify it)")
        record.update(sha256=got, url=entry["url"], bytes=path.stat().st_size)
        if is_archive(path) and record.get("extracted_sha256") != got:
            record["members"] = safe_extract(path, root)
            record["extracted_sha256"] = got
        lock[entry["filename"]] = record
        write_lock(root, lock)
    return check(m["name"], data_dir=data_dir, manifest=m)


# --------------------------------------------------------------------------------------
# Check
# --------------------------------------------------------------------------------------

@dataclass
class CheckReport:
    """What `check` found: `ok` is True when nothing is missing, extra or altered.

    `missing` counts the manifest's files that are not there; when that is all (`is_subset`
    and no `problems`), the folder holds a subset of the corpus, which `load` and the notebooks
    accept (with an IncompleteCorpusWarning), and `subset` says what is there."""

    name: str
    root: str
    expected_files: int | None = None
    found_files: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: int = 0
    subset: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing

    @property
    def is_subset(self) -> bool:
        """Some, not all, of the manifest's files are there."""
        return bool(self.found_files) and self.missing > 0

    def __str__(self) -> str:
        counts = f"{self.found_files} of {self.expected_files} files"
        only_subset = self.is_subset and not self.problems
        if self.ok:
            state = "OK" + (f" ({counts})" if self.expected_files is not None else "")
        elif only_subset:
            state = f"a subset of the corpus ({counts}, {self.missing} missing); nothing else wrong"
        else:
            state = f"{len(self.problems) + bool(self.missing)} problem(s)" + (
                f" ({counts})" if self.expected_files is not None else "")
        lines = [f"{self.name} at {self.root}: {state}"]
        if self.missing and not only_subset:
            lines.append(f"  problem: {self.missing} of {self.expected_files} files missing")
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  {s}" for s in self.subset]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _check_archives(root: Path, report: CheckReport) -> None:
    for filename, record in sorted(read_lock(root).items()):
        archive = root / DOWNLOADS_DIRNAME / filename
        if archive.is_file():
            got = sha256_file(archive)
            if got != record.get("sha256"):
                report.problems.append(f"archive {archive}: sha256 {got} differs from the lock's "
                                       f"{record.get('sha256')}")
        else:
            report.notes.append(f"archive {filename} is not kept in {archive.parent} "
                                "(only the unpacked files are checked)")
        missing = [m for m in record.get("members", []) if not (root / m).is_file()]
        for m in missing[:_MAX_LISTED_MISSING]:
            report.problems.append(f"missing file {root / m} (unpacked from {filename})")
        if len(missing) > _MAX_LISTED_MISSING:
            report.problems.append(f"... and {len(missing) - _MAX_LISTED_MISSING} more files "
                                   f"from {filename} missing")


def _subset_description(m: dict, table, root: Path, found: int) -> tuple[list[str], str]:
    """What a subset holds (speakers present and absent, emotions, file names), and a note on
    what the notebooks do with it."""
    speakers = [f"{s} ({g['gender'].iloc[0]}, {len(g)} file{'s' * (len(g) != 1)})"
                for s, g in table.groupby("speaker", sort=True)]
    absent = sorted(set(m["speakers"]) - set(table["speaker"]))
    of_all = f" of {len(m['speakers'])}" if m["speakers"] else ""
    emotions = table["emotion"].value_counts().sort_index()
    base = Path(root).resolve()
    files = sorted(Path(p).relative_to(base).as_posix() if Path(p).is_relative_to(base) else Path(p).name
                   for p in table["path"])
    return [
        f"speakers: {len(speakers)}{of_all} here: {_listed(speakers, _MAX_LISTED_SPEAKERS)}"
        + (f"; absent: {_listed(absent, _MAX_LISTED_SPEAKERS)}" if absent else ""),
        "emotions: " + ", ".join(f"{e} {n}" for e, n in emotions.items()),
        f"files: {_listed(files)}",
    ], (f"the notebooks run on a subset: helpers.datasets.load uses the {len(table)} files found and "
        f"warns once (IncompleteCorpusWarning: found {found} of {m['n_files']} {m['name']} files); "
        "results then describe these speakers only")


def check(name: str, data_dir=None, manifest: dict | None = None) -> CheckReport:
    """Verify a copy on disk: layout, labels and counts against the manifest, archive
    hashes and unpacked files against the lock. An absent corpus raises the same
    numbered-steps error as `load`."""
    if manifest is None:
        check_corpus_name(name)
        if name in synthetic_variants():
            return CheckReport(name=name, root=str(paths.data_dir(data_dir) / name),
                               notes=["generated by helpers.synthetic; regenerated when stale"])
    m = _resolve_manifest(name, manifest)
    root = find_corpus_root(m, data_dir)
    lock_root = paths.data_dir(data_dir) / m["name"]
    if root is None:
        if not read_lock(lock_root):
            raise missing_corpus_error(m, data_dir)
        report = CheckReport(name=m["name"], root=str(lock_root), expected_files=m["n_files"],
                             found_files=0, problems=["no audio files match the layout"])
        _check_archives(lock_root, report)
        return report
    report = CheckReport(name=m["name"], root=str(root), expected_files=m["n_files"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = scan_corpus(m, root, strict=False)
    except SerxaiError as exc:
        report.problems.append(str(exc))
        table = None
    if table is not None:
        r = table.attrs["report"]
        report.found_files, report.missing = r["found"], r["missing"]
        if report.is_subset:
            report.subset, note = _subset_description(m, table, root, r["found"])
            report.notes.append(note)
        if r["extra"]:
            report.problems.append(f"{r['extra']} more files than the manifest's {r['expected']}")
        for key, what in (("unparsed", "names outside the naming scheme"),
                          ("unlabelled", "files without a label entry"),
                          ("duplicates", "duplicate files")):
            if r[key]:
                report.problems.append(f"{len(r[key])} {what}: {', '.join(r[key][:5])}")
        if r["excluded"]:
            report.notes.append(f"labels without a common emotion (dropped): {r['excluded']}")
    _check_archives(lock_root, report)
    return report


# --------------------------------------------------------------------------------------
# What is on disk: `data list`
# --------------------------------------------------------------------------------------

@dataclass
class CorpusStatus:
    """One row of `data list`: a corpus, its licence and access, and what the data dir holds."""

    name: str
    access: str
    licence: str
    root: Path | None = None  # where the corpus was found; None when absent
    found: int = 0  # audio files matching the layout (synthetic: files on disk)
    expected: int | None = None  # the manifest's n_files (synthetic: rows of metadata.csv)

    @property
    def present(self) -> str:
        if self.root is None:
            return "no" if self.access != "generated" else "not yet"  # generated on first use
        if self.expected is not None and 0 < self.found < self.expected:
            return "subset"
        return "yes"


def corpus_status(name: str, data_dir=None) -> CorpusStatus:
    """Whether corpus `name` is under the data dir and how many of its audio files are there;
    never raises for an absent or damaged copy (that is `check`'s job)."""
    base = paths.data_dir(data_dir)
    m = load_manifest(name)
    status = CorpusStatus(name=m["name"], access=m["access"], licence=m["licence"], expected=m["n_files"])
    if m["access"] == "generated":
        root = base / name
        if (root / "metadata.csv").is_file():
            import pandas as pd

            status.root = root
            status.expected = len(pd.read_csv(root / "metadata.csv", usecols=["relpath"]))
            status.found = len(layout_files(root, m["layout"]))
        return status
    status.root = find_corpus_root(m, base)
    if status.root is not None:
        status.found = len(layout_files(status.root, m["layout"]))
    return status


def describe_corpora(data_dir=None) -> str:
    """Text for `python -m helpers data list`: one row per corpus (manifests first, then the
    generated variants) with access, presence, files found of the expected count, the folder
    it was found in (relative to the data dir) and the licence."""
    base = paths.data_dir(data_dir)
    rows = [("corpus", "access", "present", "files", "folder", "licence")]
    for name in list_corpora() + list(synthetic_variants()):
        s = corpus_status(name, base)
        known = s.expected is not None and (s.root is not None or s.access != "generated")
        files = f"{s.found}/{s.expected}" if known else "-"
        folder = "-" if s.root is None else s.root.relative_to(base).as_posix() + "/"
        rows.append((s.name, s.access, s.present, files, folder, s.licence))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1] for r in rows]
    return "\n".join([f"data directory: {base}", *lines])


# --------------------------------------------------------------------------------------
# Command line: `python -m helpers data ...`
# --------------------------------------------------------------------------------------

DATA_HELP = "list corpora (licence, access, what the data dir holds), fetch one, check a copy"


def add_cli(subparsers):
    """`data` with one sub-command per action, so that `data check --help` describes check's
    own arguments. The namespace is what `helpers.__main__._data` reads: `action`, `name`,
    `data_dir`, `allow_subset`."""
    data = subparsers.add_parser("data", help=DATA_HELP, description=f"Corpora: {DATA_HELP}. See README.md, "
                                 "'Running on real corpora'.")
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    folder = dict(type=Path, metavar="DIR", help=f"the folder holding <corpus>/, or a corpus folder itself "
                                                 f"(default: ${paths.DATA_ENV_VAR}, else the per-user cache folder)")
    corpus = dict(nargs="?", metavar="CORPUS", help=f"one of: {', '.join(list_corpora() + list(synthetic_variants()))}")

    def action(name, help, description):
        parser = actions.add_parser(name, help=help, description=description)
        parser.set_defaults(name=None, allow_subset=False)
        parser.add_argument("--data-dir", **folder)
        return parser

    action("list", "every corpus: access, whether it is under the data dir, files found, licence",
           "Print one row per corpus (data_manifest/*.yaml, then the generated synthetic variants): access "
           "(public: `data fetch` downloads it; manual: licensed, `data fetch` prints the steps; generated: "
           "written on first use), whether it is under the data dir (yes, subset, no), audio files found "
           "of the manifest's count, the folder it was found in, and its licence.")
    fetch_cli = action("fetch", "download, verify and unpack a public corpus, then check it",
                       "Download a public corpus into <data dir>/<corpus>, verify its archive (sha256, recorded "
                       "on first download) and unpack it safely, then print what `data check` prints. A licensed "
                       "corpus prints the numbered steps to obtain it. Exit 1 unless the copy is complete.")
    fetch_cli.add_argument("name", **corpus)
    check_cli = action("check", "verify a copy: names, labels, file count, archive hashes; describe a subset",
                       "Verify a corpus on disk against its manifest: file names and labels, the file count, "
                       "archive hashes and unpacked files against the lock. A folder with fewer files than the "
                       "manifest is reported as a subset: which speakers, emotions and files are there; the "
                       "notebooks run on it (with an IncompleteCorpusWarning). Exit 0 when the copy is the "
                       "complete corpus, 1 otherwise (a subset included, unless --allow-subset).")
    check_cli.add_argument("name", **corpus)
    check_cli.add_argument("--allow-subset", action="store_true",
                           help="exit 0 for a subset in which nothing else is wrong (fewer files, none misnamed, "
                                "extra or altered)")
    return data


def exit_status(report: CheckReport, allow_subset: bool = False) -> tuple[int, str | None]:
    """(exit status of `data check` / `data fetch`, a line explaining it for a subset or None)."""
    if report.ok:
        return 0, None
    if not report.is_subset:
        return 1, None
    if allow_subset and not report.problems:
        return 0, "exit status 0: a subset, accepted with --allow-subset"
    if report.problems:
        return 1, "exit status 1: problems beyond the missing files (above)"
    return 1, ("exit status 1: not the complete corpus (a subset); pass --allow-subset to accept one "
               "in which nothing else is wrong")
