"""A class folder, read strictly: which notebook is whose, which lesson it answers, and what cannot be graded.

    class/alice.ipynb                              one notebook per student, or
    class/bob/03_feature_extraction.ipynb          one folder per student, notebooks under their lesson's name

Nothing is followed or trusted: entries are looked at with lstat (a symbolic link is refused, never
followed), files are opened with O_NOFOLLOW and read up to a size limit, and a notebook is rebuilt from
what it holds (cells, their sources, their nbgrader metadata when it is a dict) into a plain nbformat 4
notebook — student outputs, attachments, raw HTML and notebook metadata are not carried over. The lesson is
read from the notebook's nbgrader cell ids ("01-1", "01-1-answer", …), not from its name; a notebook named
after another lesson, one that mixes lessons, a student present twice, a folder or special file where a
notebook should be: each is one problem for that student, never an exception for the class.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tools.exercises import assignment_name, instructor_path
from tools.notebook_list import solutions

STUDENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


class Unusable(Exception):
    """A submission that cannot be graded; the message says why and what to do."""


@dataclass
class Entry:
    student: str
    path: Path  # a notebook in the class folder (read with read_notebook), or where the problem is
    problem: str | None = None


@dataclass
class Submission:
    student: str
    assignment: str
    notebook: str  # the rebuilt notebook's JSON


def _kind(path: Path) -> str:
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "special"


def collect(folder: Path) -> list[Entry]:
    """One entry per notebook found, or per thing in the way, in the order of the names."""
    entries = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        kind = _kind(path)
        student = path.name if kind == "folder" else path.stem
        if kind == "link":
            entries.append(
                Entry(student, path, "a symbolic link — refused (copy the notebook itself into the class folder)")
            )
        elif not STUDENT_NAME.match(student):
            entries.append(Entry(student[:64], path, "the name must be letters, digits, '_', '-' or '.' — rename it"))
        elif kind == "file" and path.suffix == ".ipynb":
            entries.append(Entry(student, path))
        elif kind == "folder":
            inside = [Entry(student, notebook) for notebook in sorted(path.iterdir()) if notebook.suffix == ".ipynb"]
            for entry in inside:
                if _kind(entry.path) != "file":
                    entry.problem = f"{entry.path.name} is a {_kind(entry.path)}, not a notebook file — refused"
            entries.extend(inside or [Entry(student, path, "the folder holds no .ipynb notebook")])
        else:
            entries.append(Entry(student, path, f"a {kind}, not a notebook or a folder of notebooks — skipped"))
    return entries


def read_notebook(path: Path, limit_bytes: int) -> dict:
    """The notebook's JSON, read without following links and up to ``limit_bytes``, or raise Unusable."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise Unusable(f"cannot be opened ({error.strerror}) — a symbolic link or an unreadable file") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise Unusable("not a regular file — refused")
        data = handle.read(limit_bytes + 1)
    if len(data) > limit_bytes:
        raise Unusable(
            f"larger than {limit_bytes >> 20} MB — clear its outputs and submit it again (or raise --notebook-mb)"
        )
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Unusable(f"not a notebook ({type(error).__name__}) — ask for the .ipynb file saved by Jupyter") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise Unusable("not a notebook (no list of cells) — ask for the .ipynb file saved by Jupyter")
    return notebook


def _source(value) -> str:
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    if isinstance(value, str):
        return value
    raise Unusable("a cell's source is neither text nor a list of lines — ask for the file saved by Jupyter")


