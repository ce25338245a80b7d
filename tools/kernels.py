"""Kernels that talk to their runner over IPC (Unix sockets) instead of TCP on localhost.

A kernel on TCP listens on localhost ports that any local program can reach, and ipykernel says so at
every start ("Kernel is running over TCP without encryption … susceptible to eavesdropping"). The
course's runners start their kernels over IPC instead, with the sockets in Jupyter's private runtime
folder (mode 0700):

- ``tools/run_notebooks.py`` (``make run``, ``make execute``, ``make bench``) passes
  :class:`AsyncIPCKernelManager` to nbclient;
- nbval (``make test``) gets :class:`IPCKernelManager` from this module's pytest hook, which
  pyproject.toml loads with ``-p tools.kernels``;
- JupyterLab (``make lab``, ``make test-browser``) reads ``KernelManager.transport = "ipc"`` from the
  server configuration the Makefile writes into the venv (tools/jupyter/jupyter_server_config.json).

On Windows, which has no IPC transport in Jupyter, the kernels stay on TCP.
"""

from __future__ import annotations

import os
import uuid

from jupyter_client.localinterfaces import localhost
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default
from traitlets.config import LoggingConfigurable

from tools.jupyter_settings import TRANSPORT  # IPC, or TCP on Windows: one rule for every runner


def ipc_prefix() -> str:
    """An absolute, unique socket path prefix in the runtime folder (the kernel adds "-1" … "-5").

    Absolute because the kernel runs in the notebook's folder and the runner elsewhere: the
    relative default ("kernel-ipc") would name two different files. Short because a Unix socket
    path has at most 107 bytes.
    """
    runtime = jupyter_runtime_dir()
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    return os.path.join(runtime, f"kernel-{uuid.uuid4().hex[:12]}-ipc")


class IPCDefaults(LoggingConfigurable):
    """The IPC transport and a socket path in the private runtime folder, as defaults of a kernel manager."""

    @default("transport")
    def _default_transport(self) -> str:
        return TRANSPORT

    @default("ip")
    def _default_ip(self) -> str:
        return ipc_prefix() if self.transport == "ipc" else localhost()


class IPCKernelManager(IPCDefaults, KernelManager):
    """jupyter_client's KernelManager with the IPC transport by default (nbval uses this one)."""


class AsyncIPCKernelManager(IPCDefaults, AsyncKernelManager):
    """The asynchronous one (nbclient uses this one)."""


def pytest_configure(config) -> None:
    """pytest plugin hook: nbval starts its kernels through IPCKernelManager."""
    try:
        import nbval.kernel
    except ImportError:  # nbval not installed: nothing to configure
        return
    nbval.kernel.KernelManager = IPCKernelManager
