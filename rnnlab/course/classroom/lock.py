"""One run at a time per grading folder: a lock file held while ``rnnlab grade`` runs.

Two runs on one folder would write the same gradebook rows, feedback and grades.csv at
once. The lock is an ``flock`` on ``.rnnlab/lock`` in the grading folder: the system
releases it when the process ends, however it ends, so a crashed run never leaves the
folder locked. A second run refuses at once, saying which process holds the folder.
"""

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from rnnlab.course.classroom.course import SCRATCH, CourseError


@contextlib.contextmanager
def held(out: Path) -> Iterator[None]:
    """Hold the grading folder ``out`` for this process, or raise CourseError."""
    path = out / SCRATCH / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise CourseError(
                f"{out} is being graded by {holder}: wait until that run ends, or grade "
                "into another folder (--out)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, f"rnnlab grade (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})".encode(), 0
        )
        yield
    finally:
        os.close(fd)
