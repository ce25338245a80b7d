"""Write the course's Jupyter settings into the running environment (the venv), never into the user's home.

    python -m tools.jupyter_settings     # make test, make lab and make test-browser run it first

- ``<prefix>/share/jupyter/lab/settings/overrides.json``: JupyterLab fetches no news and checks for no
  updates (``tools/jupyter/overrides.json``);
- ``<prefix>/etc/jupyter/jupyter_server_config.json``: no PyPI look-ups from the extension manager, and the
  server's kernels on the transport of :mod:`tools.kernels` (IPC where the OS has Unix sockets, TCP on
  Windows) — ``tools/jupyter/jupyter_server_config.json`` with that one value filled in.

Standard library only, so that it runs before anything else is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SOURCE = Path(__file__).with_name("jupyter")
LAB_SETTINGS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
SERVER_CONFIG = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
TRANSPORT = "tcp" if sys.platform == "win32" else "ipc"  # jupyter_client has no IPC transport on Windows


def lab_settings() -> dict:
    return json.loads((SOURCE / "overrides.json").read_text(encoding="utf-8"))


def server_config() -> dict:
    config = json.loads((SOURCE / "jupyter_server_config.json").read_text(encoding="utf-8"))
    config["KernelManager"]["transport"] = TRANSPORT
    return config


def write() -> list[Path]:
    written = []
    for path, content in ((LAB_SETTINGS, lab_settings()), (SERVER_CONFIG, server_config())):
        text = json.dumps(content, indent=2) + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
            written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path}")
