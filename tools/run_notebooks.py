"""Execute every notebook headless, in order, and print a summary table.

    python -m tools.run_notebooks             # executed copies + HTML under build/ (build/html/index.html)
    python -m tools.run_notebooks --inplace   # re-execute and save the committed notebooks
    python -m tools.run_notebooks 03          # only notebooks whose name contains "03"
    python -m tools.run_notebooks 06 --cwd /tmp/x   # from another working directory, as a hosted service does

One line per notebook as it finishes (status, seconds, time since the start), then the table.
Kernels run over IPC (tools/kernels.py). Exit status is non-zero if any notebook fails.
"""

from __future__ import annotations

import argparse
import html
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert import HTMLExporter

from tlhelpers.assets import atomic_path
from tools.kernels import AsyncIPCKernelManager
from tools.navigation import title
from tools.notebook_list import NOTEBOOK_DIR, all_notebooks

BUILD_DIR = NOTEBOOK_DIR.parent / "build"
CELL_TIMEOUT_S = 300


def execute(path: Path, record_timing: bool = False, cwd: Path | None = None) -> tuple[nbformat.NotebookNode, str]:
    """Run one notebook in its own folder (or in ``cwd``); return it and "ok" or the error's last line.

    ``record_timing`` stores each cell's start and end in its metadata (for benchmarks/;
    committed notebooks are saved without it, so re-running them changes no metadata).
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        kernel_manager_class=AsyncIPCKernelManager,
        record_timing=record_timing,
        resources={"metadata": {"path": str(cwd or path.parent)}},
    )
    try:
        client.execute()
        return notebook, "ok"
    except (CellExecutionError, CellTimeoutError) as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # tracebacks carry terminal colours
        lines = [line for line in plain.strip().splitlines() if line.strip()]
        return notebook, f"FAILED: {lines[-1][:100] if lines else type(error).__name__}"


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def index_html(rows: list[tuple[str, str, float]], headings: list[str]) -> str:
    """build/html/index.html: every notebook of this run, in order, linked, with its status and seconds."""
    items = "\n".join(
        f'<li><a href="{html.escape(Path(name).with_suffix(".html").as_posix())}">{html.escape(heading)}</a>'
        f" — {html.escape(status)}, {seconds:.0f} s</li>"
        for (name, status, seconds), heading in zip(rows, headings)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Executed notebooks</title></head>\n'
        f"<body>\n<h1>Executed notebooks</h1>\n<ol>\n{items}\n</ol>\n</body>\n</html>\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filter", nargs="?", default="", help="run only notebooks whose path contains this")
    parser.add_argument("--inplace", action="store_true", help="save outputs into the notebooks themselves")
    parser.add_argument("--cwd", type=Path, help="run the kernels in this folder instead of each notebook's own")
    args = parser.parse_args()
    if args.cwd is not None:
        args.cwd.mkdir(parents=True, exist_ok=True)

    selected = [path for path in all_notebooks() if args.filter in str(path.relative_to(NOTEBOOK_DIR))]
    rows, headings = [], []
    run_start = time.perf_counter()
    for number, path in enumerate(selected, 1):
        relative = path.relative_to(NOTEBOOK_DIR)
        print(f"[{number:>2}/{len(selected)}] {relative} …", end="", flush=True)
        start = time.perf_counter()
        notebook, status = execute(path, cwd=args.cwd)
        seconds = time.perf_counter() - start
        text = nbformat.writes(notebook) + "\n"
        if args.inplace:
            if status == "ok":
                write_text(path, text)
        else:
            write_text(BUILD_DIR / "executed" / relative, text)
            page, _ = HTMLExporter().from_notebook_node(notebook)
            write_text((BUILD_DIR / "html" / relative).with_suffix(".html"), page)
        rows.append((str(relative), status, seconds))
        headings.append(title(path))
        if not args.inplace:  # rewritten after each notebook, so it is current while the run goes on
            write_text(BUILD_DIR / "html" / "index.html", index_html(rows, headings))
        print(f" {status} in {seconds:.1f} s ({time.perf_counter() - run_start:.0f} s elapsed)", flush=True)

    width = max((len(name) for name, _, _ in rows), default=8)
    print(f"\n{'notebook':<{width}}  {'status':<8}  seconds")
    for name, status, seconds in rows:
        print(f"{name:<{width}}  {status:<8}  {seconds:7.1f}")
    total = sum(seconds for _, _, seconds in rows)
    failed = sum(status != "ok" for _, status, _ in rows)
    print(f"{'total':<{width}}  {f'{failed} failed' if failed else 'all ok':<8}  {total:7.1f}")
    if not args.inplace:
        print(f"executed copies in {BUILD_DIR / 'executed'}, HTML in {BUILD_DIR / 'html'} (start at index.html)")
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    raise SystemExit(main())
