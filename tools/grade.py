"""Grade a class's notebooks: nbgrader's autograder, each kernel in a sandbox, points decided by the grader.

    python -m tools.grade SUBMISSIONS [--output build] [--engine joblib|dask] [--scheduler ADDRESS] [limits]

SUBMISSIONS holds one entry per student: `alice.ipynb`, or a folder `alice/` with the student's notebooks under
their lessons' names (`alice/02_model_anatomy_and_the_fc_layer.ipynb`); :mod:`tools.submissions` reads it
strictly. Each submission is graded in its own temporary nbgrader course (the instructor version goes in,
`generate_assignment` releases it), by `nbgrader autograde`, whose kernel runs in a bubblewrap sandbox
(:mod:`tools.sandbox`: no network, nothing of the course writable, its own PID namespace, limits on memory,
processes, disk, time and output). The points are the grader's: a graded cell scores its points if its hidden
tests ran without an error (:mod:`tools.grade_execute` records that outside the sandbox), else 0; the grader
writes them into nbgrader's gradebook before `nbgrader generate_feedback`. Nothing is written outside OUTPUT,
and that only after the last submission:

- `OUTPUT/grades.csv`: student, exercise, points, max_points (0 points for what could not be graded);
- `OUTPUT/feedback/<student>/<lesson>.html`: nbgrader's feedback (hidden tests shown), no script in it;
- `OUTPUT/grade_problems.txt`: one line per thing that went wrong, also printed.

Submissions are graded side by side on the sweep's engines: `joblib` (every local core) or `dask` (a Dask
cluster, `--scheduler tcp://host:8786`; each worker needs this checkout at the same path, and bwrap).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tlhelpers.assets import atomic_path
from tlhelpers.machine import usable_cores
from tools.exercises import instructor_path, make_course, nbgrader_environment
from tools.notebook_list import NOTEBOOK_DIR
from tools.sandbox import REPO, Limits, Sandbox, bwrap_command, sandbox_uid, unavailable
from tools.submissions import collect, prepare

SUPPORT_DIRS = ["results"]  # notebook 05b reads ../results/decision_matrix.json
ENGINES = ("joblib", "dask")
CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
    "style-src 'unsafe-inline'; font-src data:\">"
)


@dataclass
class Job:
    student: str
    assignment: str
    notebook: str  # the rebuilt notebook (tools.submissions.rebuild)
    limits: Limits
    trusted: bool = False
    threads: int = 1
    readable: tuple[str, ...] = ()


@dataclass
class Outcome:
    student: str
    assignment: str | None
    scores: list[tuple[str, float, float]]  # (exercise, points, max points)
    problem: str | None = None
    feedback: str | None = field(default=None, repr=False)  # the feedback page's HTML
    seconds: float = 0.0


def exercises_of(assignment: str) -> list[tuple[str, float]]:
    """(grade id, max points) of every graded cell of the instructor version."""
    notebook = json.loads(instructor_path(assignment).read_text(encoding="utf-8"))
    graded = [
        cell["metadata"]["nbgrader"]
        for cell in notebook["cells"]
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    return [(meta["grade_id"], float(meta["points"])) for meta in graded]


def zeros(assignment: str | None) -> list[tuple[str, float, float]]:
    return [(exercise, 0.0, points) for exercise, points in exercises_of(assignment)] if assignment else []


# --- one submission (runs on a worker: a thread here, or a Dask worker elsewhere) -----------------------------

_templates: dict[str, Path] = {}
_templates_lock = threading.Lock()
_refusal: dict[str, str | None] = {}


def template(assignment: str) -> Path:
    """This process's generated nbgrader course for ``assignment`` (made once, copied per submission)."""
    with _templates_lock:
        if assignment not in _templates:
            root = Path(tempfile.mkdtemp(prefix="tl-grade-template-"))
            import atexit

            atexit.register(shutil.rmtree, root, True)
            make_course(root, [instructor_path(assignment)])
            _templates[assignment] = root
        return _templates[assignment]


def sandbox_refusal(limits: Limits) -> str | None:
    """Why this worker cannot sandbox a kernel (None: it can), found once per process."""
    with _templates_lock:
        if "answer" not in _refusal:
            _refusal["answer"] = unavailable(limits)
        return _refusal["answer"]


