"""papermill round trip: every lesson's `parameters` cell is what papermill fills in.

papermill notebooks/01_imagenet_and_pretrained_models.ipynb out.ipynb -p TOP_K 3
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from tools.notebook_list import NOTEBOOK_DIR

LESSON = NOTEBOOK_DIR / "01_imagenet_and_pretrained_models.ipynb"
PAPERMILL = Path(sys.executable).with_name("papermill")


def test_papermill_runs_a_lesson_with_another_parameter(tmp_path):
    output = tmp_path / "01_top3.ipynb"
    result = subprocess.run(
        [str(PAPERMILL), str(LESSON), str(output), "-p", "TOP_K", "3", "--no-progress-bar"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    cells = nbformat.read(output, as_version=4).cells
    tags = [cell.metadata.get("tags", []) for cell in cells]
    injected = next(i for i, cell_tags in enumerate(tags) if "injected-parameters" in cell_tags)
    assert "parameters" in tags[injected - 1], "papermill puts its cell right after the parameters cell"
    assert "TOP_K = 3" in cells[injected].source

    explorer = next(cell for cell in cells if cell.source.startswith("prediction_explorer("))
    text = "".join(output.text for output in explorer.outputs if output.output_type == "stream")
    heading, *lines = text.strip().splitlines()
    assert heading.startswith("Top-3 predictions for 'cat (chelsea)'"), heading
    assert len(lines) == 3 and "cat" in lines[0], lines  # the top 3 (not 5), the cat first
