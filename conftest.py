"""Test configuration shared by the unit tests and the nbval notebook runs.

- Outbound network is blocked here and in every notebook kernel (IPython start-up file),
  so a hidden download fails loudly instead of passing on a machine that happens to be online.
- nbval does not compare stderr: progress bars (tqdm) write there, and their timings vary.
  Everything else is compared after the substitutions in tests/sanitize.cfg.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

from tests.netguard import block_network

matplotlib.use("Agg")
os.environ["IPYTHONDIR"] = str(Path(__file__).parent / "tests" / "ipython")
block_network()


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
