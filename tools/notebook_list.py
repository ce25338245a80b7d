"""The course's notebooks in order (index, then NN_slug, then their solutions) and the lesson ↔ solution naming rule."""

from __future__ import annotations

from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
SOLUTIONS_DIR = NOTEBOOK_DIR / "solutions"
SOLUTION_SUFFIX = "_solutions"  # notebooks/NN_slug.ipynb ↔ notebooks/solutions/NN_slug_solutions.ipynb


def lessons(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """notebooks/NN_slug.ipynb, in order."""
    return sorted(folder.glob("[0-9][0-9]*_*.ipynb"))


def solutions(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """notebooks/solutions/NN_slug_solutions.ipynb (the instructor versions), in order."""
    return sorted((folder / "solutions").glob("[0-9][0-9]*_*.ipynb"))


def all_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Every notebook in the order a learner (and `make run`) goes through them."""
    return [folder / "index.ipynb", *lessons(folder), *solutions(folder)]


def lesson_name(solution: Path) -> str:
    """notebooks/solutions/02_x_solutions.ipynb → "02_x" (the student notebook's stem, and nbgrader's assignment)."""
    return solution.stem.removesuffix(SOLUTION_SUFFIX)


def lesson_of(solution: Path) -> Path:
    """notebooks/solutions/02_x_solutions.ipynb → notebooks/02_x.ipynb."""
    return solution.parent.parent / f"{lesson_name(solution)}.ipynb"


def solution_of(lesson: Path | str) -> Path:
    """notebooks/02_x.ipynb (or the name "02_x") → notebooks/solutions/02_x_solutions.ipynb."""
    lesson = Path(lesson)
    folder = lesson.parent if lesson.suffix == ".ipynb" else NOTEBOOK_DIR
    return folder / "solutions" / f"{lesson.stem if lesson.suffix else lesson.name}{SOLUTION_SUFFIX}.ipynb"
