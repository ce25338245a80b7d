"""Static checks over the code and the notebooks: nothing unpickles data it loads (issue: security)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("tlhelpers", "data_scripts", "tools", "benchmarks")


def python_sources() -> dict[str, str]:
    sources = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
    }
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        sources[str(path.relative_to(ROOT))] = "\n".join(
            line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
    return sources


def calls(source: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]


def name_of(call: ast.Call) -> str:
    return ast.unparse(call.func)


def keyword(call: ast.Call, name: str) -> str | None:
    return next((ast.unparse(k.value) for k in call.keywords if k.arg == name), None)


def test_torch_load_always_uses_weights_only():
    offenders = [
        f"{path}: {ast.unparse(call)}"
        for path, source in python_sources().items()
        for call in calls(source)
        if name_of(call).endswith("torch.load") and keyword(call, "weights_only") != "True"
    ]
    assert not offenders, offenders


def test_no_pickle_of_anything_loaded():
    offenders = []
    for path, source in python_sources().items():
        for call in calls(source):
            name = name_of(call)
            if name in ("pickle.load", "pickle.loads", "dill.load", "joblib.load"):
                offenders.append(f"{path}: {name}")
            if name.endswith("np.load") and keyword(call, "allow_pickle") not in (None, "False"):
                offenders.append(f"{path}: {ast.unparse(call)}")
    assert not offenders, offenders


def test_this_scan_finds_what_it_looks_for():
    """The scan itself works: a bad call in a snippet is caught."""
    bad = calls("import torch\ntorch.load('x.pt')\nnp.load('a.npy', allow_pickle=True)")
    assert name_of(bad[0]) == "torch.load" and keyword(bad[0], "weights_only") is None
    assert keyword(bad[1], "allow_pickle") == "True"
