"""The photo stamps from every source, each file checked against the same sha256: a folder, Debian, upstream.

The upstream path is tested offline: an archive laid out like Tux Paint's release
(``tuxpaint-stamps-<release>/stamps/…``), built from Debian's files and served from 127.0.0.1, fetched by
``python -m data_scripts.stamps`` with ``apt-get`` and ``dpkg-deb`` absent from PATH.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from data_scripts import fetch, stamps
from tlhelpers.assets import STAMPS_INDEX, AssetError, read_csv_rows

ROOT = Path(__file__).resolve().parents[1]


def debian_root() -> Path:
    return fetch.downloads_dir() / stamps.STAMPS_PACKAGE / stamps.STAMPS_ROOT_IN_DEB


needs_debian_files = pytest.mark.skipif(not debian_root().is_dir(), reason="Debian's stamps not unpacked (make data)")


def copy_manifest_files(root: Path, target: Path) -> None:
    for row in stamps.stamps_manifest():
        (target / row["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / row["path"], target / row["path"])


@pytest.fixture
def served_archive(tmp_path):
    """The release archive, built from Debian's files, at an http://127.0.0.1 address."""
    tree, site = tmp_path / "tree", tmp_path / "site"
    copy_manifest_files(debian_root(), tree / f"tuxpaint-stamps-{stamps.STAMPS_RELEASE}" / "stamps")
    (tree / f"tuxpaint-stamps-{stamps.STAMPS_RELEASE}" / "README.txt").write_text("not a stamp\n")
    site.mkdir()
    name = f"tuxpaint-stamps-{stamps.STAMPS_RELEASE}.tar.gz"
    with tarfile.open(site / name, "w:gz") as archive:
        archive.add(
            tree / f"tuxpaint-stamps-{stamps.STAMPS_RELEASE}", arcname=f"tuxpaint-stamps-{stamps.STAMPS_RELEASE}"
        )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{name}"
    server.shutdown()


@needs_debian_files
def test_stamps_from_the_release_archive_without_apt(tmp_path, served_archive):
    empty_bin = tmp_path / "bin"  # PATH with no apt-get and no dpkg-deb (nor anything else)
    empty_bin.mkdir()
    assert shutil.which("apt-get", path=str(empty_bin)) is None
    env = dict(
        os.environ,
        PATH=str(empty_bin),
        TLHELPERS_DATA_DIR=str(tmp_path / "data"),
        TLHELPERS_STAMPS_URL=served_archive,
        PYTHONPATH=str(ROOT),
    )
    env.pop(stamps.FOLDER_VARIABLE, None)
    result = subprocess.run(
        [sys.executable, "-m", "data_scripts.stamps"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    total = len(stamps.stamps_manifest())
    assert "not used: apt-get is not on this machine" in lines[0]
    assert lines[1] == f"photo stamps: {total} of {total} files from Tux Paint's release archive {served_archive}"
    assert lines[2].startswith(f"photo stamps: wrote {total} images")
    made = read_csv_rows(tmp_path / "data" / "stamps" / STAMPS_INDEX)
    reference = read_csv_rows(Path(stamps.stamps_path()) / STAMPS_INDEX)  # `make data`'s, from Debian
    assert made == reference  # the same images, byte for byte, whichever source they came from


@needs_debian_files
def test_a_folder_of_another_release_is_used_where_it_matches(tmp_path):
    manifest = stamps.stamps_manifest()
    folder = tmp_path / "tuxpaint" / "stamps"
    copy_manifest_files(debian_root(), folder)
    changed, removed = manifest[0]["path"], manifest[1]["path"]
    (folder / changed).write_bytes(b"\x89PNG another release")
    (folder / removed).unlink()
    debian = stamps.Source("Debian package", debian_root)

    found, report = stamps.gather(manifest, [stamps.folder_source(folder), debian])

    assert found[changed] == debian_root() / changed and found[removed] == debian_root() / removed
    assert found[manifest[2]["path"]] == folder / manifest[2]["path"]
    differs = [line for line in report if "differs" in line]
    assert differs == [f"photo stamps: {changed} from folder {folder} differs from the manifest's (another release?)"]
    assert f"photo stamps: {len(manifest) - 2} of {len(manifest)} files from folder {folder}" in report
    assert f"photo stamps: 2 of {len(manifest)} files from Debian package" in report


def test_no_source_has_them_one_line_with_the_fix(tmp_path):
    manifest = stamps.stamps_manifest()
    gone = stamps.folder_source(tmp_path / "nowhere")
    empty = stamps.folder_source(tmp_path)
    with pytest.raises(AssetError) as caught:
        stamps.gather(manifest, [gone, empty])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{len(manifest)} of {len(manifest)} stamp files")
    assert "--stamps-from" in message and "python -m data_scripts" in message and "is not a folder" in message


def test_the_folder_from_the_environment_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv(stamps.FOLDER_VARIABLE, str(tmp_path))
    names = [source.name for source in stamps.sources(stamps.stamps_manifest())]
    assert names[0] == f"folder {tmp_path}" and names[1].startswith("Debian") and names[2].startswith("Tux Paint's")
    assert [source.name for source in stamps.sources([], "elsewhere")][0] == "folder elsewhere"  # the flag wins
