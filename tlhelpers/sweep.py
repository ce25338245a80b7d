"""The old import path of :mod:`tlhelpers.decision_matrix.sweep`, kept for notebooks already handed out.

``tlhelpers.sweep`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import sweep

if __name__ == "__main__":  # python -m tlhelpers.sweep
    raise SystemExit(sweep.main())
sys.modules[__name__] = sweep
