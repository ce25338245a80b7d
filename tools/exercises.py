"""Generate the student notebooks from the instructor versions, with nbgrader's own `generate_assignment`.

    python -m tools.exercises          # regenerate notebooks/NN_slug.ipynb where its source changed
    python -m tools.exercises --check  # exit 1 if a committed student notebook is stale (make test)

Each notebook has one source, the instructor version `notebooks/solutions/NN_slug_solutions.ipynb`: the
lesson, the solutions between `### BEGIN SOLUTION` / `### END SOLUTION`, and the graded check cells with
their hidden tests between `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS` (cells carry
`metadata.nbgrader`). nbgrader's `generate_assignment` strips both in a temporary course directory; the
result, with its navigation cells, is the student notebook `notebooks/NN_slug.ipynb`. A regenerated
notebook has no outputs: run `make execute NB=NN` afterwards (the committed notebooks are executed).
Comparisons ignore outputs and execution counts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from traitlets.config import Config

from tlhelpers.assets import atomic_path
from tools.navigation import nav_text, with_navigation
from tools.notebook_list import NOTEBOOK_DIR, lesson_name, solution_of, solutions

# The stub is the line before the solution region ("answer = ...  # your code here"), so nbgrader puts
# nothing in the region's place; training cells need more than nbgrader's default 30 s per cell.
CELL_TIMEOUT_S = 120


def nbgrader_config(cell_timeout: int = CELL_TIMEOUT_S) -> Config:
    """The course's nbgrader settings, as traitlets configuration."""
    config = Config()
    config.ClearSolutions.code_stub = {"python": ""}
    config.Execute.timeout = int(cell_timeout)
    config.Execute.kernel_name = "python3"
    config.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
    return config


def config_file_text(config: Config) -> str:
    """``config`` as an nbgrader_config.py (``c = get_config()`` first, so that more lines can be appended)."""
    lines = ["c = get_config()  # noqa: F821 — given by traitlets' config loader"]
    lines += [f"c.{section}.{name} = {value!r}" for section, values in config.items() for name, value in values.items()]
    return "\n".join(lines) + "\n"


def assignment_name(instructor: Path) -> str:
    """notebooks/solutions/02_x_solutions.ipynb → "02_x" (the student notebook's name and the assignment's)."""
    return lesson_name(instructor)


def student_path(instructor: Path) -> Path:
    return NOTEBOOK_DIR / f"{assignment_name(instructor)}.ipynb"


def instructor_path(assignment: str) -> Path:
    return solution_of(assignment)


def nbgrader_environment(course: Path) -> dict[str, str]:
    """nbgrader's database calls `alembic`, so the venv's bin goes on PATH.

    Jupyter's runtime files stay in ``course``.
    """
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return dict(os.environ, PATH=path, JUPYTER_RUNTIME_DIR=str(course / "run"))


def nbgrader(course: Path, *arguments: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run the stock nbgrader command line in ``course``."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *arguments],
        cwd=course,
        env=nbgrader_environment(course),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def make_course(course: Path, instructors: list[Path], cell_timeout: int = CELL_TIMEOUT_S) -> None:
    """An nbgrader course directory: config, source/<assignment>/<assignment>.ipynb, released by generate_assignment."""
    (course / "nbgrader_config.py").write_text(config_file_text(nbgrader_config(cell_timeout)), encoding="utf-8")
    for instructor in instructors:
        name = assignment_name(instructor)
        (course / "source" / name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(instructor, course / "source" / name / f"{name}.ipynb")
        result = nbgrader(course, "generate_assignment", name, "--force")
        released = course / "release" / name / f"{name}.ipynb"
        if result.returncode != 0 or not released.exists():
            lines = [
                line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line or "Error" in line
            ]
            raise SystemExit(
                f"{instructor.name}: nbgrader generate_assignment failed ({lines[0] if lines else 'no output'})"
                " — check its BEGIN/END SOLUTION and HIDDEN TESTS markers"
            )


def released_student_notebook(course: Path, instructor: Path) -> nbformat.NotebookNode:
    """The student notebook as generate_assignment released it, with the student notebook's navigation."""
    name = assignment_name(instructor)
    notebook = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    with_navigation(notebook, nav_text(student_path(instructor)))
    return notebook


def cell_contents(notebook: nbformat.NotebookNode) -> list[tuple]:
    """What generation decides, cell by cell: outputs and execution counts are the runner's business."""
    return [
        (cell.get("id"), cell.cell_type, cell.source, nbformat.writes(nbformat.from_dict({"m": cell.metadata})))
        for cell in notebook.cells
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report, exit 1 if a student notebook is stale")
    parser.add_argument("filter", nargs="?", default="", help="only notebooks whose name contains this")
    args = parser.parse_args()
    instructors = [path for path in solutions() if args.filter in path.name]
    stale = []
    with tempfile.TemporaryDirectory(prefix="tl-exercises-") as temporary:
        course = Path(temporary)
        make_course(course, instructors)
        for instructor in instructors:
            generated = released_student_notebook(course, instructor)
            target = student_path(instructor)
            committed = nbformat.read(target, as_version=4) if target.exists() else None
            if committed is not None and cell_contents(committed) == cell_contents(generated):
                continue
            stale.append(target)
            if not args.check:
                with atomic_path(target) as tmp:
                    tmp.write_text(nbformat.writes(generated) + "\n", encoding="utf-8")
    for target in stale:
        relative = target.relative_to(NOTEBOOK_DIR.parent)
        if args.check:
            print(f"{relative}: out of date with its instructor version (run `python -m tools.exercises`)")
        else:
            print(f"{relative}: regenerated — execute it with `make execute NB={target.name.split('_')[0]}`")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main())
