"""The stock grader, round trip: nbgrader generate_assignment → autograde → feedback, through `make grade`'s code.

On the smallest notebook (01), in `make test`: the solved notebook scores full points, the untouched student
notebook 0, and each hostile submission is graded — 0 for what broke — without hanging and without touching
anything outside its temporary copy (2 min on the 2-core reference machine, two submissions side by side).
Every lesson's solved and untouched notebooks are graded by `make grade-check` (GRADE_ALL=1, called by
.ci/run after `make test`): autograding all five costs more minutes than `make test` has.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.hostile_submissions import instructor, write_submissions
from tools.exercises import assignment_name, student_path
from tools.grade import exercises_of, grade
from tools.notebook_list import NOTEBOOK_DIR, solutions

needs_unshare = pytest.mark.skipif(shutil.which("unshare") is None, reason="grading blocks the network with unshare")


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def totals(csv_path: Path) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points, most = found.get(row["student"], (0.0, 0.0))
            found[row["student"]] = (points + float(row["points"]), most + float(row["max_points"]))
    return found


needs_grade_all = pytest.mark.skipif(not os.environ.get("GRADE_ALL"), reason="every lesson's round trip: make grade-check")


@needs_unshare
def test_round_trip_with_hostile_submissions(tmp_path):
    submissions = tmp_path / "class"
    write_submissions(submissions, "01")
    (submissions / "README.txt").write_text("the instructor's own file, next to the submissions\n")
    before, lessons_before = tree_digest(submissions), tree_digest(NOTEBOOK_DIR)
    output = tmp_path / "build"

    outcomes = {o.student: o for o in grade(submissions, output, cell_timeout=30, timeout=300, progress=False)}

    assignment = assignment_name(instructor("01"))
    most = sum(points for _, points in exercises_of(assignment))
    first = exercises_of(assignment)[0][1]
    scores = totals(output / "grades.csv")
    assert scores["solved"] == (most, most)
    assert scores["untouched"] == (0, most)
    assert scores["invalid_json"] == (0, most) and "not a notebook" in outcomes["invalid_json"].problem
    for student in ("endless_loop", "floods", "deletes_parent", "networks"):
        assert scores[student] == (most - first, most), student  # only the attacked exercise is lost
    assert scores["exits"][0] < most and scores["exits"][1] == most
    assert "30 s limit" in outcomes["endless_loop"].problem
    assert outcomes["solved"].problem is None and outcomes["untouched"].problem is None
    assert (output / "feedback" / "solved" / f"{assignment}.html").exists()
    assert (output / "feedback" / "floods" / f"{assignment}.html").stat().st_size < 5_000_000
    assert tree_digest(submissions) == before, "grading changed the submissions folder"
    assert tree_digest(NOTEBOOK_DIR) == lessons_before, "grading changed the course's notebooks"
    assert "README" in outcomes and outcomes["README"].problem  # not a notebook: skipped with a reason


@needs_unshare
@needs_grade_all
@pytest.mark.parametrize("path", solutions(), ids=[p.name[:2] for p in solutions()])
def test_round_trip_of_every_lesson(tmp_path, path):
    submissions = tmp_path / "class"
    (submissions / "solved").mkdir(parents=True)
    (submissions / "untouched").mkdir()
    assignment = assignment_name(path)
    shutil.copyfile(path, submissions / "solved" / f"{assignment}.ipynb")
    shutil.copyfile(student_path(path), submissions / "untouched" / f"{assignment}.ipynb")
    grade(submissions, tmp_path / "build", progress=False)
    most = sum(points for _, points in exercises_of(assignment))
    assert totals(tmp_path / "build" / "grades.csv") == {"solved": (most, most), "untouched": (0, most)}
