"""The old import path of :mod:`tlhelpers.decision_matrix.pools`, kept for notebooks already handed out.

``tlhelpers.pools`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import pools

sys.modules[__name__] = pools
