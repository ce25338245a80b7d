"""The old import path of :mod:`tlhelpers.decision_matrix.selection_results`, kept for notebooks already handed out.

``tlhelpers.selection_results`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import selection_results

if __name__ == "__main__":  # python -m tlhelpers.selection_results
    raise SystemExit(selection_results.main())
sys.modules[__name__] = selection_results
