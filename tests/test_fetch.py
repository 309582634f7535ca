"""fetch/check on local archives (file:// and a loopback HTTP server; no internet here)."""
from __future__ import annotations

import functools
import http.server
import io
import json
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from helpers.datasets import load_manifest
from helpers.errors import (
    ChecksumMismatchError,
    CorpusNotFoundError,
    DatasetError,
    ManualDownloadRequired,
    UnsafeArchiveError,
)
from helpers.fetch import LOCK_NAME, check, fetch, read_lock, safe_extract, sha256_file

WAVS = ["wav/03a01Wa.wav", "wav/08a02Lb.wav", "wav/16b10Tc.wav"]


@pytest.fixture
def wav_bytes(tmp_path, write_wav, sine_wave) -> bytes:
    path = write_wav(tmp_path / "one.wav", sine_wave(220, 0.3, 16000, amp=0.1))
    return path.read_bytes()


def build_archive(path: Path, members: dict[str, bytes]) -> Path:
    """A .zip or .tar.gz holding `members` (name -> bytes), names used verbatim."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members.items():
                zf.writestr(zipfile.ZipInfo(name), data)
    else:
        with tarfile.open(path, "w:gz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def mini_manifest(url: str, filename: str, sha256=None) -> dict:
    """The EmoDB manifest cut down to a three-file mirror."""
    m = dict(load_manifest("emodb"))
    m["n_files"] = len(WAVS)
    m["download"] = [{"url": url, "filename": filename, "sha256": sha256, "size": None}]
    return m


@pytest.fixture
def mirror(tmp_path, wav_bytes):
    """A source archive outside the data dir, and the data dir."""
    source = build_archive(tmp_path / "mirror" / "emodb-mini.zip", {n: wav_bytes for n in WAVS})
    return source, tmp_path / "data"


def test_fetch_zip_from_file_url_records_and_reuses_lock(mirror):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip")
    report = fetch("emodb", data_dir=data, progress=False, manifest=m)

    assert report.ok, str(report)
    assert (report.expected_files, report.found_files) == (3, 3)
    root = data / "emodb"
    assert sorted(p.relative_to(root).as_posix() for p in root.glob("wav/*.wav")) == WAVS
    lock = json.loads((root / LOCK_NAME).read_text())
    entry = lock["emodb-mini.zip"]
    assert entry["sha256"] == sha256_file(source)
    assert entry["members"] == WAVS and entry["bytes"] == source.stat().st_size

    archive = root / "downloads" / "emodb-mini.zip"
    before = archive.stat().st_mtime_ns
    again = fetch("emodb", data_dir=data, progress=False, manifest=m)
    assert again.ok and archive.stat().st_mtime_ns == before  # verified, not re-downloaded
    assert read_lock(root) == lock


def test_lock_refuses_a_changed_source(mirror, wav_bytes):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip")
    fetch("emodb", data_dir=data, progress=False, manifest=m)
    recorded = read_lock(data / "emodb")["emodb-mini.zip"]["sha256"]

    build_archive(source, {n: wav_bytes + b"\0\0" for n in WAVS})  # the source changes
    downloads = data / "emodb" / "downloads"
    (downloads / "emodb-mini.zip").unlink()
    (data / "emodb" / "wav" / "03a01Wa.wav").unlink()  # so the archive is needed again
    with pytest.raises(ChecksumMismatchError) as err:
        fetch("emodb", data_dir=data, progress=False, manifest=m)
    text = str(err.value)
    assert "emodb-mini.zip" in text and f"expected {recorded}" in text
    assert f"got {sha256_file(source)}" in text and "deleted" in text
    assert list(downloads.iterdir()) == []  # no partial or temp file left


def test_refetch_after_deleting_archive_needs_no_download(mirror):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip")
    fetch("emodb", data_dir=data, progress=False, manifest=m)
    (data / "emodb" / "downloads" / "emodb-mini.zip").unlink()
    source.unlink()  # the mirror is gone: a download would fail
    assert fetch("emodb", data_dir=data, progress=False, manifest=m).ok


def test_unreachable_source_is_a_clear_error(tmp_path):
    m = mini_manifest((tmp_path / "gone.zip").as_uri(), "gone.zip")
    with pytest.raises(DatasetError, match="gone.zip"):
        fetch("emodb", data_dir=tmp_path / "data", progress=False, manifest=m)


def test_manifest_checksum_mismatch_deletes_and_writes_nothing(mirror):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip", sha256="0" * 64)
    with pytest.raises(ChecksumMismatchError) as err:
        fetch("emodb", data_dir=data, progress=False, manifest=m)
    assert f"expected {'0' * 64}" in str(err.value)
    assert f"got {sha256_file(source)}" in str(err.value)
    root = data / "emodb"
    assert list((root / "downloads").iterdir()) == []
    assert not (root / "wav").exists() and not (root / LOCK_NAME).exists()


def test_known_sha256_is_accepted(mirror):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip", sha256=sha256_file(source))
    assert fetch("emodb", data_dir=data, progress=False, manifest=m).ok


def test_url_override(mirror):
    source, data = mirror
    m = mini_manifest("https://example.invalid/never-used.zip", "emodb-mini.zip")
    report = fetch("emodb", data_dir=data, progress=False, manifest=m,
                   urls={"emodb-mini.zip": source.as_uri()})
    assert report.ok
    assert read_lock(data / "emodb")["emodb-mini.zip"]["url"] == source.as_uri()


@pytest.fixture
def loopback_server(tmp_path):
    """An HTTP server on 127.0.0.1 only, serving tmp_path/served."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_tar_gz_over_loopback_http(loopback_server, tmp_path, wav_bytes):
    served, base_url = loopback_server
    archive = build_archive(served / "emodb-mini.tar.gz", {n: wav_bytes for n in WAVS})
    data = tmp_path / "data"
    m = mini_manifest(f"{base_url}/emodb-mini.tar.gz", "emodb-mini.tar.gz")
    report = fetch("emodb", data_dir=data, progress=False, manifest=m)
    assert report.ok, str(report)
    lock = read_lock(data / "emodb")["emodb-mini.tar.gz"]
    assert lock["sha256"] == sha256_file(archive) and lock["members"] == WAVS


