"""The grader against a class written to break it, and nbgrader's round trip on every lesson.

- Cheap, in `make test`: the class folder read strictly (links, duplicates, wrong lessons, malformed files:
  one problem each, no notebook run), the sandbox's walls (a program in it sees no other process, no
  network, nothing writable outside its /tmp, no answer key; memory and processes limited), and grading
  refusing to start without a sandbox.
- Expensive, in `make grade-check` (GRADE_ALL=1): the hostile class of tests/hostile_submissions.py graded
  on lesson 01 — honest controls get exactly their points, cheats 0 for what they did not do, attacks lose
  only the exercise they sit in; the course, venv, caches and class folder are unchanged; no process an
  attack started survives — and every lesson's solved and untouched notebooks round trip.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_submissions import ATTACKS, CHEATS, HARMLESS, MALFORMED, instructor, write_submissions
from tlhelpers.assets import data_dir
from tools.exercises import assignment_name, student_path
from tools.grade import exercises_of, grade
from tools.notebook_list import NOTEBOOK_DIR, solutions
from tools.sandbox import REPO, Limits, Sandbox, bwrap_command, torch_home, unavailable
from tools.submissions import collect, prepare

SANDBOX = unavailable()
needs_sandbox = pytest.mark.skipif(SANDBOX is not None, reason=f"no sandbox here: {SANDBOX}")
needs_grade_all = pytest.mark.skipif(not os.environ.get("GRADE_ALL"), reason="the graded class: make grade-check")
LESSON = assignment_name(instructor("01"))


def tree_digest(folder: Path, content: bool = True) -> dict[str, str]:
    """Every entry under ``folder`` (links not followed): its sha256, or its size, mode and mtime."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            found[str(path)] = "link:" + os.readlink(path)
        elif path.is_file():
            found[str(path)] = (
                hashlib.sha256(path.read_bytes()).hexdigest() if content else f"{info.st_size}:{info.st_mtime_ns}"
            )
        found[str(path) + ":mode"] = str(info.st_mode)
    return found


