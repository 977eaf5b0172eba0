"""One notebook to grade: everything its grading process needs, in one picklable record.

The driver (``grade``) builds a :class:`Task` per submitted notebook and the grading
process (``worker.grade``) reads it; this module imports nothing heavy, so the driver
never imports nbgrader.
"""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Isolation:
    """How the run isolates its kernels.

    Args:
        sandboxed: whether each kernel runs in a bubblewrap sandbox.
        library: the folder holding the sandbox's ``rnnlab`` (sandbox_library).
        packages: per assignment, the entries of site-packages its sandboxes show
            (sandbox.visible_packages).
        cgroup: the run's cgroup folders.
    """

    sandboxed: bool
    library: Path | None = None
    packages: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    cgroup: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Task:
    """One student's notebook for one assignment.

    ``timeout`` is the limit for the whole notebook, ``cell_timeout`` per cell (None:
    nbgrader_config.py's), ``memory_bytes`` per process (None: no limit); ``seed`` is
    where the hidden checks draw their cases from (see secret).
    """

    root: Path
    student: str
    assignment: str
    number: int  # the task's place in the run, which names its cgroup
    db_url: str
    timeout: float
    cell_timeout: float | None
    memory_bytes: int | None
    seed: int
    isolation: Isolation
    log: Path
    result: Path
    progress: Path
    journal: Path
