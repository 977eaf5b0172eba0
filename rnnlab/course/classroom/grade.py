"""Grade a class: collect the submissions, autograde them in parallel, write grades.csv.

The steps, in order:

1. ``collect``: one (student, assignment) pair per student and graded assignment;
   a missing or unreadable notebook is decided here and never reaches nbgrader.
2. the run's cgroup is made (bubblewrap checked first), then ``course.set_up``: the
   grading folder (locked for this run) gets the config, the sources and the
   sandboxes' ``rnnlab``.
3. ``prepare`` (one child process): the assignments and students are recorded in the
   gradebook, as ``nbgrader generate_assignment`` does, so grading works on a fresh
   clone; grades this run does not replace are removed. The assignments alone also go
   into a template gradebook, which each job starts from.
4. ``job.grade`` per pair, ``jobs`` at a time on this machine or on the workers of a
   Dask cluster (``cluster``): the notebook's bytes and the assignment's files go in;
   in a private folder, ``worker.grade`` (a child process) autogrades and writes the
   feedback, the kernel in its sandbox, the tests decided by the grader's process; the
   row, the files and the grades come back as data.
5. as results come back, the driver puts the files into the grading folder and
   ``worker.record`` (a child of the driver, the gradebook's only writer) records the
   grades; the run's progress bar (``progress``) moves by one.
6. ``report``: once every sandbox is gone, grades.csv (written whole or not at all) in
   the grading folder, and a summary.
"""

import contextlib
import json
import os
import sys
import sysconfig
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rnnlab.course.classroom import (
    cluster,
    collect,
    course,
    job,
    lock,
    outcomes,
    progress,
    report,
    run,
    sandbox,
    sandbox_library,
    secret,
)
from rnnlab.course.classroom.cgroups import Cgroup
from rnnlab.course.classroom.course import CourseError
from rnnlab.course.classroom.task import Isolation

WORKER = "rnnlab.course.classroom.worker"
PREPARE_TIMEOUT = 600.0
RECORD_TIMEOUT = 600.0
PROGRESS_LOG = "progress.log"  # in logs/: one progress line per notebook
TEMPLATE = "template.db"  # in the scratch folder: the gradebook a job starts from
GONE = "no longer in the folder of submissions: an earlier grade was removed"
UNSAFE = "graded without a sandbox (--unsafe-no-sandbox): as safe as the notebook is honest"


@dataclass
class Limits:
    """Per notebook: wall-clock seconds, seconds per cell (None: nbgrader_config.py's),
    and memory in GB for the grading process and for its kernel (0: no limit)."""

    timeout: float = 600.0
    cell_timeout: float | None = None
    memory_gb: float = 4.0

    @property
    def memory_bytes(self) -> int | None:
        return int(self.memory_gb * 2**30) or None


def _prepare(
    out: Path,
    assignments: list[str],
    students: list[str],
    ungraded: list[tuple[str, str]],
    db_url: str,
) -> dict:
    """Run ``worker.prepare``: ``{"max_scores": ..., "vanished": [...]}``."""
    template = out / course.SCRATCH / TEMPLATE
    args = (out, assignments, students, ungraded, db_url, template)
    return _in_child(out, "prepare", args, PREPARE_TIMEOUT, "recording the assignments")


def _record(out: Path, db_url: str, results: list[job.Result]) -> None:
    """Run ``worker.record``: the grades of finished jobs into the gradebook."""
    records = [result.record() for result in results]
    _in_child(out, "record", (out, db_url, records), RECORD_TIMEOUT, "recording grades")


def _in_child(out: Path, name: str, args: tuple, timeout: float, doing: str) -> dict:
    """Run ``worker.<name>(*args, log, result)`` in a child process; its JSON result."""
    log, result = out / "logs" / f"{name}.log", out / course.SCRATCH / f"{name}.json"
    result.unlink(missing_ok=True)
    outcome = run.run_one(run.Job((name,), f"{WORKER}:{name}", (*args, log, result), timeout))
    if outcome.exitcode != 0 or not result.exists():
        text = log.read_text(errors="replace") if log.exists() else "(no log: it did not start)"
        tail = "\n".join(text.splitlines()[-15:])
        raise CourseError(f"{doing} in the gradebook failed:\n{tail}")
    return json.loads(result.read_text())


