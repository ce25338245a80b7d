"""The sandbox a submission's kernel runs in: bubblewrap (`bwrap`), with resource limits.

Why bubblewrap: it is Debian's and Ubuntu's own package (`apt-get install bubblewrap`), the sandbox under
Flatpak, kept by the Flatpak/containers people; it needs no daemon and no privilege (it runs as the instructor),
and it gives the shape grading needs: its own mount, PID, network, IPC and UTS namespaces. nbgrader itself
(trusted, ours) runs outside; only the kernel that executes the student's code is started inside
(:class:`SandboxKernelManager` builds its command line). Inside the sandbox:

- read-only: /usr (and /bin, /lib… as the system lays them out), a few files of /etc, the Python
  installation, the venv, the course's `tlhelpers/` package and the data caches (`~/.cache/tlhelpers`,
  torch's hub folder) — nothing else of the course: not `notebooks/solutions/`, not the grader's output,
  not the class folder, not nbgrader's gradebook or the instructor version in the temporary course;
- the student's folder in the temporary course, read-only: the notebook's folder (its working directory)
  and `results/` beside it;
- read-write: the kernel's runtime folder (its connection file and IPC sockets), private to this kernel;
- a private /tmp (HOME is /tmp/home) and /dev/shm (multiprocessing's locks), size-limited tmpfs, gone when the
  kernel ends;
- no network (an empty network namespace), its own PID namespace (it sees and signals nothing else, and
  every process it started is killed when the kernel ends: `--die-with-parent`, PID 1 of the namespace);
- limits (`prlimit`): memory (RLIMIT_DATA: heap and anonymous mappings, what an allocation takes; not the
  address space, which torch and its libraries reserve by gigabytes without using it), processes
  (RLIMIT_NPROC, counted in the sandbox's own user namespace), size of any file written, no core dumps.
  Wall time is the grader's (per cell and per submission), output size is :mod:`tools.grade_execute`'s.

As root (CI containers), bwrap runs privileged and the kernel is switched to an unused uid inside
(`setpriv`), because the kernel does not count processes against RLIMIT_NPROC for root.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import List, Unicode

REPO = Path(__file__).resolve().parent.parent
ETC_FILES = [
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "localtime",
    "nsswitch.conf",
    "passwd",
    "group",
    "fonts",
    "mime.types",
]
TOP_LEVEL = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]  # symlinks into /usr, or folders
HOME = "/tmp/home"
INSTALL_HINT = (
    "`sudo apt-get install bubblewrap` (Debian, Ubuntu; `dnf install bubblewrap` on Fedora), "
    "or pass --trusted to grade without a sandbox (only notebooks you trust)"
)


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Each has a command-line flag in `python -m tools.grade` (README)."""

    memory_mb: int = 6144  # data and anonymous memory of each process in the sandbox (RLIMIT_DATA)
    processes: int = 256  # processes and threads of the sandbox's user
    disk_mb: int = 1024  # the private /tmp (and so HOME); also the largest file it may write
    cell_timeout_s: int = 120  # per cell (nbgrader interrupts the cell; that exercise gets 0)
    timeout_s: int = 15 * 60  # per submission (everything is killed; what did not run gets 0)
    output_mb: int = 10  # outputs kept per notebook; the rest is dropped
    notebook_mb: int = 20  # the largest submission file accepted


@dataclass(frozen=True)
class Sandbox:
    """Where a kernel runs: the folders it reads, its working and runtime folders, its limits."""

    limits: Limits
    workdir: Path  # the notebook's folder; it and its parent are read-only
    runtime: Path  # connection file and sockets (read-write, private to this kernel)
    readable: tuple[Path, ...] = field(default_factory=tuple)  # extra read-only folders (--readable)
    threads: int = 1
    uid: int | None = None  # as root: the uid the kernel runs as


