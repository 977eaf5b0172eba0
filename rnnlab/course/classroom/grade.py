"""Grade a class: collect the submissions, autograde them in parallel, write grades.csv.

The steps, in order:

1. ``collect``: one (student, assignment) pair per student and graded assignment;
   a missing or unreadable notebook is decided here and never reaches nbgrader.
2. the run's cgroup is made (bubblewrap checked first), then ``course.set_up``: the
   grading folder (locked for this run) gets the config, the sources and the
   sandboxes' ``rnnlab``.
3. ``prepare`` (one child process): the assignments and students are recorded in the
   gradebook, as ``nbgrader generate_assignment`` does, so grading works on a fresh
   clone; grades this run does not replace are removed.
4. ``worker.grade`` (one child process per pair, ``jobs`` at a time): autograde and
   feedback, the kernel in its sandbox, the tests decided by the grader's process.
5. ``outcomes`` and ``report``: once every sandbox is gone, grades.csv (written whole or
   not at all) in the grading folder, and a summary.
"""

import json
import os
import sysconfig
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from rnnlab.course.classroom import (
    collect,
    course,
    lock,
    outcomes,
    report,
    run,
    sandbox,
    sandbox_library,
    secret,
)
from rnnlab.course.classroom.cgroups import Cgroup
from rnnlab.course.classroom.course import CourseError
from rnnlab.course.classroom.task import Isolation, Task

WORKER = "rnnlab.course.classroom.worker"
PREPARE_TIMEOUT = 600.0
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
    log, result = out / "logs" / "prepare.log", out / course.SCRATCH / "prepare.json"
    result.unlink(missing_ok=True)
    args = (out, assignments, students, ungraded, db_url, log, result)
    job = run.Job(("prepare",), f"{WORKER}:prepare", args, PREPARE_TIMEOUT)
    outcome = run.run_one(job)
    if outcome.exitcode != 0 or not result.exists():
        text = log.read_text(errors="replace") if log.exists() else "(no log: it did not start)"
        tail = "\n".join(text.splitlines()[-15:])
        raise CourseError(f"recording the assignments in the gradebook failed:\n{tail}")
    return json.loads(result.read_text())


@dataclass
class _Run:
    """What every notebook of one run shares."""

    out: Path
    db_url: str
    limits: Limits
    isolation: Isolation
    secret: bytes

    def job(self, submission: collect.Submission, number: int) -> run.Job:
        """The grading job of one submitted notebook, its files of an earlier run reset."""
        paths = outcomes.JobFiles(self.out, submission.student, submission.assignment)
        for path in (paths.result, paths.progress, paths.journal):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
        seed = secret.case_seed(self.secret, paths.student, paths.assignment, submission.content)
        task = Task(
            root=self.out, student=paths.student, assignment=paths.assignment, number=number,
            db_url=self.db_url, timeout=self.limits.timeout,
            cell_timeout=self.limits.cell_timeout, memory_bytes=self.limits.memory_bytes,
            seed=seed, isolation=self.isolation, log=paths.log, result=paths.result,
            progress=paths.progress, journal=paths.journal,
        )  # fmt: skip
        return run.Job((paths.student, paths.assignment), f"{WORKER}:grade", (task,), task.timeout)


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
    echo: Callable[[str], None] = print,
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
        echo: prints progress and the summary.

    Returns:
        The rows of grades.csv.
    """
    start = time.monotonic()
    limits = limits or Limits()
    known = course.assignments(root)
    unknown = sorted(set(assignments) - set(known))
    if unknown:
        raise CourseError(f"unknown assignment {', '.join(unknown)}; the course has {known}")
    found = collect.collect(submissions, known, assignments)
    if not found.submissions:
        raise CourseError(f"no notebook of {known} in {submissions}")
    cgroup = _cgroup(sandboxed)  # before anything is written: no grading without a sandbox
    try:
        out.mkdir(parents=True, exist_ok=True)
        with lock.held(out):
            rows = _grade_locked(found, root, out, db_url, jobs, limits, cgroup, echo)
    finally:
        if cgroup is not None:
            cgroup.remove()  # whatever the run left (it removes its sandboxes as it goes)
    workers = jobs or os.cpu_count() or 1
    echo(report.summary(rows, found.notes, time.monotonic() - start, workers))
    return rows


def _grade_locked(
    found: collect.Collected,
    root: Path,
    out: Path,
    db_url: str | None,
    jobs: int | None,
    limits: Limits,
    cgroup: Cgroup | None,
    echo: Callable[[str], None],
) -> list[report.Row]:
    graded = sorted({s.assignment for s in found.submissions})
    course.set_up(root, out, graded)
    isolation = _isolation(root, out, graded, cgroup)
    key, note = secret.course_secret(root)
    if note:
        found.notes.append(note)
    db_url = db_url or os.environ.get("RNNLAB_DB_URL") or course.default_db_url(out)
    # A name that is no student id (collect says why) never reaches the gradebook.
    named = [s for s in found.submissions if collect.is_student_id(s.student)]
    students = sorted({s.student for s in named})
    ungraded = [(s.student, s.assignment) for s in named if s.content is None]
    prepared = _prepare(out, graded, students, ungraded, db_url)
    max_scores = prepared["max_scores"]
    this = _Run(out, db_url, limits, isolation, key)

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
            todo.append(this.job(submission, len(todo)))

    finished = 0

    def done(job: run.Job, outcome: run.Outcome) -> None:
        nonlocal finished
        finished += 1
        student, assignment = job.key
        row = outcomes.row_of(
            outcomes.JobFiles(out, student, assignment),
            outcome,
            max_scores[assignment],
            limits.timeout,
        )
        rows.append(row)
        echo(
            f"[{finished:>3}/{len(todo)}] {student} {assignment}: {row.status} "
            f"{row.score:g}/{row.max_score:g} ({outcome.seconds:.1f} s)"
        )

    try:
        run.run_all(todo, jobs or os.cpu_count() or 1, done)
    finally:
        if cgroup is not None:
            cgroup.kill()  # every sandbox of the run is gone before grades.csv is written
    if cgroup is None:
        for row in rows:
            row.reason = f"{row.reason}; {UNSAFE}" if row.reason else UNSAFE
    rows.sort(key=lambda r: (r.student, r.assignment))
    report.write_csv(rows, out / "grades.csv")
    return rows
