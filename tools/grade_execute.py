"""nbgrader's executor, as the grader runs it: the kernel in the sandbox, the verdict of each graded cell
recorded outside it, and outputs cut to size and to safe types.

nbgrader's `autograde` runs this preprocessor in place of its own `Execute` (the grader writes that into the
temporary course's nbgrader_config.py). It runs in nbgrader's process, outside the sandbox:

- the kernel is started by :class:`tools.sandbox.SandboxKernelManager` (in bubblewrap, unless --trusted);
- after each graded cell, one line goes to ``record_path`` (a file the sandbox cannot see): its grade id and
  whether it passed — the kernel's reply said "ok" and the cell has no error output. The grader reads its
  points from there, never from nbgrader's own partial credit (which believes an ``execute_result`` that the
  student's code can print before the hidden tests run);
- outputs are kept up to ``max_output_bytes`` per notebook; the rest is dropped with one line saying so;
- an output keeps only text/plain, PNG and JPEG: no HTML, JavaScript, SVG or widget reaches the feedback
  page; text loses the bytes that are not valid UTF-8 and control characters;
- widget messages are ignored, so no output can be routed around these rules.
"""

from __future__ import annotations

import json
import re

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer, Unicode

from tools.sandbox import SandboxKernelManager

SAFE_TYPES = ("text/plain", "image/png", "image/jpeg")
BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")


def clean_text(text) -> str:
    """Valid UTF-8 without control characters (ANSI escapes, tabs and newlines stay)."""
    if isinstance(text, list):
        text = "".join(str(part) for part in text)
    return CONTROL.sub("", str(text).encode("utf-8", "replace").decode("utf-8"))


def clean_output(output: NotebookNode) -> NotebookNode | None:
    """The output with only safe content, or None where nothing safe is left."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return NotebookNode(output_type="stream", name=name, text=clean_text(output.get("text", "")))
    if kind == "error":
        return NotebookNode(
            output_type="error",
            ename=clean_text(output.get("ename", "")),
            evalue=clean_text(output.get("evalue", "")),
            traceback=[clean_text(line) for line in output.get("traceback", [])][:200],
        )
    if kind in ("display_data", "execute_result"):
        data = {}
        for mime in SAFE_TYPES:
            value = output.get("data", {}).get(mime)
            if mime == "text/plain" and value is not None:
                data[mime] = clean_text(value)
            elif isinstance(value, str) and BASE64.match(value):
                data[mime] = value
        if not data:
            return None
        clean = NotebookNode(output_type=kind, data=data, metadata={})
        if kind == "execute_result":
            count = output.get("execution_count")
            clean["execution_count"] = count if isinstance(count, int) else None
        return clean
    return None


def output_size(output: NotebookNode) -> int:
    return len(json.dumps(output, default=str))


class GradingExecute(Execute):
    """nbgrader's Execute with the sandboxed kernel, the recorded verdicts and the output rules above."""

    record_path = Unicode("", help="where each graded cell's verdict is appended (outside the sandbox)").tag(
        config=True
    )
    max_output_bytes = Integer(10 << 20, help="outputs kept per notebook").tag(config=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kwargs)
        self.store_widget_state = False
        self._spent = 0

    def preprocess(self, nb, resources=None, km=None):
        self._spent = 0
        return super().preprocess(nb, resources, km)

    def handle_comm_msg(self, outs, msg, cell_index) -> None:
        return None  # no widgets: an Output widget could capture outputs past the rules of output()

    def output(self, outs, msg, display_id, cell_index):
        if self._spent > self.max_output_bytes:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            self._spent += output_size(out)
            if self._spent > self.max_output_bytes:
                outs[-1] = NotebookNode(
                    output_type="stream",
                    name="stderr",
                    text=f"[the grader kept {self.max_output_bytes >> 20} MB of output; the rest was dropped]\n",
                )
        return out

    def on_cell_executed(self, **kwargs) -> None:
        super().on_cell_executed(**kwargs)  # nbgrader adds the error output of a timeout
        cell, reply = kwargs["cell"], kwargs.get("execute_reply") or {}
        cell.outputs = [clean for clean in map(clean_output, cell.get("outputs", [])) if clean is not None]
        meta = cell.get("metadata", {}).get("nbgrader")
        if not (isinstance(meta, dict) and meta.get("grade") and self.record_path):
            return
        status = (reply.get("content") or {}).get("status")
        passed = status == "ok" and not any(output.output_type == "error" for output in cell.outputs)
        with open(self.record_path, "a", encoding="utf-8") as record:
            record.write(json.dumps({"grade_id": str(meta.get("grade_id")), "passed": passed}) + "\n")
