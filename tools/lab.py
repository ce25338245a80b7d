"""JupyterLab on the contents page, offline, with the course's settings (`make lab`; works without make).

python -m tools.lab [JUPYTERLAB ARGUMENTS]
"""

from __future__ import annotations

import os
import sys

from tools import jupyter_settings
from tools.notebook_list import NOTEBOOK_DIR


def main() -> int:
    jupyter_settings.write()
    command = [sys.executable, "-m", "jupyterlab", str(NOTEBOOK_DIR / "index.ipynb"), *sys.argv[1:]]
    if os.name == "nt":  # no exec on Windows: run it as a child and pass its exit status on
        import subprocess

        return subprocess.call(command)
    os.execv(sys.executable, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
