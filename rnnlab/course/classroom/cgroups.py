"""A process and memory limit per sandbox that holds for root too: Linux cgroups.

``ulimit -u`` (RLIMIT_NPROC) does not limit root, and counts every process of a user
(so a fork bomb in one notebook would starve the others). A ``pids`` cgroup per
sandbox limits that sandbox alone, and the ``memory`` controller caps what its
processes and its in-memory folders use together. ``rnnlab grade`` makes one cgroup
for the run (``rnnlab-<pid>`` under its own) and one inside it per notebook; at the
end every process left in them is killed and the folders removed.

Both cgroup versions are handled: v1 (one hierarchy per controller, such as
``/sys/fs/cgroup/pids``) and v2 (``/sys/fs/cgroup`` unified, where the controllers
must be enabled in the parent's ``cgroup.subtree_control``). Where no hierarchy is
writable, :meth:`Cgroup.for_run` returns None and the caller decides.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("pids", "memory", "cpu")
PERIOD = 100_000  # microseconds: the CPU quota is counted per period


def _own_paths() -> list[Path]:
    """The folders of this process's cgroups that hold the pids or memory controller."""
    paths = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        names = controllers.split(",")
        if controllers == "" and (ROOT / "cgroup.controllers").exists():  # v2, unified
            paths.append(ROOT / path.lstrip("/"))
        paths += [ROOT / name / path.lstrip("/") for name in CONTROLLERS if name in names]
    return paths


def _stale_runs(own: list[Path]) -> list["Cgroup"]:
    """The cgroups of earlier runs whose process is gone (killed before it could remove
    them): whatever they hold is killed too."""
    stale = []
    for folder in own:
        for path in folder.glob("rnnlab-*") if folder.is_dir() else ():
            pid = path.name.removeprefix("rnnlab-")
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                stale.append(Cgroup([path]))
    return stale


class Cgroup:
    """The same cgroup in each hierarchy that has one of :data:`CONTROLLERS`."""

    def __init__(self, folders: list[Path]):
        self.folders = folders

    @classmethod
    def for_run(cls) -> "Cgroup | None":
        """A new cgroup for this run under this process's own, in every hierarchy that
        lets this process make one; None where none with a pids controller can be made (no
        cgroup file system, or no right to write it). The memory controller is optional."""
        try:
            own = _own_paths()
        except OSError:
            return None
        for stale in _stale_runs(own):
            stale.remove()
        made = []
        for folder in own:
            run = cls([folder / f"rnnlab-{os.getpid()}"])
            try:
                run._make()
            except OSError:
                run.remove()
                continue
            made += run.folders
        run = cls(made)
        if not any((folder / "pids.max").exists() for folder in made):
            run.remove()
            return None
        return run

    def _make(self) -> None:
        for folder in self.folders:
            folder.mkdir(exist_ok=True)
            if (folder / "cgroup.subtree_control").exists():  # v2: let children limit
                for controller in CONTROLLERS:  # each where the parent has it
                    with contextlib.suppress(OSError):
                        (folder / "cgroup.subtree_control").write_text(f"+{controller}")

    def child(
        self, name: str, processes: int, memory_bytes: int | None, cpus: float = 1.0
    ) -> "Cgroup":
        """A cgroup inside this one holding at most ``processes`` tasks (threads count),
        ``memory_bytes`` of memory, and ``cpus`` CPUs' worth of time (so that processes
        of one sandbox cannot starve the others, however many they are)."""
        cgroup = Cgroup([folder / name for folder in self.folders])
        cgroup.remove()
        cgroup._make()
        quota = round(cpus * PERIOD)
        limits = {"pids.max": processes, "cpu.max": f"{quota} {PERIOD}", "cpu.cfs_quota_us": quota}
        if memory_bytes:
            limits |= {"memory.max": memory_bytes, "memory.limit_in_bytes": memory_bytes}
        for folder in cgroup.folders:
            for file, value in limits.items():
                if (folder / file).exists():
                    (folder / file).write_text(str(value))
        return cgroup

    def pids(self) -> set[int]:
        """Every process in this cgroup and the cgroups inside it."""
        found = set()
        for folder in self.folders:
            for procs in folder.rglob("cgroup.procs") if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    found |= {int(pid) for pid in procs.read_text().split()}
        return found

    def kill(self, seconds: float = 10.0) -> bool:
        """Kill every process in this cgroup (a fork bomb included) until none is left;
        False if some survived ``seconds``."""
        deadline = time.monotonic() + seconds
        while (alive := self.pids()) and time.monotonic() < deadline:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        return not self.pids()

    def remove(self) -> None:
        """Kill what is left, then remove the folders (the deepest first)."""
        self.kill()
        for folder in self.folders:
            inner = (
                [path for path in folder.rglob("*") if path.is_dir()] if folder.is_dir() else []
            )
            for path in [*sorted(inner, key=lambda p: -len(p.parts)), folder]:
                with contextlib.suppress(OSError):
                    path.rmdir()
