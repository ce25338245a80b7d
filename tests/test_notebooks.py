"""Notebook hygiene: committed executed, no errors, generated cells current, house structure.

nbval (in the same `make test` run) re-executes every notebook and compares outputs;
these tests check what nbval cannot: that what is committed was executed top to bottom.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.notebook_list import all_notebooks, lesson_of, lessons, solution_of, solutions

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOKS = all_notebooks()
IDS = [str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS]


def code_cells(path: Path) -> list:
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_top_to_bottom_without_errors(path):
    cells = code_cells(path)
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: re-run with `make execute`"
    errors = [out for cell in cells for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{path.name}: error output committed: {errors[0].ename}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_valid_notebook_format(path):
    nbformat.validate(nbformat.read(path, as_version=4))


def test_generated_navigation_is_current():
    result = subprocess.run(
        [sys.executable, "-m", "tools.navigation", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", lessons(), ids=[p.name for p in lessons()])
def test_lesson_structure(path):
    notebook = nbformat.read(path, as_version=4)
    number = path.name.split("_")[0]
    assert re.match(rf"# {number} · \S", notebook.cells[0].source), "first cell: '# NN · Title'"
    headings = [
        line
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    assert "## Summary" in headings and "## Exercises" in headings
    tags = [tag for cell in notebook.cells for tag in cell.metadata.get("tags", [])]
    assert tags.count("parameters") == 1, "one cell tagged `parameters` holds every tunable constant"
    checks = [cell for cell in notebook.cells if cell.cell_type == "code" and "checks." in cell.source]
    assert len(checks) >= 3, "at least three exercises, each with a check cell"
    solution = solution_of(path)
    assert solution.exists(), f"missing {solution.name}"


def test_every_solution_belongs_to_a_lesson():
    names = {p.name for p in lessons()}
    assert all(lesson_of(p).name in names for p in solutions())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_ignored_output_says_why(path):
    """nbval's NBVAL_IGNORE_OUTPUT is never a blanket: the next line is a comment "# (reason)".

    The reasons in use: versions and thread counts, wall-clock times, and whole-network training
    whose last digits depend on the CPU (those cells are followed by a checked `check_statements` cell).
    """
    for cell in code_cells(path):
        lines = cell.source.splitlines()
        if lines and lines[0].strip() == "# NBVAL_IGNORE_OUTPUT":
            assert len(lines) > 1 and re.match(r"# \(.+\)$", lines[1]), (
                f"{path.name}, cell {cell.id}: put the reason on the line after NBVAL_IGNORE_OUTPUT, as '# (…)'"
            )
        misplaced = any("NBVAL_IGNORE_OUTPUT" in line for line in lines[1:])
        assert not misplaced, f"{path.name}, cell {cell.id}: NBVAL_IGNORE_OUTPUT must be the first line"