def hostile_processes() -> set[str]:
    """Processes a submission could have left: a kernel, bwrap, or anything carrying the attacks' marker."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and any(mark in command for mark in ("tl-hostile", "ipykernel_launcher", "bwrap ")):
            found.add(f"{entry.name} {command[:80]}")
    return found


def totals(csv_path: Path) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points, most = found.get(row["student"], (0.0, 0.0))
            found[row["student"]] = (points + float(row["points"]), most + float(row["max_points"]))
    return found


# --- cheap: make test -------------------------------------------------------------------------------------


def test_class_folder_read_strictly(tmp_path):
    write_submissions(tmp_path / "class", "01")
    submissions, problems = prepare(collect(tmp_path / "class"), Limits().notebook_mb << 20, LESSON)
    graded = {s.student for s in submissions}
    assert graded == {"solved", "untouched", "null_metadata", *ATTACKS, *HARMLESS, *CHEATS}
    reported = {student: problem for student, _, problem in problems}
    assert set(reported) == set(MALFORMED) - {"null_metadata"}
    assert "symbolic link" in reported["dangling_link"] and "symbolic link" in reported["links_to_key"]
    assert "RecursionError" in reported["deep_nesting"] and "present 2 times" in reported["duplicate"]
    assert "not this class's" in reported["wrong_lesson"] and "named as lesson 02" in reported["misnamed"]
    assert all("\n" not in problem for problem in reported.values())


@needs_sandbox
def test_sandbox_walls(tmp_path):
    workdir, runtime = tmp_path / "student" / "lesson", tmp_path / "run"
    workdir.mkdir(parents=True)
    runtime.mkdir(mode=0o777)
    probe = (
        "import os, socket, json\n"
        "seen = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
        "writable = []\n"
        f"for folder in ({[str(REPO / 'tlhelpers'), str(REPO), str(data_dir()), str(torch_home())]!r}\n"
        f"               + {[sys.prefix, str(workdir)]!r}):\n"
        "    try:\n"
        "        open(os.path.join(folder, 'tl-hostile'), 'w').close(); writable.append(folder)\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 80), timeout=2); network = True\n"
        "except OSError:\n"
        "    network = False\n"
        "try:\n"
        "    bytearray(8 << 30); allocated = True\n"
        "except MemoryError:\n"
        "    allocated = False\n"
        f"key = os.path.exists({str(NOTEBOOK_DIR / 'solutions')!r})\n"
        "open('/tmp/mine', 'w').write('scratch')\n"
        "print(json.dumps(dict(seen=seen, writable=writable, network=network, allocated=allocated, key=key)))\n"
    )
    command = bwrap_command(Sandbox(Limits(memory_mb=2048), workdir, runtime))
    done = subprocess.run([*command, sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    walls = json.loads(done.stdout.strip().splitlines()[-1])
    assert walls == dict(seen=[1, 2], writable=[], network=False, allocated=False, key=False)


@needs_sandbox
def test_sandbox_limits_processes(tmp_path):
    workdir, runtime = tmp_path / "student" / "lesson", tmp_path / "run"
    workdir.mkdir(parents=True)
    runtime.mkdir()
    bomb = (
        "import os\nn = 0\ntry:\n    while n < 500:\n        if os.fork() == 0:\n"
        "            os.execlp('sleep', 'sleep', '60')\n        n += 1\nexcept OSError:\n    pass\nprint(n)"
    )
    command = bwrap_command(Sandbox(Limits(processes=20), workdir, runtime))
    done = subprocess.run([*command, sys.executable, "-c", bomb], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and int(done.stdout) < 20, done.stdout + done.stderr
    assert not hostile_processes(), "the sleeping children outlived their sandbox"


@needs_sandbox
def test_honest_code_has_what_it_needs_in_the_sandbox(tmp_path):
    """A DataLoader with workers needs multiprocessing's locks (POSIX semaphores in /dev/shm): lesson 02 uses one."""
    workdir, runtime = tmp_path / "student" / "lesson", tmp_path / "run"
    workdir.mkdir(parents=True)
    runtime.mkdir(mode=0o777)
    probe = "import multiprocessing\nqueue = multiprocessing.Queue()\nqueue.put('ok')\nprint(queue.get())\n"
    command = bwrap_command(Sandbox(Limits(), workdir, runtime))
    done = subprocess.run([*command, sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr[-500:]


@needs_sandbox
def test_round_trip_in_brief(tmp_path):
    """Lesson 01 graded for real: solved, untouched, and the two cheats nbgrader alone would reward (~1 min)."""
    write_submissions(tmp_path / "all", "01", malformed=False)
    (tmp_path / "class").mkdir()
    for student in ("solved", "untouched", "partial_credit", "always_equal"):
        shutil.copyfile(tmp_path / "all" / f"{student}.ipynb", tmp_path / "class" / f"{student}.ipynb")
    outcomes = grade(tmp_path / "class", tmp_path / "build", Limits(cell_timeout_s=60), progress=False, workers=2)
    most = sum(points for _, points in exercises_of(LESSON))
    assert totals(tmp_path / "build" / "grades.csv") == {
        "solved": (most, most),
        "untouched": (0, most),
        "partial_credit": (0, most),
        "always_equal": (0, most),
    }, outcomes
    assert (tmp_path / "build" / "feedback" / "solved" / f"{LESSON}.html").exists()


def test_grading_refuses_without_a_sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr("tools.grade.unavailable", lambda limits: "bubblewrap (bwrap) is not installed — how to fix")
    (tmp_path / "class").mkdir()
    with pytest.raises(SystemExit, match="cannot grade untrusted notebooks: bubblewrap"):
        grade(tmp_path / "class", tmp_path / "build", progress=False)
    assert not (tmp_path / "build").exists()


# --- expensive: make grade-check --------------------------------------------------------------------------


@needs_sandbox
@needs_grade_all
def test_hostile_class(tmp_path):
    submissions = tmp_path / "class"
    write_submissions(submissions, "01")
    (submissions / "README.txt").write_text("the instructor's own file, next to the submissions\n")
    watched = {
        "class": (submissions, True),
        "course": (REPO / "notebooks", True),
        "tlhelpers": (REPO / "tlhelpers", True),
        "tools": (REPO / "tools", True),
        "data": (data_dir(), True),
        "torch hub": (torch_home(), True),
        "venv": (Path(sys.prefix), False),
    }
    before = {name: tree_digest(folder, content) for name, (folder, content) in watched.items()}
    processes_before = hostile_processes()
    output = tmp_path / "build"

    limits = Limits(cell_timeout_s=30, timeout_s=300, processes=64)
    outcomes = {o.student: o for o in grade(submissions, output, limits, progress=False, assignment=LESSON, workers=2)}

    most = sum(points for _, points in exercises_of(LESSON))
    first = exercises_of(LESSON)[0][1]
    scores = totals(output / "grades.csv")
    for student in ("solved", *HARMLESS):
        assert scores[student] == (most, most), (student, outcomes[student].problem)
    assert scores["untouched"] == (0, most)
    for student in CHEATS:
        assert scores[student] == (0, most), (student, outcomes[student].problem)
    for student in ATTACKS:
        if student != "exits":
            assert scores[student] == (most - first, most), (student, outcomes[student].problem)
    assert scores["exits"][0] < most and scores["exits"][1] == most
    assert "30 s limit" in outcomes["endless_loop"].problem
    for student in MALFORMED:
        if student != "null_metadata":
            assert outcomes[student].problem and scores.get(student, (0, most)) == (0, most), student
    assert outcomes["README"].problem
    problems = (output / "grade_problems.txt").read_text(encoding="utf-8").splitlines()
    assert len(problems) == sum(1 for o in outcomes.values() if o.problem)
    for student in ("solved", "floods", "html_output", "long_line", "binary_stdout"):
        page = (output / "feedback" / student / f"{LESSON}.html").read_text(encoding="utf-8")
        assert "Content-Security-Policy" in page and len(page) < 15_000_000, student
        assert not re.search(r"<script[^>]*>[^<]*tl-hostile", page), student  # the code is shown, escaped; never run
    after = {name: tree_digest(folder, content) for name, (folder, content) in watched.items()}
    for name in watched:
        assert after[name] == before[name], f"grading changed {name}"
    assert hostile_processes() <= processes_before, "a process a submission started is still running"


@needs_sandbox
@needs_grade_all
@pytest.mark.parametrize("path", solutions(), ids=[p.name.split("_")[0] for p in solutions()])
def test_round_trip_of_every_lesson(tmp_path, path):
    submissions = tmp_path / "class"
    (submissions / "solved").mkdir(parents=True)
    (submissions / "untouched").mkdir()
    assignment = assignment_name(path)
    shutil.copyfile(path, submissions / "solved" / f"{assignment}.ipynb")
    shutil.copyfile(student_path(path), submissions / "untouched" / f"{assignment}.ipynb")
    outcomes = grade(submissions, tmp_path / "build", progress=False)
    most = sum(points for _, points in exercises_of(assignment))
    assert totals(tmp_path / "build" / "grades.csv") == {"solved": (most, most), "untouched": (0, most)}, outcomes


@needs_sandbox
@needs_grade_all
def test_grading_on_a_dask_cluster(tmp_path):
    """The sweep's other engine: a Dask LocalCluster on 127.0.0.1, the sandbox made on each worker (lesson 01)."""
    pytest.importorskip("dask.distributed")
    write_submissions(tmp_path / "all", "01", malformed=False)
    (tmp_path / "class").mkdir()
    for student in ("solved", "untouched", "always_equal"):
        shutil.copyfile(tmp_path / "all" / f"{student}.ipynb", tmp_path / "class" / f"{student}.ipynb")
    outcomes = grade(tmp_path / "class", tmp_path / "build", progress=False, workers=2, engine="dask")
    most = sum(points for _, points in exercises_of(LESSON))
    assert totals(tmp_path / "build" / "grades.csv") == {
        "solved": (most, most),
        "untouched": (0, most),
        "always_equal": (0, most),
    }, outcomes
    assert (tmp_path / "build" / "feedback" / "solved" / f"{LESSON}.html").exists()
    assert not hostile_processes(), "a kernel or sandbox outlived the cluster"
