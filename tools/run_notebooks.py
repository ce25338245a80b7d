"""Execute every notebook headless, in order, and print a summary table.

    python tools/run_notebooks.py             # executed copies + HTML under build/
    python tools/run_notebooks.py --inplace   # re-execute and save the committed notebooks
    python tools/run_notebooks.py 03          # only notebooks whose name contains "03"

Exit status is non-zero if any notebook fails.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert import HTMLExporter

sys.path.insert(0, str(Path(__file__).parent))
from notebook_list import NOTEBOOK_DIR, all_notebooks, write_atomic  # noqa: E402

BUILD_DIR = NOTEBOOK_DIR.parent / "build"
CELL_TIMEOUT_S = 300


def execute(path: Path, record_timing: bool = False) -> tuple[nbformat.NotebookNode, str]:
    """Run one notebook in its own folder; return it and "ok" or the error's last line.

    ``record_timing`` stores each cell's start and end in its metadata (for benchmarks/;
    committed notebooks are saved without it, so re-running them changes no metadata).
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            record_timing=record_timing, resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    try:
        client.execute()
        return notebook, "ok"
    except (CellExecutionError, CellTimeoutError) as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # tracebacks carry terminal colours
        lines = [line for line in plain.strip().splitlines() if line.strip()]
        return notebook, f"FAILED: {lines[-1][:100] if lines else type(error).__name__}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filter", nargs="?", default="", help="run only notebooks whose path contains this")
    parser.add_argument("--inplace", action="store_true", help="save outputs into the notebooks themselves")
    args = parser.parse_args()

    rows = []
    for path in all_notebooks():
        relative = path.relative_to(NOTEBOOK_DIR)
        if args.filter not in str(relative):
            continue
        print(f"running {relative} …", flush=True)
        start = time.perf_counter()
        notebook, status = execute(path)
        seconds = time.perf_counter() - start
        text = nbformat.writes(notebook) + "\n"
        if args.inplace:
            if status == "ok":
                write_atomic(path, text)
        else:
            write_atomic(BUILD_DIR / "executed" / relative, text)
            html, _ = HTMLExporter().from_notebook_node(notebook)
            write_atomic((BUILD_DIR / "html" / relative).with_suffix(".html"), html)
        rows.append((str(relative), status, seconds))

    width = max((len(name) for name, _, _ in rows), default=8)
    print(f"\n{'notebook':<{width}}  {'status':<8}  seconds")
    for name, status, seconds in rows:
        print(f"{name:<{width}}  {status:<8}  {seconds:7.1f}")
    total = sum(seconds for _, _, seconds in rows)
    failed = sum(status != "ok" for _, status, _ in rows)
    print(f"{'total':<{width}}  {f'{failed} failed' if failed else 'all ok':<8}  {total:7.1f}")
    if not args.inplace:
        print(f"executed copies in {BUILD_DIR / 'executed'}, HTML in {BUILD_DIR / 'html'}")
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    raise SystemExit(main())
