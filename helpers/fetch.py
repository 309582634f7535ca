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
    find_corpus_root,
    missing_corpus_error,
    scan_corpus,
)
from .errors import ChecksumMismatchError, DatasetError, SerxaiError, UnsafeArchiveError
from .fileio import atomic_write_text
from .manifest import check_corpus_name, load_manifest, synthetic_variants, validate_manifest

LOCK_NAME = ".serxai-lock.json"
_MAX_LISTED_MISSING = 20
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
    """What `check` found: `ok` is True when nothing is missing, extra or altered."""

    name: str
    root: str
    expected_files: int | None = None
    found_files: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.name} at {self.root}: " + ("OK" if self.ok else f"{len(self.problems)} problem(s)")
        if self.expected_files is not None:
            head += f" ({self.found_files} of {self.expected_files} files)"
        lines = [head] + [f"  problem: {p}" for p in self.problems] + [f"  note: {n}" for n in self.notes]
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
        report.found_files = r["found"]
        if r["missing"]:
            report.problems.append(f"{r['missing']} of {r['expected']} files missing")
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
