"""The old import path of :mod:`tlhelpers.decision_matrix.strategies`, kept for notebooks already handed out.

``tlhelpers.strategies`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import strategies

sys.modules[__name__] = strategies
