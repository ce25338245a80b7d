"""The notebooks' text may not drift from their outputs.

Two mechanisms, both run by ``make test`` on the committed notebooks:

- every number a markdown cell quotes must be printed by (or set in) the code of its section, or be listed
  with its source in ``tools.claims.CITED`` (``tools/claims.py``);
- every statement the text makes about a run is a ``check_statements`` line (``yes``/``NO``): a committed ``NO``
  fails here, and a run that flips a ``yes`` fails nbval, which compares the line.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from tools import claims

NOTEBOOKS = claims.notebooks()


def ids(paths):
    return [str(path.relative_to(claims.ROOT / "notebooks")) for path in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_quoted_number_is_printed_in_its_notebook(path):
    problems = claims.unbacked(path)
    assert not problems, (
        "the text quotes numbers no output gives — fix the text, or cite the source in "
        "tools/claims.py:CITED:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_checked_claim_holds_in_the_committed_run(path):
    notebook = nbformat.read(path, as_version=4)
    failed = [
        f"cell {index}: {line.strip()}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and "check_statements(" in cell.source
        for line in claims._output_text(cell).splitlines()
        if line.startswith("NO ")
    ]
    assert not failed, f"{path.name}: the committed run contradicts its own text:\n" + "\n".join(failed)


def test_every_citation_is_still_quoted():
    text = {
        key: "\n".join(
            cell.source
            for path in NOTEBOOKS
            if path.stem.split("_")[0] == key
            for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "markdown"
        )
        for key in claims.CITED
    }
    stale = [f"{key}: {number}" for key, cited in claims.CITED.items() for number in cited if number not in text[key]]
    assert not stale, f"CITED lists numbers no notebook text quotes any more: {stale}"


def _with_sentence(path: Path, old: str, new: str, tmp_path: Path) -> Path:
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells if cell.cell_type == "markdown" and old in cell.source]
    assert cells, f"{old!r} is not in {path.name} any more — pick another sentence for this test"
    cells[0].source = cells[0].source.replace(old, new, 1)
    changed = tmp_path / path.name
    nbformat.write(copy.deepcopy(notebook), changed)
    return changed


@pytest.mark.parametrize(
    ("notebook", "old", "new", "flagged"),
    [
        # true sentences made wrong the way the audit of 2026-12-02 found them (a number no output prints)
        (
            "solutions/01_imagenet_and_pretrained_models_solutions.ipynb",
            "about 7 × 10¹⁷ FLOPs",
            "about 3.5 × 10¹⁷ FLOPs",
            "3.5 × 10¹⁷",
        ),
        (
            "solutions/03_feature_extraction_solutions.ipynb",
            "shirts\nare worst (48 % right)",
            "shirts\nare worst (58 % right)",
            "58 %",
        ),
        ("solutions/05a_how_far_from_imagenet_solutions.ipynb", "Fashion-MNIST 0.369", "Fashion-MNIST 0.36", "0.36"),
        ("solutions/02_model_anatomy_and_the_fc_layer_solutions.ipynb", "95.6 %", "96.5 %", "96.5 %"),
        (
            "01_imagenet_and_pretrained_models.ipynb",
            "AlexNet, a CNN trained on two GPUs, cut the error by 9.4 points",
            "AlexNet, a CNN trained on two GPUs, cut the error by 19.4 points",
            "19.4",
        ),
    ],
)
def test_a_wrong_number_in_the_text_is_caught(notebook, old, new, flagged, tmp_path):
    path = claims.ROOT / "notebooks" / notebook
    assert not claims.unbacked(path)
    problems = claims.unbacked(_with_sentence(path, old, new, tmp_path))
    assert len(problems) == 1 and f"“{flagged}”" in problems[0], problems


def test_what_counts_as_a_quoted_number():
    found = [
        written
        for written, *_ in claims.quoted_numbers(
            "ResNet-50 on `224` px, features.14, notebook 03 and section 5 (2012): 84 % of 1,280 × 5 weights, "
            "2.2 million, 209×, 7 × 10¹⁷ FLOPs"
        )
    ]
    assert found == ["7 × 10¹⁷", "84 %", "2.2 million", "209×"]
    assert claims.shapes("7 × 7 × 1,280 feature maps and 1,280 × 5 weights") == ["7x7x1280", "1280x5"]