def torch_home() -> Path:
    """torch.hub's folder, found the way torch finds it, without importing torch."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(os.path.expanduser(os.environ.get("TORCH_HOME") or os.path.join(cache, "torch")))


def course_paths() -> list[Path]:
    """What a kernel of this course reads: Python, the venv, `tlhelpers/`, the data and weight caches."""
    from tlhelpers.assets import data_dir

    found = [Path(sys.base_prefix), Path(sys.prefix), REPO / "tlhelpers", data_dir(), torch_home()]
    return [path.resolve() for path in found if path.exists()]


def _parents(path: Path) -> list[str]:
    """``--dir`` for each folder above ``path``, world-traversable, so a uid of the sandbox can walk to it."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def bwrap_command(sandbox: Sandbox) -> list[str]:
    """The command prefix that runs a program in the sandbox (the program's argv follows it)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap")
    limits = sandbox.limits
    root = os.geteuid() == 0
    args = [
        bwrap,
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    if not root:  # a user namespace of its own; no nested ones (root: see the module's docstring)
        args += ["--unshare-user", "--disable-userns"]
    for top in TOP_LEVEL:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(limits.disk_mb << 20),
        "--tmpfs",
        "/tmp",
        "--chmod",
        "1777",
        "/tmp",
        "--perms",
        "0777",
        "--dir",
        HOME,
        # POSIX semaphores and shared memory (multiprocessing's locks: a DataLoader with workers)
        "--size",
        str(limits.disk_mb << 20),
        "--tmpfs",
        "/dev/shm",
        "--chmod",
        "1777",
        "/dev/shm",
    ]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for path in [*course_paths(), *sandbox.readable]:
        args += [*_parents(path), "--ro-bind", str(path), str(path)]
    student = sandbox.workdir.parent  # the notebook's folder and ../results beside it
    args += [*_parents(student), "--ro-bind", str(student), str(student)]
    args += [
        *_parents(sandbox.runtime),
        "--bind",
        str(sandbox.runtime),
        str(sandbox.runtime),
        "--chdir",
        str(sandbox.workdir),
    ]
    from tlhelpers.assets import data_dir

    environment = {
        "HOME": HOME,
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TLHELPERS_DATA_DIR": str(data_dir()),
        "TORCH_HOME": str(torch_home()),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(sandbox.threads),
        "MKL_NUM_THREADS": str(sandbox.threads),
        "MPLBACKEND": "agg",
    }
    args += ["--clearenv"]
    for name, value in environment.items():
        args += ["--setenv", name, value]
    if root:
        uid = sandbox.uid if sandbox.uid is not None else sandbox_uid()
        args += [
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            "--cap-add",
            "CAP_SETPCAP",
            "--",
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ]
    return [
        *args,
        "--",
        "prlimit",
        f"--data={limits.memory_mb << 20}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.disk_mb << 20}",
        "--core=0",
        "--",
    ]


def sandbox_uid() -> int:
    """An unused uid for one sandbox (as root), so that sandboxes side by side do not share a process count."""
    return random.randrange(1 << 20, 1 << 30)


def unavailable(limits: Limits = Limits()) -> str | None:
    """None if a sandbox can be made here, else one line: what is wrong and how to fix it."""
    if not sys.platform.startswith("linux"):
        return f"grading untrusted notebooks needs Linux (bubblewrap); on {sys.platform} pass --trusted to grade anyway"
    if shutil.which("bwrap") is None:
        return f"bubblewrap (bwrap) is not installed — {INSTALL_HINT}"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tl-sandbox-probe-") as folder:
        workdir, runtime = Path(folder) / "student" / "lesson", Path(folder) / "run"
        workdir.mkdir(parents=True)
        runtime.mkdir()
        probe = Sandbox(limits, workdir, runtime, uid=sandbox_uid())
        try:
            done = subprocess.run(
                [*bwrap_command(probe), sys.executable, "-c", "import tlhelpers"],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap could not start a sandbox ({error}) — {INSTALL_HINT}"
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1][:160]
        return (
            f"bwrap cannot create a sandbox here ({said}) — allow unprivileged user namespaces (Ubuntu 24.04: "
            "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`), or pass --trusted to grade anyway"
        )
    return None


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs under ``command`` (the prefix of :func:`bwrap_command`; empty: no sandbox).

    nbgrader's executor (:class:`tools.grade_execute.GradingExecute`) uses it; the grader writes ``command``
    into the temporary course's nbgrader_config.py. The kernel is interrupted by a message (a signal would
    reach bwrap, not the kernel), its connection file is readable by the sandbox's uid, and its stdout and
    stderr go nowhere (a flood there would fill the grader's memory; its outputs come over IPC).
    """

    command = List(Unicode(), default_value=[]).tag(config=True)

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            argv = [*self.command, sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            self._kernel_spec = KernelSpec(
                argv=argv, display_name="sandboxed", language="python", interrupt_mode="message", env={}
            )
        return self._kernel_spec

    def write_connection_file(self, **kwargs) -> None:
        if self.command:  # beside the sockets, in the one folder the sandbox shares with us (nbclient picks /tmp)
            name = os.path.basename(self.connection_file) or f"kernel-{os.getpid()}-{id(self):x}.json"
            self.connection_file = os.path.join(os.path.dirname(self.ip), name)
        super().write_connection_file(**kwargs)
        if self.command and os.path.exists(self.connection_file):
            os.chmod(self.connection_file, 0o644)  # readable by the sandbox's uid; no one else sees this folder

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        kw.update(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        await super()._async_launch_kernel(kernel_cmd, **kw)