@dataclass
class _Run:
    """What every notebook of one run shares."""

    limits: Limits
    sandboxed: bool
    secret: bytes
    courses: dict[str, job.Course]

    def job_of(self, submission: collect.Submission, number: int) -> job.Job:
        """The grading job of one submitted notebook."""
        content = submission.content
        seed = secret.case_seed(self.secret, submission.student, submission.assignment, content)
        return job.Job(
            student=submission.student, assignment=submission.assignment, content=content,
            course=self.courses[submission.assignment], number=number, seed=seed,
            timeout=self.limits.timeout, cell_timeout=self.limits.cell_timeout,
            memory_bytes=self.limits.memory_bytes, sandboxed=self.sandboxed,
        )  # fmt: skip


def _cgroup(sandboxed: bool) -> Cgroup | None:
    """The run's cgroup, after checking that bubblewrap makes sandboxes here; None when
    not sandboxed. SandboxUnavailableError, before anything is written, if either fails."""
    if not sandboxed:
        return None
    sandbox.check()
    cgroup = Cgroup.for_run()
    if cgroup is None:
        raise sandbox.SandboxUnavailableError(
            "no pids cgroup can be made here, and nothing else limits the processes of "
            "one sandbox alone (RLIMIT_NPROC counts all of a user's, and none of root's): "
            "run rnnlab grade as root, or where this user may write a cgroup "
            "(/sys/fs/cgroup); --unsafe-no-sandbox grades a folder you trust"
        )
    return cgroup


def _isolation(root: Path, out: Path, graded: list[str], cgroup: Cgroup | None) -> Isolation:
    """How this run isolates its kernels: the sandboxes' rnnlab, the packages each
    assignment's sandboxes show, and the run's cgroup."""
    if cgroup is None:
        return Isolation(sandboxed=False)
    library = sandbox_library.build(out / course.SCRATCH / "sandbox").parent
    site = Path(sysconfig.get_paths()["purelib"])
    packages = {name: sandbox.visible_packages(site, course.needs(root, name)) for name in graded}
    return Isolation(True, library, packages, tuple(cgroup.folders))


def grade_class(
    submissions: Path,
    *,
    root: Path,
    out: Path,
    db_url: str | None = None,
    jobs: int | None = None,
    limits: Limits | None = None,
    assignments: Collection[str] = (),
    sandboxed: bool = True,
    scheduler: str | None = None,
    terminal: TextIO | None = None,
) -> list[report.Row]:
    """Grade every student's notebooks in ``submissions``; write ``out/grades.csv``.

    Args:
        submissions: one sub-folder or zip per student.
        root: the course root (nbgrader_config.py and solutions/).
        out: the grading folder (may be ``root`` itself); one run at a time.
        db_url: the gradebook (any SQLAlchemy URL); default RNNLAB_DB_URL, else
            ``out/gradebook.db``.
        jobs: processes at a time; default os.cpu_count().
        limits: time and memory per notebook.
        assignments: grade only these; default those that anyone submitted.
        sandboxed: run each kernel in a bubblewrap sandbox (False: for a trusted folder).
        scheduler: a Dask scheduler's address (``tcp://host:8786``): grade on its
            workers; None grades on this machine, ``jobs`` at a time.
        terminal: where the progress bar and the summary go (default: sys.stdout).

    Returns:
        The rows of grades.csv.
    """
    start = time.monotonic()
    terminal = sys.stdout if terminal is None else terminal
    limits = limits or Limits()
    known = course.assignments(root)
    unknown = sorted(set(assignments) - set(known))
    if unknown:
        raise CourseError(f"unknown assignment {', '.join(unknown)}; the course has {known}")
    found = collect.collect(submissions, known, assignments)
    if not found.submissions:
        raise CourseError(f"no notebook of {known} in {submissions}")
    # Before anything is written: no grading without a sandbox, or without the cluster.
    cgroup = None if scheduler else _cgroup(sandboxed)
    engine = cluster.Dask(scheduler) if scheduler else None
    try:
        out.mkdir(parents=True, exist_ok=True)
        with lock.held(out):
            setting = _Setting(root, out, db_url, limits, sandboxed, cgroup)
            rows, workers = _grade_locked(found, setting, engine, jobs, terminal)
    finally:
        if cgroup is not None:
            cgroup.remove()  # whatever the run left (it removes its sandboxes as it goes)
        if engine is not None:
            engine.close()
    summary = report.summary(rows, found.notes, time.monotonic() - start, workers)
    print(summary, file=terminal, flush=True)
    return rows


