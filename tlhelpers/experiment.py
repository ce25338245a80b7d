"""The old import path of :mod:`tlhelpers.decision_matrix.config`, kept for notebooks already handed out.

``tlhelpers.experiment`` is the very same module object (not a copy): patching or pickling through either
name is the same.
"""

import sys

from tlhelpers.decision_matrix import config

sys.modules[__name__] = config