def test_check_reports_missing_and_altered_files(mirror):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip")
    fetch("emodb", data_dir=data, progress=False, manifest=m)
    root = data / "emodb"
    (root / "wav" / "08a02Lb.wav").unlink()
    with (root / "downloads" / "emodb-mini.zip").open("ab") as fh:
        fh.write(b"tampered")
    report = check("emodb", data_dir=data, manifest=m)
    assert not report.ok and report.found_files == 2 and report.missing == 1
    text = str(report)
    assert "problem: 1 of 3 files missing" in text
    assert f"missing file {root / 'wav' / '08a02Lb.wav'}" in text
    assert "sha256" in text and "differs from the lock" in text
    assert "problem(s)" in str(report)


def test_check_without_archive_notes_it(mirror):
    source, data = mirror
    m = mini_manifest(source.as_uri(), "emodb-mini.zip")
    fetch("emodb", data_dir=data, progress=False, manifest=m)
    (data / "emodb" / "downloads" / "emodb-mini.zip").unlink()
    report = check("emodb", data_dir=data, manifest=m)
    assert report.ok and any("not kept" in n for n in report.notes)


def test_check_absent_corpus_raises_with_steps(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="1. Download and unpack it"):
        check("ravdess", data_dir=tmp_path)


def test_fetch_manual_corpus_gives_steps(tmp_path):
    with pytest.raises(ManualDownloadRequired) as err:
        fetch("savee", data_dir=tmp_path, progress=False)
    assert "1. Register" in str(err.value) and "python -m helpers data check savee" in str(err.value)
    with pytest.raises(ManualDownloadRequired, match="git lfs"):
        fetch("cremad", data_dir=tmp_path, progress=False)


