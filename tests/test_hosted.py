"""A notebook opened where the course is not installed (Colab, Kaggle, a JupyterHub) says the one line to run."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from tools.notebook_list import all_notebooks


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda path: path.stem[:8])
def test_set_up_cell_without_the_course_prints_the_install_line(path, tmp_path):
    first = next(cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    # -I -S: no site-packages, so neither the course nor torch can be imported, as in a fresh hosted kernel
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", first.source], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("The course is not installed here: run  %pip install -q ..  in a cell"), result.stderr
    assert "Traceback" not in result.stderr  # one line, not a traceback


def test_set_up_refuses_an_unsupported_python_in_one_line():
    from tools import venv

    venv.check_python((3, 12))
    with pytest.raises(SystemExit, match=r"^Python 3.10 is not supported — run this with Python 3.11 to 3.13"):
        venv.check_python((3, 10))
    assert venv.venv_python().name in ("python", "python.exe")
