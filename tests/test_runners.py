"""The course's runners: make run's progress and index page, kernels over IPC (no TCP warning) in nbclient and nbval."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

from tools import run_notebooks

ROOT = Path(__file__).resolve().parents[1]
TCP_WARNING = "without encryption"


def tiny_notebook(path: Path, title: str, code: str, output: str | None = None) -> Path:
    """A two-cell notebook: a '# NN · Title' heading, then ``code`` (with ``output`` stored, for nbval)."""
    cell = nbformat.v4.new_code_cell(code)
    if output is not None:
        cell.execution_count = 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}"), cell])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (tlhelpers)", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


PRINT_TRANSPORT = "from ipykernel.kernelapp import IPKernelApp\nprint(IPKernelApp.instance().transport)"


def test_make_run_reports_progress_and_links_every_notebook(tmp_path, monkeypatch, capfd):
    folder = tmp_path / "notebooks"
    notebooks = [
        tiny_notebook(folder / "index.ipynb", "Contents", PRINT_TRANSPORT),
        tiny_notebook(folder / "solutions" / "01_a_solutions.ipynb", "01 · A <b> — solutions", "1 / 0"),
    ]
    monkeypatch.setattr(run_notebooks, "NOTEBOOK_DIR", folder)
    monkeypatch.setattr(run_notebooks, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(run_notebooks, "all_notebooks", lambda: notebooks)
    monkeypatch.setattr(sys, "argv", ["run_notebooks"])

    assert run_notebooks.main() == 1  # the second notebook fails
    out, err = capfd.readouterr()
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert len(progress) == 2, out
    assert re.fullmatch(r"\[ 1/2\] index\.ipynb … ok in \d+\.\d s \(\d+ s elapsed\)", progress[0]), progress[0]
    failed = r"\[ 2/2\] solutions/01_a_solutions\.ipynb … FAILED: ZeroDivisionError.* in \d+\.\d s \(\d+ s elapsed\)"
    assert re.fullmatch(failed, progress[1]), progress[1]
    assert TCP_WARNING not in out + err, "a kernel of make run's runner spoke TCP"
    executed = nbformat.read(tmp_path / "build" / "executed" / "index.ipynb", as_version=4)
    assert executed.cells[1].outputs[0].text == "ipc\n"

    index = (tmp_path / "build" / "html" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<li><a href="([^"]+)">([^<]*)</a> — ([^<]*)</li>', index)
    assert [(href, text) for href, text, _ in links] == [
        ("index.html", "Contents"),
        ("solutions/01_a_solutions.html", "01 · A &lt;b&gt; — solutions"),
    ]
    assert links[0][2].startswith("ok, ") and links[1][2].startswith("FAILED: ZeroDivisionError")
    assert all((tmp_path / "build" / "html" / href).is_file() for href, _, _ in links)


def test_nbval_kernels_run_over_ipc(tmp_path):
    """make test's nbval, with the repository's pytest configuration (-p tools.kernels), on a one-cell notebook."""
    notebook = tiny_notebook(tmp_path / "transport.ipynb", "Transport", PRINT_TRANSPORT, output="ipc\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pyproject.toml", str(notebook), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
    assert TCP_WARNING not in result.stdout + result.stderr
