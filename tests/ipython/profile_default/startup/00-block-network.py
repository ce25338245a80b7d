# Loaded by every notebook kernel that `make test` starts (tests/conftest.py sets IPYTHONDIR).
from tlhelpers.netguard import block_network

block_network()
del block_network
