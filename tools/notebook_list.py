"""The course's notebooks in order: index, then NN_slug, then their solutions."""

from __future__ import annotations

from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def lessons() -> list[Path]:
    """notebooks/NN_slug.ipynb, in order."""
    return sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def solutions() -> list[Path]:
    return sorted((NOTEBOOK_DIR / "solutions").glob("[0-9][0-9]_*.ipynb"))


def all_notebooks() -> list[Path]:
    """Every notebook in the order a learner (and `make run`) goes through them."""
    return [NOTEBOOK_DIR / "index.ipynb", *lessons(), *solutions()]

