"""Block outbound network access, so that a hidden download fails loudly in tests.

Test machinery, not part of the course library. The test suite installs this guard in its
own process (the repository's ``conftest.py``) and in every notebook kernel (the IPython
start-up file ``tests/ipython/profile_default/startup/00-block-network.py``), so a notebook that would quietly fetch
weights or data from the internet fails under ``make test`` exactly as it would on an
offline laptop. Loopback stays open: Jupyter kernels talk to their clients over it.
"""

from __future__ import annotations

import ipaddress
import socket

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlockedError(OSError):
    """Raised instead of opening a connection to anything but this machine."""


def _is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):  # type: ignore[index]
        raise NetworkBlockedError(f"network access blocked in tests: tried to connect to {address!r}")
    return _real_connect(self, address)


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    if not _is_local(host):
        raise NetworkBlockedError(f"network access blocked in tests: tried to resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def block_network() -> None:
    """Make every non-loopback connection or name lookup raise NetworkBlockedError."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