@dataclass
class _Setting:
    """Where and how a run grades."""

    root: Path
    out: Path
    db_url: str | None
    limits: Limits
    sandboxed: bool
    cgroup: Cgroup | None  # this machine's, when it grades here


def _grade_locked(
    found: collect.Collected,
    setting: _Setting,
    engine: "cluster.Dask | None",
    jobs: int | None,
    terminal: TextIO,
) -> tuple[list[report.Row], int]:
    """Grade in the locked grading folder; the rows, and how many jobs ran at a time."""
    root, out, cgroup = setting.root, setting.out, setting.cgroup
    graded = sorted({s.assignment for s in found.submissions})
    course.set_up(root, out, graded)
    key, note = secret.course_secret(root)
    if note:
        found.notes.append(note)
    db_url = setting.db_url or os.environ.get("RNNLAB_DB_URL") or course.default_db_url(out)
    # A name that is no student id (collect says why) never reaches the gradebook.
    named = [s for s in found.submissions if collect.is_student_id(s.student)]
    students = sorted({s.student for s in named})
    ungraded = [(s.student, s.assignment) for s in named if s.content is None]
    prepared = _prepare(out, graded, students, ungraded, db_url)
    max_scores = prepared["max_scores"]
    template = out / course.SCRATCH / TEMPLATE
    courses = {a: job.Course.read(out, a, max_scores[a], template) for a in graded}
    this = _Run(setting.limits, setting.sandboxed, key, courses)

    rows, todo = [], []
    for student in prepared["vanished"]:
        for assignment in graded:
            course.discard(out, student, assignment, course.EVERYTHING)
            rows.append(
                report.Row(student, assignment, 0.0, max_scores[assignment], "missing", GONE)
            )
    for submission in found.submissions:
        if submission.content is None:
            if collect.is_student_id(submission.student):
                course.place(out, submission)  # removes an earlier run's copy
                course.discard(out, submission.student, submission.assignment)
            rows.append(outcomes.not_graded(submission, max_scores[submission.assignment]))
        else:
            course.place(out, submission)
            todo.append(this.job_of(submission, len(todo)))

    if engine is None:
        isolation = _isolation(root, out, graded, cgroup)
        scratch = out / course.SCRATCH / "work"
        scratch.mkdir(exist_ok=True)
        engine = cluster.Local(jobs or os.cpu_count() or 1, isolation, scratch)
    workers = engine.workers
    try:
        with (
            contextlib.closing(cluster.finished(engine, todo)) as batches,
            (out / "logs" / PROGRESS_LOG).open("w") as log,
            progress.Display(progress.Progress(len(todo)), terminal, log) as display,
        ):
            for batch in batches:
                results = [result for _, result in batch]
                for result in results:
                    job.unpack(result, out)
                _record(out, db_url, results)
                for result in results:
                    rows.append(result.row)
                    display.update(result.row, result.seconds)
    finally:
        if cgroup is not None:
            cgroup.kill()  # every sandbox of the run is gone before grades.csv is written
    if not setting.sandboxed:
        for row in rows:
            row.reason = f"{row.reason}; {UNSAFE}" if row.reason else UNSAFE
    rows.sort(key=lambda r: (r.student, r.assignment))
    report.write_csv(rows, out / "grades.csv")
    return rows, workers