def course_config(course: Path, job: Job, workdir: Path) -> Path:
    """nbgrader settings of this submission's course: our executor, its sandbox and limits. Returns the record file."""
    runtime, private = course / "run", course / "grader"
    runtime.mkdir(mode=0o700)
    private.mkdir(mode=0o700)
    command: list[str] = []
    if not job.trusted:
        uid = sandbox_uid() if os.geteuid() == 0 else None
        if uid is not None:
            os.chown(runtime, uid, uid)  # the kernel's sockets are made by the sandbox's uid
        sandbox = Sandbox(job.limits, workdir, runtime, tuple(Path(p) for p in job.readable), job.threads, uid)
        command = bwrap_command(sandbox)
    record = private / "record.jsonl"
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(
            f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"
            "from nbconvert.preprocessors import ClearMetadataPreprocessor\n"
            "from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, "
            "SaveAutoGrades\n"
            "from tools.grade_execute import GradingExecute\n"
            "c.Autograde.autograde_preprocessors = [GradingExecute, IgnorePattern, ClearMetadataPreprocessor, "
            "LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]\n"
            f"c.GradingExecute.timeout = {int(job.limits.cell_timeout_s)}\n"
            f"c.GradingExecute.record_path = {str(record)!r}\n"
            f"c.GradingExecute.max_output_bytes = {int(job.limits.output_mb) << 20}\n"
            "c.GradingExecute.extra_arguments = ['--HistoryManager.hist_file=:memory:', "
            "'--IPKernelApp.exec_lines=import tlhelpers.hidden_tests']\n"
            f"c.SandboxKernelManager.command = {command!r}\n"
            'c.KernelManager.transport = "ipc"\n'
            f"c.KernelManager.ip = {str(runtime / 'kernel')!r}\n"
            "c.HTMLExporter.sanitize_html = True\n"
        )
    return record


def run_limited(command: list[str], course: Path, timeout: float) -> tuple[int | None, str]:
    """Run ``command`` in its own process group; kill the group after ``timeout`` s. (rc or None, log tail).

    The log goes to a file and only its last 20 kB are read back, so no output can fill the grader's memory.
    A sandboxed kernel dies with its parent (bwrap --die-with-parent), so killing nbgrader ends it too.
    """
    log_path = course / "grader" / f"log-{command[3]}.txt"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=course,
            env=nbgrader_environment(course),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever nbgrader left behind, timed out or not
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
    with open(log_path, "rb") as log:
        log.seek(max(0, log_path.stat().st_size - 20_000))
        return returncode, log.read().decode("utf-8", "replace")


