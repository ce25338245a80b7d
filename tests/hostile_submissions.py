"""A class of submissions for the grader: honest controls, cheats, attacks and malformed files (test machinery).

    python -m tests.hostile_submissions DIR [NN]   # write them for lesson NN (default 01) into DIR

- honest: ``solved`` (the instructor version), ``untouched`` (the student notebook as handed out), and solved
  notebooks that misbehave harmlessly (``long_line``, ``binary_stdout``, ``html_output``): full points;
- ``ATTACKS``: the solved notebook with its first answer replaced by an attack — only that exercise is lost;
- ``CHEATS``: the untouched notebook (every answer a stub) with a first cell that tries to earn points anyway:
  0 points;
- malformed or misplaced entries, each one problem line (:data:`MALFORMED`), none graded, none stopping the run.

Every process an attack starts carries "tl-hostile" in its command line, so a test can look for survivors.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tools.exercises import student_path
from tools.notebook_list import solutions

# Paths an attack aims at; the test hashes them before and after.
REPO = Path(__file__).resolve().parent.parent

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
    "writes_course": (  # would add a file beside each target, and open each for writing (nothing destructive)
        "import pathlib, tlhelpers, torch.hub\n"
        "from tlhelpers.assets import data_dir\n"
        "targets = [pathlib.Path(tlhelpers.__file__), pathlib.Path(torch.hub.get_dir()) / 'checkpoints', data_dir(),\n"
        f"           pathlib.Path({str(REPO / 'build' / 'grades.csv')!r}), pathlib.Path('../../../gradebook.db'),\n"
        "           pathlib.Path('../../../source'), pathlib.Path('..'), pathlib.Path('.')]\n"
        "for target in targets:\n"
        "    for attempt in (lambda: (target if target.is_dir() else target.parent).joinpath('tl-hostile').touch(),\n"
        "                    lambda: open(target, 'a').close()):\n"
        "        try:\n"
        "            attempt()\n"
        "        except OSError:\n"
        "            pass"
    ),
    "reads_answer_key": (
        "import glob\n"
        f"keys = glob.glob({str(REPO / 'notebooks' / 'solutions' / '*.ipynb')!r})\n"
        "keys += glob.glob('../../../source/*/*.ipynb')\n"
        "assert keys, 'no answer key in reach'\n"
        "shirt_categories = ['sweatshirt'] if 'sweatshirt' in open(keys[0]).read() else None"
    ),
    "fork_bomb": (
        "import os, time\n"
        "for _ in range(100_000):  # bounded: stops at the process limit\n"
        "    if os.fork() == 0:\n"
        "        os.execlp('sleep', 'sleep', '600', 'tl-hostile')"
    ),
    "background": (
        "import subprocess\n"
        "subprocess.Popen(['sh', '-c', 'sleep 600; echo tl-hostile'], start_new_session=True)\n"
        "subprocess.Popen(['sh', '-c', '(sleep 601; echo tl-hostile) &'], start_new_session=True)\n"
        "raise RuntimeError('left two processes behind')"
    ),
    "allocates": "hoard = bytearray(10 << 30)  # 10 GB",
    "signals": (
        "import os, signal\n"
        "mine = {int(tid) for tid in os.listdir('/proc/self/task')}  # its own threads: that would be suicide\n"
        "for pid in range(1, 70_000):\n"
        "    if pid not in mine:\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"
        "raise RuntimeError('signalled everything it could')"
    ),
}

# Correct notebooks that misbehave without harm: the grader must still give them every point.
HARMLESS = {
    "long_line": "print('x' * 30_000_000)  # one 30 MB line",
    "binary_stdout": (
        "import os, sys\nos.write(1, bytes(range(256)))\n"
        "sys.stdout.write('\\udcff\\x00\\x07 after')\nprint(bytes(range(256)))"
    ),
    "html_output": (
        "from IPython.display import HTML, Javascript, display\n"
        "display(HTML('<script>alert(\"tl-hostile\")</script><b>bold</b>'))\n"
        "display(Javascript('alert(\"tl-hostile\")'))"
    ),
}

CHEATS = {
    # nbgrader gives full points to a graded cell whose first output is an execute_result with a number.
    "partial_credit": ("import sys\nget_ipython().events.register('pre_run_cell', lambda *args: sys.displayhook(99))"),
    # Answers whose comparisons are always true.
    "always_equal": (
        "class Anything(list):\n"
        "    __eq__ = __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True\n"
        "    __sub__ = __rsub__ = __truediv__ = __abs__ = lambda self, *other: 0.0\n"
        "    __float__ = lambda self: 0.72\n"
        "shirt_categories = cheapest_80 = unnormalised_probability = resnet50_training_flops = Anything()"
    ),
    # Builtins and checkers patched, answers wrong.
    "patches_builtins": (
        "import builtins, tlhelpers.exercise_checks as checks\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.tuple = builtins.list = lambda *a: ['sweatshirt']\n"
        "for name in dir(checks):\n"
        "    if name.startswith('check_'):\n"
        "        setattr(checks, name, lambda *a, **k: True)\n"
        "shirt_categories, cheapest_80 = ['shirt'], ('resnet50', 'x')\n"
        "unnormalised_probability = resnet50_training_flops = 0.0"
    ),
    # Errors swallowed: a custom exception handler shows nothing.
    "hides_errors": "get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)",
}

MALFORMED = [
    "invalid_json",
    "deep_nesting",
    "binary_file",
    "dangling_link",
    "links_to_key",
    "folder_notebook",
    "duplicate",
    "wrong_lesson",
    "misnamed",
    "fifo",
    "null_metadata",
]


def instructor(number: str) -> Path:
    return next(path for path in solutions() if path.name.startswith(number))


def first_answer_replaced(notebook: dict, source: str) -> dict:
    answer = next(cell for cell in notebook["cells"] if cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
    answer["source"] = source
    return notebook


def first_cell_added(notebook: dict, source: str) -> dict:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "cheat",
        "metadata": {},
        "outputs": [],
        "source": source,
    }
    notebook["cells"].insert(0, cell)
    return notebook


def write_submissions(folder: Path, number: str = "01", malformed: bool = True) -> dict[str, str]:
    """Write one submission per student into ``folder``; return {student: what it is}."""
    folder.mkdir(parents=True, exist_ok=True)
    solved, other = instructor(number), instructor("02" if number != "02" else "01")
    solved_text, untouched_text = solved.read_text(encoding="utf-8"), student_path(solved).read_text(encoding="utf-8")
    (folder / "solved.ipynb").write_text(solved_text, encoding="utf-8")
    (folder / "untouched.ipynb").write_text(untouched_text, encoding="utf-8")
    what = {"solved": "the instructor version", "untouched": "the student notebook as handed out"}
    for student, source in {**ATTACKS, **HARMLESS}.items():
        notebook = json.loads(solved_text)
        if student in HARMLESS:
            first_cell_added(notebook, source)
        else:
            first_answer_replaced(notebook, source)
        (folder / f"{student}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
        what[student] = ("harmless: " if student in HARMLESS else "attack: ") + student
    for student, source in CHEATS.items():
        notebook = first_cell_added(json.loads(untouched_text), source)
        (folder / f"{student}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
        what[student] = "cheat: " + student
    if malformed:
        write_malformed(folder, solved, other)
        what.update({name: "malformed: " + name for name in MALFORMED})
    return what


def write_malformed(folder: Path, solved: Path, other: Path) -> None:
    """Entries that are not gradable notebooks, or not where they should be."""
    lesson = solved.stem.removesuffix("_solutions")
    (folder / "invalid_json.ipynb").write_text('{"cells": [', encoding="utf-8")
    (folder / "deep_nesting.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    (folder / "binary_file.ipynb").write_bytes(bytes(range(256)) * 64)
    os.symlink("/nonexistent/notebook.ipynb", folder / "dangling_link.ipynb")
    os.symlink(solved, folder / "links_to_key.ipynb")
    (folder / "folder_notebook").mkdir()
    (folder / "folder_notebook" / f"{lesson}.ipynb").mkdir()
    (folder / "duplicate.ipynb").write_text(solved.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "duplicate").mkdir()
    (folder / "duplicate" / f"{lesson}.ipynb").write_text(solved.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "wrong_lesson.ipynb").write_text(student_path(other).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "misnamed").mkdir()
    (folder / "misnamed" / f"{other.stem.removesuffix('_solutions')}.ipynb").write_text(
        solved.read_text(encoding="utf-8"), encoding="utf-8"
    )
    os.mkfifo(folder / "fifo.ipynb")
    notebook = json.loads(solved.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell["metadata"]["nbgrader"] = None
            break
    (folder / "null_metadata.ipynb").write_text(json.dumps(notebook), encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    for student, what in write_submissions(target, *sys.argv[2:3]).items():
        print(f"{target / student}: {what}")
