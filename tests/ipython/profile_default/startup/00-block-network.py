# Loaded by every notebook kernel that `make test` starts (the repository's conftest.py sets IPYTHONDIR).
# The guard lives in tests/netguard.py, outside the course library; it is run by path, so the kernel's
# sys.path stays as a learner's would be.
import os as _os
import runpy as _runpy

_runpy.run_path(_os.path.join(_os.environ["IPYTHONDIR"], _os.pardir, "netguard.py"))["block_network"]()