def recorded_points(record: Path, exercises: list[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """Each exercise's points from the executor's record: all of them if every run of its cell passed, else 0."""
    passed: dict[str, bool] = {}
    if record.exists():
        for line in record.read_text(encoding="utf-8").splitlines():
            verdict = json.loads(line)
            passed[verdict["grade_id"]] = passed.get(verdict["grade_id"], True) and verdict["passed"] is True
    return [(exercise, points if passed.get(exercise) else 0.0, points) for exercise, points in exercises]


def write_gradebook(course: Path, assignment: str, student: str, scores: list[tuple[str, float, float]]) -> bool:
    """Put the grader's points into nbgrader's gradebook (as manual scores, which nbgrader's totals prefer)."""
    from nbgrader.api import Gradebook, MissingEntry

    points = {exercise: got for exercise, got, _ in scores}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        try:
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            return False
        for grade in notebook.grades:
            grade.manual_score = points.get(grade.name, 0.0)
            grade.needs_manual_grade = False
        gradebook.db.commit()
    return True


def first_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if "ERROR" in line or "Error" in line]
    return lines[0][:160] if lines else "no error message"


def trouble(log: str, limits: Limits, scores: list) -> str | None:
    """What an instructor should know about a submission that was graded (None: nothing)."""
    if "DeadKernelError" in log or "Kernel died" in log or "dead kernel" in log.lower():
        return "graded, but its kernel died (a crash, or over --memory-mb / --processes); what did not run got 0"
    if "Timeout waiting for execute reply" in log:
        return f"graded; a cell ran past the {limits.cell_timeout_s} s limit and was stopped (0 for its exercise)"
    return None


def with_csp(page: str) -> str:
    """The feedback page with a Content-Security-Policy that runs no script and loads nothing from outside."""
    head = page.find("<head>")
    return page[: head + 6] + CSP + page[head + 6 :] if head >= 0 else CSP + page


def grade_job(job: Job) -> Outcome:
    """Grade one submission; every failure becomes the Outcome's problem, never an exception."""
    start = time.perf_counter()
    try:
        outcome = _grade_job(job)
    except Exception as error:  # one submission must not stop the class
        outcome = Outcome(
            job.student,
            job.assignment,
            zeros(job.assignment),
            f"the grader failed on it: {type(error).__name__}: {str(error)[:120]}",
        )
    outcome.seconds = time.perf_counter() - start
    return outcome


def _grade_job(job: Job) -> Outcome:
    student, assignment, limits = job.student, job.assignment, job.limits
    exercises = exercises_of(assignment)
    if not job.trusted and (refusal := sandbox_refusal(limits)):
        return Outcome(student, assignment, zeros(assignment), f"not graded: {refusal}")
    with tempfile.TemporaryDirectory(prefix="tl-grade-") as temporary:
        os.chmod(temporary, 0o711)
        course = Path(temporary) / "course"
        shutil.copytree(template(assignment), course)
        os.chmod(course, 0o711)
        for stage in ("submitted", "autograded"):
            for support in SUPPORT_DIRS:
                shutil.copytree(NOTEBOOK_DIR / support, course / stage / student / support)
        workdir = course / "autograded" / student / assignment
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        (target / f"{assignment}.ipynb").write_text(job.notebook, encoding="utf-8")
        record = course_config(course, job, workdir)
        nbgrader = [sys.executable, "-m", "nbgrader"]
        returncode, log = run_limited(
            [*nbgrader, "autograde", assignment, "--student", student, "--create", "--force"], course, limits.timeout_s
        )
        scores = recorded_points(record, exercises)
        if returncode is None:
            return Outcome(
                student,
                assignment,
                scores,
                f"took longer than {limits.timeout_s} s to grade — stopped; what had not run got 0 (--timeout)",
            )
        problem = trouble(log, limits, scores)
        if not write_gradebook(course, assignment, student, scores):
            return Outcome(student, assignment, scores, problem or f"nbgrader autograde failed: {first_error(log)}")
        run_limited(
            [*nbgrader, "generate_feedback", assignment, "--student", student, "--force"], course, limits.timeout_s
        )
        page = course / "feedback" / student / assignment / f"{assignment}.html"
        feedback = with_csp(page.read_text(encoding="utf-8", errors="replace")) if page.is_file() else None
        if feedback is None and problem is None:
            problem = "graded, but nbgrader wrote no feedback page"
        return Outcome(student, assignment, scores, problem, feedback)


# --- the class ---------------------------------------------------------------------------------------------


def run_engine(jobs: list[Job], engine: str, workers: int, scheduler: str | None, progress: bool) -> list[Outcome]:
    """Every job's outcome, in the order of ``jobs``, graded ``workers`` at a time on ``engine``."""
    from tqdm.auto import tqdm

    outcomes: list[Outcome | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), desc=f"grading ({engine})", unit="notebook", disable=not progress)
    if engine == "joblib":  # each job is subprocesses (nbgrader, its sandboxed kernel): threads are enough
        from joblib import Parallel, delayed

        run = Parallel(n_jobs=workers, prefer="threads", return_as="generator_unordered")
        for index, outcome in run(delayed(lambda i, job: (i, grade_job(job)))(i, job) for i, job in enumerate(jobs)):
            outcomes[index] = outcome
            bar.update()
    elif engine == "dask":
        try:
            from dask.distributed import Client, as_completed

            from tlhelpers.decision_matrix.sweep import local_cluster
        except ImportError:
            raise SystemExit(
                "the dask engine needs Dask — `pip install 'dask[distributed]'` (or the `cluster` extra)"
            ) from None
        cluster = None if scheduler else local_cluster(workers)
        with Client(scheduler or cluster) as client:
            futures = {client.submit(grade_job, job, pure=False): index for index, job in enumerate(jobs)}
            for future in as_completed(futures):
                outcomes[futures[future]] = future.result()
                bar.update()
        if cluster is not None:
            cluster.close()
    else:
        raise SystemExit(f"unknown engine {engine!r} — use one of {list(ENGINES)}")
    bar.close()
    return [outcome for outcome in outcomes if outcome is not None]


