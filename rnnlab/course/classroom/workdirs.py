"""Working folders that a killed process cannot leave behind.

A job grades in a private folder, a Dask worker keeps the sandboxes' ``rnnlab`` in one,
and a grading process keeps its kernel's connection file and sockets in one. Each is
removed when its work ends, but a process that is killed (a lost worker, a grading
process over its time limit, a driver stopped with SIGKILL) removes nothing. So each
folder (:class:`Workdir`) is made under a known parent and held, while it is in use, by
an ``flock`` on the folder itself, which the system releases when the holder dies,
however it dies. Making a new folder first removes every folder of the parent that no
process holds (:func:`sweep`): what a dead predecessor left goes with the next job, on
any worker of the machine. Dask's own worker folders work the same way.

The parent is the grading folder's scratch folder for a run on this machine, and
``$TMPDIR/rnnlab-<uid>`` (:func:`here`, this user's alone) on a worker and for kernels.
"""

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from pathlib import Path


def here() -> Path:
    """This user's parent of working folders on this machine: ``rnnlab-<uid>`` in the
    system's temporary folder, made private (0700) if new. PermissionError when it
    exists but is not a private folder of this user's."""
    path = Path(tempfile.gettempdir()) / f"rnnlab-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    found = path.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid() or found.st_mode & 0o077:
        raise PermissionError(
            f"{path} is not a private folder of this user's (uid {os.geteuid()}): it is "
            f"owned by uid {found.st_uid} with mode {stat.filemode(found.st_mode)}; "
            "remove it, or point TMPDIR elsewhere"
        )
    return path


def _open(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def sweep(parent: Path) -> list[Path]:
    """Remove every folder in ``parent`` that no live process holds; the removed ones."""
    removed = []
    for path in sorted(parent.iterdir()):
        try:
            fd = _open(path)
        except OSError:  # not a folder, or gone already
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its process is alive
            os.close(fd)
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


class Workdir:
    """A new folder in ``parent`` whose name starts with ``prefix``, held by this
    process until :meth:`close` removes it; a context manager. Making one sweeps the
    parent first."""

    def __init__(self, parent: Path, prefix: str):
        parent.mkdir(parents=True, exist_ok=True)
        sweep(parent)
        while True:
            path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            fd = _open(path)
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while a sweep holds it
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            os.close(fd)  # a sweep took the new folder for a dead one's: make another
        self.path, self._fd = path, fd

    def close(self) -> None:
        """Remove the folder and let it go (again: nothing)."""
        if self._fd is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.close()
