"""The sandbox a submitted notebook's kernel runs in: bubblewrap, hard limits, a small view.

Inside, the kernel sees:

* the system (``/usr``), Python and the packages a kernel needs (ipykernel, numpy,
  matplotlib and what they require), read-only; not the grader's packages, and not
  torch unless the assignment needs it (``course.needs``);
* a course package reduced to what a student may import (:mod:`.sandbox_library`):
  ``rnnlab.activations`` and ``rnnlab.init``, but no reference model;
* a private, size-limited home folder (its working folder) and ``/tmp``, and the
  folder where it makes its ZMQ ``ipc`` sockets; the grader reaches those through
  ``/proc/<pid>/root`` (:mod:`.kernel`), so nothing the kernel writes lands on disk.

Nothing else: no grading folder, gradebook, ``solutions/``, repository, other student,
home folder, or environment variable of the grader's. It has no network, its own PID
namespace and session, dies with its parent, and runs under hard limits (soft = hard,
so it cannot raise them): address space, file size, open files, CPU time, no core
files; a pids, memory and cpu cgroup (:mod:`.cgroups`) that holds for root too; and a
seccomp filter (:mod:`.seccomp`) against the system calls that reach past namespaces.
"""

import functools
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from rnnlab.course.classroom.cgroups import Cgroup

INSTALL = (
    "rnnlab grade runs every notebook in a bubblewrap sandbox, and bwrap was not found. "
    "Install it: `sudo apt-get install bubblewrap` (Debian, Ubuntu), "
    "`sudo dnf install bubblewrap` (Fedora), `sudo pacman -S bubblewrap` (Arch). "
    "To grade a folder you trust without a sandbox: --unsafe-no-sandbox."
)
KERNEL_PACKAGES = ("ipykernel", "numpy", "matplotlib")
HOME = "/home/student"  # the kernel's working folder
IPC = "/run/kernel"  # where the kernel makes its sockets
CONNECTION = "/run/connection.json"
SYSTEM = ("/usr", "/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives")
MERGED_USR = ("bin", "lib", "lib64", "sbin")  # symlinks into /usr on current systems
ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": HOME,
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "PYTHONNOUSERSITE": "1",
    "OPENBLAS_NUM_THREADS": "1",  # one notebook, one core: the run grades several at once
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class SandboxUnavailableError(Exception):
    """Notebooks cannot be sandboxed on this machine; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    """Hard limits of one sandbox (soft = hard: the kernel cannot raise them)."""

    cpu_seconds: int
    memory_bytes: int | None = 4 * 2**30  # address space per process, and the cgroup's
    file_bytes: int = 64 * 2**20  # the largest file it may write
    open_files: int = 512
    processes: int = 64  # processes and threads, in its pids cgroup
    cpus: float = 1.0  # the share of CPU time it may use, in its cpu cgroup
    folder_bytes: int = 256 * 2**20  # each in-memory folder (home, /tmp)

    def prlimit(self) -> list[str]:
        """``prlimit`` setting these limits, soft = hard, on the command that follows."""
        limits = {
            "cpu": self.cpu_seconds,
            "fsize": self.file_bytes,
            "nofile": self.open_files,
            "core": 0,
        }
        if self.memory_bytes:
            limits["as"] = self.memory_bytes
        return [_tool("prlimit"), *(f"--{name}={value}:{value}" for name, value in limits.items())]


# Moves the shell into each cgroup folder given before "--", then runs the rest: the
# sandbox's every process starts inside its cgroups, with no moment outside.
JOIN = (
    'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; done; '
    'shift; exec "$@"'
)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SandboxUnavailableError(f"{name} was not found (Debian: apt-get install util-linux)")
    return found


def bwrap() -> str:
    """The bwrap executable (SandboxUnavailableError, with how to install it, if missing)."""
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailableError(INSTALL)
    return found


def check() -> None:
    """Make one sandbox, as a kernel's is made, or raise SandboxUnavailableError saying why."""
    found = bwrap()
    probe = [found, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
             *_merged_usr(), "--proc", "/proc", "--dev", "/dev", "true"]  # fmt: skip
    done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SandboxUnavailableError(
            f"bwrap cannot make a sandbox here ({done.stderr.strip()[-300:]}); user "
            "namespaces may be off: sudo sysctl -w kernel.unprivileged_userns_clone=1"
        )


def _below_tmp(paths: list[Path]) -> list[Path]:
    """The folders right below /tmp that hold one of ``paths`` (a checkout in /tmp/ci
    with its venv). bwrap makes them in the sandbox's writable /tmp to bind the paths
    inside; each gets an in-memory folder of its own, made read-only once the paths are
    bound, so that nothing can be written beside them (a file at the checkout's path,
    even a private one, would look like the instructor's)."""
    tmp = Path("/tmp")
    return sorted(
        {tmp / p.relative_to(tmp).parts[0] for p in paths if p.is_relative_to(tmp) and p != tmp}
    )


