"""The conda environment.yml lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name → conda-forge name, where they differ
CONDA_ONLY = {"python", "pip"}


def split_requirement(text: str) -> tuple[str, str]:
    match = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", text.strip())
    assert match, text
    return match.group(1).lower(), match.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    pairs = (split_requirement(r) for r in requirements)
    return {CONDA_NAMES.get(name, name): spec for name, spec in pairs}


def environment_requirements() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"\s+-\s+([^#\s]+)\s*(#.*)?$", line)
        if match and not line.strip().startswith("- conda-forge"):
            name, spec = split_requirement(match.group(1))
            assert name in CONDA_ONLY or match.group(2), f"environment.yml: say which notebooks use {name}"
            pairs[name] = spec.replace("=", "==", 1) if re.match(r"=\d", spec) else spec
    return {name: spec for name, spec in pairs.items() if name not in CONDA_ONLY}


def test_environment_yml_matches_pyproject():
    assert environment_requirements() == pyproject_requirements()


def test_constraints_pin_torch_and_torchvision():
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["torch"] == "2.14.1"
    assert pins["torchvision"] == "0.29.1"
