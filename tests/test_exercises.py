"""The exercises: one nbgrader source per notebook, student notebooks generated from it, checks that give nothing away.

The instructor version (notebooks/solutions/NN_slug_solutions.ipynb) holds the lesson, the solutions and
the hidden tests; `python -m tools.exercises` derives the student notebook (notebooks/NN_slug.ipynb) with
nbgrader's generate_assignment. nbval re-runs both, so the stored outputs checked here are reproduced.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.exercises import student_path
from tools.notebook_list import solutions

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTORS = solutions()
IDS = [path.name.split("_")[0] for path in INSTRUCTORS]


def graded(notebook: nbformat.NotebookNode, kind: str) -> list:
    return [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get(kind)]


def printed(cell) -> list[str]:
    text = "".join(output.text for output in cell.outputs if output.output_type == "stream")
    return [line for line in text.splitlines() if line.strip()]


def test_student_notebooks_are_current():
    result = subprocess.run(
        [sys.executable, "-m", "tools.exercises", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", INSTRUCTORS, ids=IDS)
def test_instructor_version_is_nbgrader_source(path):
    notebook = nbformat.read(path, as_version=4)
    tests, answers = graded(notebook, "grade"), graded(notebook, "solution")
    assert len(tests) >= 3, "at least three graded exercises"
    grade_ids = [cell.metadata.nbgrader.grade_id for cell in notebook.cells if "nbgrader" in cell.metadata]
    assert len(grade_ids) == len(set(grade_ids)), "grade_id must be unique"
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert re.fullmatch(rf"{path.name.split('_')[0]}-\d+", meta.grade_id) and meta.points > 0 and meta.locked
        assert "### BEGIN HIDDEN TESTS" in cell.source and "assert" in cell.source
    for cell in answers:
        assert "### BEGIN SOLUTION" in cell.source and re.search(r"\.\.\.  # your (code|answer)", cell.source)
        assert not cell.metadata.nbgrader.grade and not cell.metadata.nbgrader.locked


@pytest.mark.parametrize("path", INSTRUCTORS, ids=IDS)
def test_every_check_in_the_instructor_version_says_correct(path):
    for cell in graded(nbformat.read(path, as_version=4), "grade"):
        lines = printed(cell)
        assert lines and all(line.endswith("correct!") for line in lines), f"{cell.metadata.nbgrader.grade_id}: {lines}"


@pytest.mark.parametrize("path", INSTRUCTORS, ids=IDS)
def test_every_check_in_the_student_notebook_says_not_attempted(path):
    student = nbformat.read(student_path(path), as_version=4)
    tests = graded(student, "grade")
    assert len(tests) == len(graded(nbformat.read(path, as_version=4), "grade"))
    for cell in tests:
        lines = printed(cell)
        assert lines and all("not attempted yet" in line for line in lines), (
            f"{cell.metadata.nbgrader.grade_id}: {lines}"
        )


@pytest.mark.parametrize("path", INSTRUCTORS, ids=IDS)
def test_student_notebook_gives_nothing_away(path):
    """Check cells only call a checker; answer cells hold only the stub; no solution or hidden test is left."""
    student = nbformat.read(student_path(path), as_version=4)
    text = "\n".join(cell.source for cell in student.cells)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    for cell in graded(student, "grade"):
        for line in cell.source.strip().splitlines():
            assert re.match(r"(exercise_)?checks\.check_\w+\(", line), f"{cell.metadata.nbgrader.grade_id}: {line!r}"
            assert "expected" not in line and "assert" not in line
    instructor_answers = {cell.id: cell.source for cell in graded(nbformat.read(path, as_version=4), "solution")}
    for cell in graded(student, "solution"):
        assert re.search(r"\.\.\.  # your (code|answer)", cell.source), cell.source
        solution = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", instructor_answers[cell.id], re.S)
        solution_lines = {line.strip() for region in solution for line in region.splitlines() if len(line.strip()) > 12}
        assert not solution_lines & {line.strip() for line in cell.source.splitlines()}, cell.source
