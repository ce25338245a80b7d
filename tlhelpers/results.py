"""The old import path of :mod:`tlhelpers.decision_matrix.results`, kept for notebooks already handed out.

``tlhelpers.results`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import results

if __name__ == "__main__":  # python -m tlhelpers.results
    raise SystemExit(results.main())
sys.modules[__name__] = results
