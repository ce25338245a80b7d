"""Generate the navigation cells, the index's contents and the README's list from the notebooks' titles.

    python -m tools.navigation          # rewrite the generated cells where they changed
    python -m tools.navigation --check  # exit 1 if any generated cell is out of date (CI)

Generated cells carry a tag ("navigation" / "contents") and are never edited by hand.
Each lesson's title is the first "# " heading of its first cell, e.g. "# 01 · ImageNet …".
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import nbformat

from tlhelpers.assets import atomic_path
from tools.notebook_list import NOTEBOOK_DIR, lesson_of, lessons, solution_of, solutions

NAV_TAG = "navigation"
CONTENTS_TAG = "contents"


def title(path: Path) -> str:
    if not path.exists() and path.parent == NOTEBOOK_DIR:  # a lesson about to be generated: its instructor version
        path = solution_of(path)
    notebook = nbformat.read(path, as_version=4)
    for line in notebook.cells[0].source.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise SystemExit(f"{path.name}: first cell has no '# NN · Title' heading — add one")


def link(target: Path, start: Path) -> str:
    relative = Path(*[".."] * len(start.parent.relative_to(NOTEBOOK_DIR).parts), target.relative_to(NOTEBOOK_DIR))
    return f"[{title(target)}]({relative.as_posix()})"


KOREAN = "ko"  # notebooks/ko/: the Korean edition (tools/translations.py)


def korean_link(path: Path) -> str:
    """ " · [한국어](…)": the Korean edition of ``path`` (notebooks/ko/…), from ``path``'s folder."""
    target = NOTEBOOK_DIR / KOREAN / path.relative_to(NOTEBOOK_DIR)
    return f" · [한국어]({Path(os.path.relpath(target, path.parent)).as_posix()})"


def nav_text(path: Path) -> str:
    index = NOTEBOOK_DIR / "index.ipynb"
    if path.parent.name == "solutions":
        lesson = lesson_of(path)
        return f"< {link(lesson, path)} | {link(index, path)} >{korean_link(path)}"
    order = sorted({*lessons(), *map(lesson_of, solutions())})  # a lesson about to be generated has its place too
    position = order.index(path)
    previous = f"{link(order[position - 1], path)} | " if position > 0 else ""  # the first lesson: the index only
    following = f" | {link(order[position + 1], path)} >" if position + 1 < len(order) else " >"
    return f"< {previous}{link(index, path)}{following}{korean_link(path)}"


def contents_text() -> str:
    lines = ["## Contents", ""]
    for lesson in lessons():
        solution = solution_of(lesson)
        extra = f" — [solutions](solutions/{solution.name})" if solution.exists() else ""
        lines.append(f"1. [{title(lesson)}]({lesson.name}){extra}")
    lines += ["", "한국어판: [목차 (Korean edition)](ko/index.ipynb) — the same notebooks, text in Korean"]
    return "\n".join(lines)


def tagged(text: str, tag: str, cell_id: str) -> nbformat.NotebookNode:
    """A generated markdown cell with a fixed id, so regenerating it changes nothing."""
    cell = nbformat.v4.new_markdown_cell(text, id=cell_id)
    cell.metadata["tags"] = [tag]
    return cell


def with_navigation(notebook: nbformat.NotebookNode, text: str) -> None:
    """Navigation directly after the title cell and as the very last cell."""
    cells = [cell for cell in notebook.cells if NAV_TAG not in cell.metadata.get("tags", [])]
    notebook.cells = [
        cells[0],
        tagged(text, NAV_TAG, "navigation-top"),
        *cells[1:],
        tagged(text, NAV_TAG, "navigation-bottom"),
    ]


def with_contents(notebook: nbformat.NotebookNode, text: str) -> None:
    """Replace the tagged contents cell (or add one after the title cell)."""
    for cell in notebook.cells:
        if CONTENTS_TAG in cell.metadata.get("tags", []):
            cell.source = text
            return
    notebook.cells.insert(1, tagged(text, CONTENTS_TAG, CONTENTS_TAG))


README = NOTEBOOK_DIR.parent / "README.md"
README_START, README_END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"


def readme_list() -> str:
    lines = []
    for lesson in lessons():
        solution = Path("notebooks/solutions") / solution_of(lesson).name
        lines.append(f"1. [{title(lesson)}](notebooks/{lesson.name}) — [solutions]({solution.as_posix()})")
    return "\n".join(lines)


def update_readme(check: bool) -> bool:
    """Rewrite the README's list of notebooks between its two markers."""
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    new = f"{before}{README_START}\n{readme_list()}\n{README_END}{after}"
    if new != text and not check:
        with atomic_path(README) as tmp:
            tmp.write_text(new, encoding="utf-8")
    return new != text


def update(path: Path, check: bool) -> bool:
    """Regenerate one notebook's cells; return True if something was (or would be) changed."""
    notebook = nbformat.read(path, as_version=4)
    before = nbformat.writes(notebook)
    if path.name == "index.ipynb":
        with_contents(notebook, contents_text())
    else:
        with_navigation(notebook, nav_text(path))
    changed = nbformat.writes(notebook) != before
    if changed and not check:
        with atomic_path(path) as tmp:
            tmp.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report, exit 1 if out of date")
    args = parser.parse_args()
    stale = [p for p in [NOTEBOOK_DIR / "index.ipynb", *lessons(), *solutions()] if update(p, args.check)]
    if update_readme(args.check):
        stale.append(README)
    for path in stale:
        verb = "out of date (run `make nav`)" if args.check else "updated"
        print(f"{path.relative_to(NOTEBOOK_DIR.parent)}: {verb}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main())
