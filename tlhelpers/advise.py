"""The old import path of :mod:`tlhelpers.decision_matrix.advise`, kept for notebooks already handed out.

``tlhelpers.advise`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import advise

if __name__ == "__main__":  # python -m tlhelpers.advise
    raise SystemExit(advise.main())
sys.modules[__name__] = advise