def test_fetch_manual_corpus_already_present_is_checked(tmp_path, make_corpus):
    make_corpus(tmp_path / "savee", ["AudioData/DC/a01.wav", "AudioData/KL/sa02.wav"])
    report = fetch("savee", data_dir=tmp_path, progress=False)
    assert not report.ok and report.found_files == 2 and report.missing == 478 and report.is_subset
    assert "a subset of the corpus (2 of 480 files, 478 missing)" in str(report)


# ---------------------------------------------------------------- unsafe archives

@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
@pytest.mark.parametrize("evil", ["../evil.txt", "wav/../../evil.txt", "/tmp/serxai-evil-abs.txt"])
def test_traversal_and_absolute_members_are_refused(tmp_path, suffix, evil):
    archive = build_archive(tmp_path / f"bad{suffix}", {"wav/ok.txt": b"fine", evil: b"pwned"})
    dest = tmp_path / "out" / "corpus"
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, dest)
    assert evil in str(err.value) and str(archive) in str(err.value)
    assert list(dest.iterdir()) == []  # nothing written, not even the safe member
    assert not (tmp_path / "out" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not Path("/tmp/serxai-evil-abs.txt").exists()


def _tar_with_link(path: Path, name: str, target: str, kind) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        data = b"fine"
        info = tarfile.TarInfo("wav/ok.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(name)
        link.type = kind
        link.linkname = target
        tar.addfile(link)
    return path


@pytest.mark.parametrize("kind, target", [
    (tarfile.SYMTYPE, "../../outside.txt"), (tarfile.SYMTYPE, "/etc/passwd"),
    (tarfile.LNKTYPE, "../outside.txt"),
])
def test_links_leaving_the_folder_are_refused(tmp_path, kind, target):
    archive = _tar_with_link(tmp_path / "links.tar.gz", "wav/link", target, kind)
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match="points outside"):
        safe_extract(archive, dest)
    assert list(dest.iterdir()) == []


def test_link_inside_the_folder_is_fine(tmp_path):
    archive = _tar_with_link(tmp_path / "ok.tar.gz", "wav/alias.txt", "ok.txt", tarfile.SYMTYPE)
    assert safe_extract(archive, tmp_path / "out") == ["wav/ok.txt"]
    assert (tmp_path / "out" / "wav" / "alias.txt").read_bytes() == b"fine"


def test_fetch_refuses_unsafe_archive_before_writing(tmp_path, wav_bytes):
    source = build_archive(tmp_path / "mirror" / "evil.zip",
                           {"wav/03a01Wa.wav": wav_bytes, "../../escaped.wav": wav_bytes})
    data = tmp_path / "data"
    m = mini_manifest(source.as_uri(), "evil.zip")
    with pytest.raises(UnsafeArchiveError, match="escaped.wav"):
        fetch("emodb", data_dir=data, progress=False, manifest=m)
    assert not (data / "emodb" / "wav").exists()
    assert not (tmp_path / "escaped.wav").exists() and not (data / "escaped.wav").exists()
    assert "extracted_sha256" not in read_lock(data / "emodb").get("evil.zip", {})


def test_not_an_archive(tmp_path):
    junk = tmp_path / "x.zip"
    junk.write_bytes(b"not an archive")
    with pytest.raises(DatasetError, match="not a zip or tar"):
        safe_extract(junk, tmp_path / "out")


def test_http_404_is_a_clear_error(loopback_server, tmp_path):
    _, base_url = loopback_server
    m = mini_manifest(f"{base_url}/absent.zip", "absent.zip")
    with pytest.raises(DatasetError, match="could not download .*absent.zip"):
        fetch("emodb", data_dir=tmp_path / "data", progress=False, manifest=m)
    assert not (tmp_path / "data" / "emodb" / "downloads" / "absent.zip").exists()
