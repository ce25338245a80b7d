"""Do the course's dependencies install on the learners' machines? Resolve them for every Python × OS.

    python -m tools.platforms              # the table; exit 1 if a cell does not resolve
    python -m tools.platforms --pins       # the same, with constraints.txt (the exact versions CI tests)

Every runtime dependency of the course and of its ``instructor`` extra (read from pyproject.toml) is resolved
to released wheels only, for Python 3.11, 3.12 and 3.13 on Linux x86_64, macOS arm64 and Windows x86_64,
from the package index, without installing anything.

Two resolvers, because pip cannot do all of it:

- uv (``uv pip compile --python-platform``) resolves every cell. It evaluates environment markers for the
  target and reads only index pages and wheel metadata (the size of its cache is printed: tens of MB in all).
  macOS is taken as macOS 14 (``MACOSX_DEPLOYMENT_TARGET``); for older releases PyPI has older torch wheels.
- pip's own resolver (``pip install --dry-run --only-binary=:all: --python-version --platform``, with
  ``--pip``) evaluates environment markers on the machine it runs on, not on the target: asked for macOS, it
  still wants torch's ``platform_system == "Linux"`` CUDA wheels and fails. So it checks only the cells of
  the platform it runs on, and where the index serves no separate metadata files it downloads every wheel
  it considers (torch and its CUDA libraries: gigabytes per cell; the sizes pip announced are summed and
  printed). That is why CI runs uv alone.

A cell passes when every resolver that ran on it found a set of wheels.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.11.7", "3.12.1", "3.13.0")  # patch releases: a pin may need one (soupsieve 4.1.3: >= 3.11.5)


@dataclass(frozen=True)
class Target:
    name: str
    uv_platform: str  # uv's --python-platform
    pip_platforms: tuple[str, ...]  # pip's --platform tags (pip matches tags exactly: list every one)


TARGETS = (
    Target(
        "Linux x86_64",
        "x86_64-manylinux_2_28",
        tuple(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1))
        + ("manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"),
    ),
    Target("macOS arm64", "aarch64-apple-darwin", tuple(f"macosx_{major}_0_arm64" for major in range(14, 10, -1))),
    Target("Windows x86_64", "x86_64-pc-windows-msvc", ("win_amd64",)),
)


def requirements(extras: tuple[str, ...] = ("instructor",)) -> list[str]:
    """The course's runtime dependencies and those of ``extras``, as pyproject.toml declares them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = list(project["dependencies"])
    for extra in extras:
        found += project["optional-dependencies"][extra]
    return found


def host_target() -> Target | None:
    """The target this machine is, where pip's markers are right (None elsewhere)."""
    machine, system = platform.machine().lower(), sys.platform
    if system.startswith("linux") and machine in ("x86_64", "amd64"):
        return TARGETS[0]
    if system == "darwin" and machine == "arm64":
        return TARGETS[1]
    if system == "win32" and machine in ("amd64", "x86_64"):
        return TARGETS[2]
    return None


MACOS_RELEASE = "14.0"


def clean_environment() -> dict[str, str]:
    """The index as pip and uv see it by default: no machine-wide pip settings (caps, local wheel folders)."""
    return dict(os.environ, PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", MACOSX_DEPLOYMENT_TARGET=MACOS_RELEASE)


def resolve_with_uv(requirement_file: Path, python: str, target: Target, cache: Path) -> tuple[bool, str]:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    command = [
        uv,
        "pip",
        "compile",
        "--quiet",
        "--no-header",
        "--python-version",
        python,
        "--python-platform",
        target.uv_platform,
        "--only-binary",
        ":all:",
        "--cache-dir",
        str(cache),
        str(requirement_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=clean_environment())
    if result.returncode != 0:
        return False, last_line(result.stderr)
    pins = dict(line.split("==", 1) for line in result.stdout.splitlines() if "==" in line and not line.startswith(" "))
    return True, f"{len(pins)} wheels, torch {pins.get('torch', '?')}"


def pip_dry_run(*arguments: str) -> tuple[bool, list[dict], str]:
    """``pip install --dry-run --report`` with ``arguments``, as a machine without local pip settings runs it:
    (resolved, what it would install, pip's verbose output or its last error line)."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--verbose",
            "--report",
            str(report),
            *arguments,
        ]
        result = subprocess.run(command, capture_output=True, text=True, env=clean_environment())
        if result.returncode != 0:
            return False, [], last_line(result.stderr)
        return True, json.loads(report.read_text(encoding="utf-8"))["install"], result.stdout


def resolve_with_pip(requirement_file: Path, python: str, target: Target, cache: Path) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as scratch:
        ok, installs, output = pip_dry_run(
            "--target",
            str(Path(scratch) / "target"),
            "--only-binary=:all:",
            "--python-version",
            python,
            *(f"--platform={tag}" for tag in target.pip_platforms),
            "--cache-dir",
            str(cache),
            "-r",
            str(requirement_file),
        )
    if not ok:
        return False, output
    versions = {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in installs}
    fetched = sum(announced_bytes(line) for line in output.splitlines())
    return (
        True,
        f"{len(versions)} wheels, torch {versions.get('torch', '?')}, {fetched / 1e9:.2f} GB of wheels downloaded",
    )


def announced_bytes(line: str) -> float:
    """The size in pip's "Downloading name.whl (539.2 MB)" lines, in bytes (0 for other lines)."""
    match = re.search(r"Downloading \S+ \(([\d.]+) (kB|MB|GB)\)", line)
    return float(match.group(1)) * {"kB": 1e3, "MB": 1e6, "GB": 1e9}[match.group(2)] if match else 0.0


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def check(
    pins: bool = False, pythons: tuple[str, ...] = PYTHONS, targets: tuple[Target, ...] = TARGETS, use_pip: bool = False
) -> tuple[list[dict[str, str | bool]], int]:
    """One row per Python × target (whether it resolved, by which resolver, what it found), and uv's bytes read."""
    rows = []
    host = host_target()
    with tempfile.TemporaryDirectory(prefix="tl-platforms-") as scratch:
        requirement_file = Path(scratch) / "requirements.txt"
        lines = requirements() + ([f"-c {ROOT / 'constraints.txt'}"] if pins else [])
        requirement_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for python in pythons:
            for target in targets:
                resolvers = [("uv", resolve_with_uv)]
                if use_pip and target == host:
                    resolvers.append(("pip", resolve_with_pip))
                cache = Path(scratch) / "cache"
                results = [
                    (name, *resolve(requirement_file, python, target, cache / name)) for name, resolve in resolvers
                ]
                rows.append(
                    {
                        "python": python,
                        "platform": target.name,
                        "ok": all(ok for _, ok, _ in results),
                        "detail": "; ".join(f"{name}: {detail}" for name, _, detail in results),
                    }
                )
        return rows, folder_bytes(Path(scratch) / "cache" / "uv")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pins", action="store_true", help="resolve with constraints.txt (the versions CI tests)")
    parser.add_argument(
        "--pip",
        action="store_true",
        help="also pip's resolver on this machine's own platform (may download gigabytes of wheels)",
    )
    args = parser.parse_args()
    rows, uv_bytes = check(pins=args.pins, use_pip=args.pip)
    print(f"{'Python':7} {'platform':15} {'resolves':9} what")
    for row in rows:
        print(f"{row['python']:7} {row['platform']:15} {'yes' if row['ok'] else 'NO':9} {row['detail']}")
    print(f"uv read {uv_bytes / 1e6:.0f} MB from the index (index pages and wheel metadata; no wheel was installed)")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
