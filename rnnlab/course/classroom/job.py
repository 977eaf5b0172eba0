"""One notebook's grading as a function from bytes to data, wherever it runs.

What a job needs travels with it (:class:`Job`): the submitted notebook's bytes, and the
assignment's files (:class:`Course`: nbgrader_config.py, ``solutions/<assignment>/``, and
a gradebook holding that assignment alone). :func:`grade` writes them into a private
folder laid out like the grading folder, grades there in a child process (the kernel in
its sandbox, as ``worker.grade`` always did), and returns what came of it
(:class:`Result`): the grades.csv row, the autograded notebook, the feedback, the log,
and the grades for the gradebook, as data. The private folder is then removed, or, when
the process grading there was killed, by the next job under the same parent
(``workdirs``).

So a job needs no shared file system and never sees the course's gradebook: the driver
puts the files into the grading folder (:func:`unpack`) and records the grades
(``worker.record``), the same way whether the job ran on this machine or on a worker of
a Dask cluster (``cluster``). This module imports nothing heavy: the driver imports it.
"""

import functools
import sysconfig
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from rnnlab.course.classroom import (
    course,
    outcomes,
    report,
    run,
    sandbox,
    sandbox_library,
    workdirs,
)
from rnnlab.course.classroom.cgroups import Cgroup
from rnnlab.course.classroom.task import Isolation, Task

WORKER = "rnnlab.course.classroom.worker"
GRADEBOOK = "gradebook.db"  # the job's private gradebook, in its private folder


@dataclass(frozen=True)
class Course:
    """An assignment's points, and its files as ``{path relative to the course root:
    bytes}``: the config, ``solutions/<assignment>/`` and the private gradebook's first
    state."""

    assignment: str
    max_score: float
    files: dict[str, bytes]

    @classmethod
    def read(cls, out: Path, assignment: str, max_score: float, template: Path) -> "Course":
        """The assignment's files from the grading folder ``out``; ``template`` is the
        gradebook holding the assignments alone (``worker.prepare``)."""
        source = out / course.SOURCE / assignment
        files = {
            path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(source.rglob("*"))
            if path.is_file()
        }
        files[course.CONFIG] = (out / course.CONFIG).read_bytes()
        files[GRADEBOOK] = template.read_bytes()
        return cls(assignment, max_score, files)


@dataclass(frozen=True)
class Job:
    """One student's notebook for one assignment, and how to grade it.

    ``number`` is the job's place in the run (it names its cgroup); ``seed`` where the
    hidden checks draw their cases from (the course secret stays with the driver).
    """

    student: str
    assignment: str
    content: bytes
    course: Course
    number: int
    seed: int
    timeout: float
    cell_timeout: float | None
    memory_bytes: int | None
    sandboxed: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.student, self.assignment)


@dataclass
class Result:
    """What a job sends back: its row, the files it made (relative to the grading
    folder), the grades for ``worker.record``, and how long it took."""

    row: report.Row
    files: dict[str, bytes] = field(default_factory=dict)
    gradebook: dict | None = None
    seconds: float = 0.0

    def record(self) -> dict:
        """What ``worker.record`` writes into the gradebook for this job."""
        row = self.row
        return {
            "student": row.student,
            "assignment": row.assignment,
            "status": row.status,
            "gradebook": self.gradebook,
        }


def _private_folder(folder: Path, job: Job) -> None:
    """Lay out a job's private folder like a grading folder: the course's files and
    the submitted notebook where nbgrader looks for it."""
    for name, content in job.course.files.items():
        path = folder / _relative(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (folder / course.SCRATCH).mkdir(exist_ok=True)
    submitted = folder / "submitted" / job.student / job.assignment
    submitted.mkdir(parents=True)
    (submitted / f"{job.assignment}.ipynb").write_bytes(job.content)


def _relative(name: str) -> PurePosixPath:
    """A path that stays inside the folder it is joined to, or ValueError."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"not a relative path inside the folder: {name!r}")
    return path


def _made(folder: Path, paths: outcomes.JobFiles) -> dict[str, bytes]:
    """The files of a finished job that go to the grading folder: its log, and (when
    graded) the autograded notebook and the feedback."""
    kinds = [folder / kind / paths.student / paths.assignment for kind in course.OUTPUTS]
    found = [path for kind in kinds if kind.is_dir() for path in sorted(kind.rglob("*"))]
    if paths.log.exists():
        found.append(paths.log)
    return {paths.relative(path): path.read_bytes() for path in found if path.is_file()}


def grade(
    job: Job,
    isolation: Isolation,
    scratch: Path | None = None,
    running: set[int] | None = None,
) -> Result:
    """Grade one notebook in a private folder under ``scratch`` (default: this user's
    working folders, ``workdirs.here()``); the child's pid is in ``running`` while it
    runs."""
    with workdirs.Workdir(scratch or workdirs.here(), f"job-{job.number}-") as folder:
        _private_folder(folder, job)
        if isolation.sandboxed and job.assignment not in isolation.packages:
            needs = course.needs(folder, job.assignment)
            site = Path(sysconfig.get_paths()["purelib"])
            packages = {job.assignment: _visible_packages(site, needs)}
            isolation = replace(isolation, packages=packages)
        paths = outcomes.JobFiles(folder, job.student, job.assignment)
        paths.result.parent.mkdir(parents=True)
        task = Task(
            root=folder, student=job.student, assignment=job.assignment, number=job.number,
            db_url=f"sqlite:///{(folder / GRADEBOOK).resolve()}", timeout=job.timeout,
            cell_timeout=job.cell_timeout, memory_bytes=job.memory_bytes, seed=job.seed,
            isolation=isolation, log=paths.log, result=paths.result,
            progress=paths.progress, journal=paths.journal,
        )  # fmt: skip
        child = run.Job(job.key, f"{WORKER}:grade", (task,), job.timeout)
        outcome = run.run_one(child, running)
        workdirs.sweep(workdirs.here())  # its kernel's folder, if the child was killed
        row = outcomes.row_of(paths, outcome, job.course.max_score, job.timeout)
        saved = outcomes.gradebook_of(paths.result) if row.status == "graded" else None
        return Result(row, _made(folder, paths), saved, outcome.seconds)


# A worker grades many notebooks of the same assignments: the packages its sandboxes show
# are found once per worker process, not once per job.
_visible_packages = functools.cache(sandbox.visible_packages)


def unpack(result: Result, out: Path) -> None:
    """Put a job's files into the grading folder ``out``, in place of an earlier run's."""
    student, assignment = result.row.student, result.row.assignment
    course.discard(out, student, assignment)
    for name, content in result.files.items():
        path = out / _relative(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def isolation_here(folder: Path, cgroup: Cgroup | None) -> Isolation:
    """This machine's isolation: the sandboxes' rnnlab built into ``folder``, and the
    cgroup ``cgroup`` (None: no sandbox). The packages each assignment's sandboxes show
    are found per job, from its notebook."""
    if cgroup is None:
        return Isolation(sandboxed=False)
    library = sandbox_library.build(folder / "sandbox").parent
    return Isolation(True, library, {}, tuple(cgroup.folders))