def _merged_usr() -> list[str]:
    """/bin, /lib, ... as in the host: symlinks into /usr, or read-only folders."""
    found = []
    for name in MERGED_USR:
        path = Path("/") / name
        if path.is_symlink():
            found += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            found += ["--ro-bind", str(path), str(path)]
    return found


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def kernel_distributions(names=KERNEL_PACKAGES) -> list[importlib.metadata.Distribution]:
    """The installed distributions a kernel needs: ``names`` and what they require."""
    found, todo = {}, list(names)
    while todo:
        name = todo.pop()
        if _key(name) in found:
            continue
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found[_key(name)] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


@functools.cache  # reading every distribution's file list takes a second or two
def visible_packages(site_packages: Path, needs: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """The entries of ``site_packages`` (packages, modules, metadata) of the kernel's
    distributions and of those an assignment ``needs`` (such as torch): the only ones
    the sandbox shows."""
    tops = {
        file.parts[0]
        for distribution in kernel_distributions((*KERNEL_PACKAGES, *needs))
        for file in distribution.files or []
    }
    tops -= {"..", "__pycache__"}
    return tuple(sorted(site_packages / top for top in tops if (site_packages / top).exists()))


@dataclass(frozen=True)
class Sandbox:
    """What one kernel's sandbox is made of.

    Args:
        library: the folder holding the sandbox's ``rnnlab`` (see sandbox_library).
        packages: the entries of site-packages it shows (visible_packages, found once
            per run: reading every distribution's file list takes a second or two).
        limits: its hard limits.
        cgroup: its pids, memory and cpu cgroup.
    """

    library: Path
    packages: tuple[Path, ...]
    limits: Limits
    cgroup: Cgroup

    def _mounts(self) -> list[str]:
        """bwrap's arguments for the file system: the in-memory folders first, so that a
        Python or a venv below /tmp (a CI checkout) is bound on top of them, not hidden;
        the folders that holds it there are read-only (see :func:`_below_tmp`)."""
        site = Path(sysconfig.get_paths()["purelib"])
        base_site = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["purelib"])
        args = ["--proc", "/proc", "--dev", "/dev"]
        for folder in ("/tmp", HOME, IPC, "/dev/shm"):
            args += ["--size", str(self.limits.folder_bytes), "--tmpfs", folder]
        for path in SYSTEM:
            if Path(path).exists():
                args += ["--ro-bind", path, path]
        args += _merged_usr()
        bound = [Path(sys.base_prefix), Path(sys.prefix), *map(Path, self.packages)]
        below_tmp = _below_tmp(bound)
        args += [arg for top in below_tmp for arg in ("--tmpfs", str(top))]
        args += ["--ro-bind", sys.base_prefix, sys.base_prefix, "--tmpfs", str(base_site)]
        args += ["--ro-bind", sys.prefix, sys.prefix, "--tmpfs", str(site)]
        for entry in self.packages:
            args += ["--ro-bind", str(entry), str(entry)]
        args += ["--ro-bind", str(self.library / "rnnlab"), str(site / "rnnlab")]
        args += [arg for top in below_tmp for arg in ("--remount-ro", str(top))]
        return [*args, "--remount-ro", str(site)]

    def command(
        self, kernel: list[str], connection_file: Path, info_fd: int, seccomp_fd: int | None
    ) -> list[str]:
        """The command that runs ``kernel`` (its connection file at :data:`CONNECTION`)
        in the sandbox: into the cgroup, with an empty environment (bwrap stays the
        sandbox's process 1, whose environment the kernel can read), under the limits,
        then bwrap, which writes the sandbox's pid as JSON to ``info_fd`` and loads the
        seccomp filter (:mod:`.seccomp`) from ``seccomp_fd`` before it runs the kernel."""
        args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += [*self._mounts(), "--ro-bind", str(connection_file), CONNECTION]
        args += ["--remount-ro", "/"]
        args += ["--chdir", HOME, "--clearenv"]
        for name, value in ENV.items():
            args += ["--setenv", name, value]
        if seccomp_fd is not None:
            args += ["--seccomp", str(seccomp_fd)]
        sandbox = [bwrap(), *args, "--info-fd", str(info_fd), *kernel]
        cgroups = [str(folder) for folder in self.cgroup.folders]
        return [
            _tool("sh"),
            "-c",
            JOIN,
            "sh",
            *cgroups,
            "--",
            _tool("env"),
            "-i",
            *self.limits.prlimit(),
            "--",
            *sandbox,
        ]
