"""Set up the course's virtual environment with any Python 3.11-3.13, on Linux, macOS or Windows (no make needed).

    python -m tools.venv             # .venv with the exact versions CI tests (constraints.txt),
                                     # then the Jupyter settings
    python -m tools.venv --ranges    # the package's own ranges instead: keeps a torch the environment already has

It creates ``.venv`` if missing, installs the course (``pip install -e ".[dev,instructor]"``), registers the
venv's kernel as ``python3`` and writes the Jupyter settings (:mod:`tools.jupyter_settings`), then prints the
commands that come next, spelled for this OS. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"
SUPPORTED = ((3, 11), (3, 13))


def venv_python(folder: Path = VENV) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> None:
    low, high = SUPPORTED
    if not low <= version <= high:
        raise SystemExit(
            f"Python {version[0]}.{version[1]} is not supported — run this with Python "
            f"{low[0]}.{low[1]} to {high[0]}.{high[1]} (e.g. `py -3.12 -m tools.venv` on Windows)"
        )


def run(*command: str | Path) -> None:
    print("$", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run([str(part) for part in command], cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(str(part) for part in command)}` failed (exit {result.returncode}) — see above")


def set_up(ranges: bool = False, extras: str = "dev,instructor") -> Path:
    check_python()
    python = venv_python()
    if not python.exists():
        venv.create(VENV, with_pip=True)
    pins = [] if ranges else ["-c", ROOT / "constraints.txt"]
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins, "-e", f".[{extras}]")
    run(
        python,
        "-m",
        "ipykernel",
        "install",
        "--sys-prefix",
        "--name",
        "python3",
        "--display-name",
        "Python 3 (tlhelpers)",
    )
    run(python, "-m", "tools.jupyter_settings")
    STAMP.touch()
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranges", action="store_true", help="pyproject's ranges instead of constraints.txt's pins")
    args = parser.parse_args()
    python = set_up(args.ranges).relative_to(ROOT)
    print(
        f"\nready. Next:\n  {python} -m data_scripts          # weights and data, checked by sha256\n"
        f"  {python} -m tools.lab             # JupyterLab on the contents page\n"
        f"  {python} -m tools.run_notebooks   # or run every notebook headless\n"
        f"  {python} -m pytest                # or check everything"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