def rebuild(notebook: dict) -> dict:
    """A plain nbformat 4 notebook from the cells' types, sources and nbgrader metadata (nothing else)."""
    cells, seen = [], set()
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Unusable("a cell is not a code, markdown or raw cell — ask for the file saved by Jupyter")
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbgrader = metadata.get("nbgrader")
        kept = {"nbgrader": _plain_nbgrader(nbgrader)} if isinstance(nbgrader, dict) else {}
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) and CELL_ID.match(cell["id"]) else None
        if cell_id is None or cell_id in seen:
            cell_id = uuid.uuid4().hex[:8]
        seen.add(cell_id)
        new = {
            "cell_type": cell["cell_type"],
            "id": cell_id,
            "metadata": kept,
            "source": _source(cell.get("source", "")),
        }
        if cell["cell_type"] == "code":
            new.update(outputs=[], execution_count=None)
        cells.append(new)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _plain_nbgrader(meta: dict) -> dict:
    """nbgrader's cell metadata with only its own keys, each of the type nbgrader expects."""
    kinds = {
        "grade": bool,
        "solution": bool,
        "locked": bool,
        "task": bool,
        "grade_id": str,
        "points": (int, float),
        "schema_version": int,
    }
    return {key: meta[key] for key, kind in kinds.items() if isinstance(meta.get(key), kind)}


@cache
def lesson_ids() -> dict[str, frozenset[str]]:
    """Each lesson's nbgrader cell ids, from its instructor version."""
    found = {}
    for path in solutions():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        found[assignment_name(path)] = frozenset(
            str(cell["metadata"]["nbgrader"]["grade_id"])
            for cell in cells
            if isinstance(cell.get("metadata", {}).get("nbgrader"), dict) and "grade_id" in cell["metadata"]["nbgrader"]
        )
    return found


def lesson_of(notebook: dict) -> str:
    """The lesson whose nbgrader cell ids the notebook holds, or raise Unusable."""
    ids = {
        cell["metadata"]["nbgrader"].get("grade_id") for cell in notebook["cells"] if cell["metadata"].get("nbgrader")
    }
    matches = sorted(name for name, known in lesson_ids().items() if ids & known)
    if len(matches) > 1:
        raise Unusable(f"mixes the graded cells of {' and '.join(matches)} — ask for one lesson's notebook")
    if not matches:
        raise Unusable(
            "holds no graded cell of any lesson (nbgrader's cell ids are gone) — "
            "ask for the notebook handed out, filled in"
        )
    return matches[0]


def named_lesson(path: Path) -> str | None:
    """The lesson a file's name claims ("03_feature_extraction.ipynb", "03_anything.ipynb"), if any."""
    for name in lesson_ids():
        if path.stem == name or path.stem.startswith(name[:3]):
            return name
    return None


def prepare(
    entries: list[Entry], limit_bytes: int, assignment: str | None = None
) -> tuple[list[Submission], list[tuple[str, str | None, str]]]:
    """The gradable submissions, and (student, lesson or None, problem) for everything else.

    ``assignment``: the class's one lesson (`--assignment`); a notebook of another lesson is then a problem.
    """
    if assignment is not None and not instructor_path(assignment).exists():
        raise SystemExit(f"no lesson {assignment!r} — pass a notebook name such as {next(iter(lesson_ids()))}")
    submissions, problems = [], []
    for entry in entries:
        if entry.problem:
            problems.append((entry.student, assignment, entry.problem))
            continue
        try:
            notebook = rebuild(read_notebook(entry.path, limit_bytes))
            lesson = lesson_of(notebook)
            named = named_lesson(entry.path)
            if named is not None and named != lesson:
                raise Unusable(
                    f"named as lesson {named[:2]} but its graded cells are lesson {lesson} — not graded; rename it"
                )
            if assignment is not None and lesson != assignment:
                raise Unusable(f"is lesson {lesson}, not this class's {assignment} — not graded")
        except Unusable as problem:
            problems.append((entry.student, assignment, f"{entry.path.name}: {problem}"))
            continue
        submissions.append(Submission(entry.student, lesson, json.dumps(notebook)))
    seen: dict[tuple[str, str], int] = {}
    for submission in submissions:
        seen[(submission.student, submission.assignment)] = seen.get((submission.student, submission.assignment), 0) + 1
    twice = {key for key, count in seen.items() if count > 1}
    for student, lesson in sorted(twice):
        problems.append(
            (
                student,
                lesson,
                f"present {seen[(student, lesson)]} times for {lesson} (two files or layouts) — keep one; not graded",
            )
        )
    return [s for s in submissions if (s.student, s.assignment) not in twice], problems