def write_csv(path: Path, outcomes: list[Outcome]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "exercise", "points", "max_points"])
    for outcome in outcomes:
        for exercise, points, max_points in outcome.scores:
            writer.writerow([outcome.student, exercise, f"{points:g}", f"{max_points:g}"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")


def write_results(output: Path, outcomes: list[Outcome]) -> None:
    """grades.csv, the feedback pages and grade_problems.txt, each written atomically, after the last submission."""
    for outcome in outcomes:
        if outcome.feedback is not None and outcome.assignment:
            destination = output / "feedback" / outcome.student / f"{outcome.assignment}.html"
            destination.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(destination) as tmp:
                tmp.write_text(outcome.feedback, encoding="utf-8")
    write_csv(output / "grades.csv", outcomes)
    problems = [f"{o.student}: {o.assignment or '?'}: {o.problem}" for o in outcomes if o.problem]
    with atomic_path(output / "grade_problems.txt") as tmp:
        tmp.write_text("".join(line + "\n" for line in problems), encoding="utf-8")


def grade(
    folder: Path,
    output: Path,
    limits: Limits = Limits(),
    trusted: bool = False,
    progress: bool = True,
    assignment: str | None = None,
    workers: int | None = None,
    engine: str = "joblib",
    scheduler: str | None = None,
    readable: tuple[str, ...] = (),
) -> list[Outcome]:
    """Grade every submission in ``folder``; write the CSV, the feedback and the problems under ``output``.

    ``workers`` submissions are graded side by side (default: one per core), each kernel on an equal share of
    the cores. Without ``trusted``, grading refuses to start where no sandbox can be made (one line: the fix).
    """
    if not folder.is_dir() or folder.is_symlink():
        raise SystemExit(
            f"{folder} is not a folder — pass SUBMISSIONS=<folder with one notebook or folder per student>"
        )
    if not trusted and scheduler is None and (refusal := unavailable(limits)):
        raise SystemExit(f"cannot grade untrusted notebooks: {refusal}")
    submissions, problems = prepare(collect(folder), limits.notebook_mb << 20, assignment)
    outcomes = [Outcome(student, lesson, zeros(lesson), problem) for student, lesson, problem in problems]
    workers = max(1, min(workers or usable_cores(), len(submissions) or 1))
    threads = max(1, usable_cores() // workers) if engine == "joblib" else 1
    jobs = [Job(s.student, s.assignment, s.notebook, limits, trusted, threads, tuple(readable)) for s in submissions]
    outcomes += run_engine(jobs, engine, workers, scheduler, progress)
    outcomes.sort(key=lambda o: (o.student, o.assignment or ""))
    write_results(output, outcomes)
    return outcomes


def main() -> int:
    defaults = Limits()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="one notebook or folder of notebooks per student")
    parser.add_argument("--output", type=Path, default=NOTEBOOK_DIR.parent / "build")
    parser.add_argument(
        "--assignment",
        help="the lesson every submission answers (e.g. 01_imagenet_and_pretrained_models): "
        "a notebook of another lesson is reported, and what cannot be graded gets 0 per exercise",
    )
    parser.add_argument(
        "--engine", choices=ENGINES, default="joblib", help="joblib: local cores (default); dask: a cluster"
    )
    parser.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster); implies --engine dask")
    parser.add_argument("--workers", type=int, help="submissions graded side by side (default: one per core)")
    parser.add_argument("--trusted", action="store_true", help="grade without the sandbox (only notebooks you trust)")
    parser.add_argument("--readable", action="append", default=[], help="one more folder the kernels may read")
    for name, help_text in [
        ("memory_mb", "memory (RLIMIT_DATA) per process in the sandbox, MB"),
        ("processes", "processes and threads per sandbox"),
        ("disk_mb", "private /tmp (and HOME) per sandbox, MB; also the largest file"),
        ("cell_timeout_s", "seconds per cell"),
        ("timeout_s", "seconds per submission"),
        ("output_mb", "outputs kept per notebook, MB"),
        ("notebook_mb", "largest submission file, MB"),
    ]:
        flag = "--" + name.removesuffix("_s").replace("_", "-")
        parser.add_argument(
            flag,
            dest=name,
            type=int,
            default=getattr(defaults, name),
            help=f"{help_text} (default {getattr(defaults, name)})",
        )
    args = parser.parse_args()
    limits = Limits(**{name: getattr(args, name) for name in asdict(defaults)})
    engine = "dask" if args.scheduler else args.engine
    outcomes = grade(
        args.submissions,
        args.output,
        limits,
        args.trusted,
        assignment=args.assignment,
        workers=args.workers,
        engine=engine,
        scheduler=args.scheduler,
        readable=tuple(args.readable),
    )
    for outcome in outcomes:
        total = sum(points for _, points, _ in outcome.scores)
        most = sum(points for _, _, points in outcome.scores)
        line = f"{outcome.student:20} {outcome.assignment or '?':40} {total:g}/{most:g}"
        print(line + (f"  — {outcome.problem}" if outcome.problem else ""))
    print(
        f"grades in {args.output / 'grades.csv'}, feedback in {args.output / 'feedback'}, "
        f"problems in {args.output / 'grade_problems.txt'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
