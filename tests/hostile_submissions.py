"""A class of submissions for the grader: solved, untouched, and hostile ones (test machinery).

    python -m tests.hostile_submissions DIR [NN]   # write them for lesson NN (default 01) into DIR

Each hostile one is the solved notebook with the first exercise's answer replaced by an attack, so what
broke scores 0 and the rest still scores: invalid JSON, an endless loop, `os._exit(1)`, 50 MB of output,
deleting every file in its parent folder, and a network request.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tools.exercises import student_path
from tools.notebook_list import solutions

ATTACKS = {
    "endless_loop": "while True:\n    pass",
    "exits": "import os\nos._exit(1)",
    "floods": "for _ in range(500_000):\n    print('x' * 99)  # 50 MB",
    "deletes_parent": (
        "import pathlib, shutil\n"
        "for path in pathlib.Path('..').resolve().iterdir():\n"
        "    if path != pathlib.Path.cwd().resolve():\n"
        "        shutil.rmtree(path) if path.is_dir() else path.unlink()"
    ),
    "networks": "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=5).read()",
}


def instructor(number: str) -> Path:
    return next(path for path in solutions() if path.name.startswith(number))


def first_answer_replaced(notebook: dict, source: str) -> dict:
    answer = next(cell for cell in notebook["cells"] if cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
    answer["source"] = source
    return notebook


def write_submissions(folder: Path, number: str = "01") -> dict[str, str]:
    """Write one submission per student into ``folder``; return {student: what it is}."""
    folder.mkdir(parents=True, exist_ok=True)
    solved = instructor(number)
    (folder / "solved.ipynb").write_text(solved.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "untouched.ipynb").write_text(student_path(solved).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "invalid_json.ipynb").write_text('{"cells": [', encoding="utf-8")
    for student, source in ATTACKS.items():
        notebook = first_answer_replaced(json.loads(solved.read_text(encoding="utf-8")), source)
        (folder / f"{student}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return {"solved": "the instructor version", "untouched": "the student notebook as handed out",
            "invalid_json": "not JSON", **{name: "attack: " + name for name in ATTACKS}}  # fmt: skip


if __name__ == "__main__":
    target = Path(sys.argv[1])
    for student, what in write_submissions(target, *sys.argv[2:3]).items():
        print(f"{target / student}.ipynb: {what}")
