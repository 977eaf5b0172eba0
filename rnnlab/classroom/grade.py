"""Grade a class: collect the submissions, autograde them in parallel, write grades.csv.

The steps, in order:

1. ``collect``: one (student, assignment) pair per student and graded assignment;
   a missing or unreadable notebook is decided here and never reaches nbgrader.
2. ``course.set_up``: the grading folder gets the config and the sources.
3. ``prepare`` (one child process): the assignments and students are recorded in the
   gradebook, as ``nbgrader generate_assignment`` does, so grading works on a fresh
   clone.
4. ``worker.grade`` (one child process per pair, ``jobs`` at a time): autograde and
   feedback, under a memory limit and a wall-clock limit.
5. ``report``: grades.csv in the grading folder, and a summary.
"""

import json
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from rnnlab.classroom import collect, course, report, run
from rnnlab.classroom.course import CourseError

WORKER = "rnnlab.classroom.worker"
PREPARE_TIMEOUT = 600.0


@dataclass
class Limits:
    """Per notebook: wall-clock seconds, seconds per cell (None: nbgrader_config.py's),
    and address space in GB for the grading process and its kernel (0: no limit)."""

    timeout: float = 600.0
    cell_timeout: float | None = None
    memory_gb: float = 4.0


@dataclass
class _Paths:
    out: Path
    student: str
    assignment: str

    def _under(self, kind: str, suffix: str) -> Path:
        return self.out / kind / self.assignment / f"{self.student}{suffix}"

    @property
    def log(self) -> Path:
        return self._under("logs", ".log")

    @property
    def result(self) -> Path:
        return self._under(f"{course.SCRATCH}/jobs", ".json")

    @property
    def progress(self) -> Path:
        return self._under(f"{course.SCRATCH}/jobs", ".cell")

    def relative(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()


def _prepare(
    out: Path, assignments: list[str], students: list[str], db_url: str
) -> dict[str, float]:
    log, result = out / "logs" / "prepare.log", out / course.SCRATCH / "prepare.json"
    result.unlink(missing_ok=True)
    args = (out, assignments, students, db_url, log, result)
    job = run.Job(("prepare",), f"{WORKER}:prepare", args, PREPARE_TIMEOUT)
    outcome = run.run_one(job)
    if outcome.exitcode != 0 or not result.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise CourseError(f"recording the assignments in the gradebook failed:\n{tail}")
    return json.loads(result.read_text())


def _job(out: Path, submission: collect.Submission, db_url: str, limits: Limits) -> run.Job:
    """The grading job of one submitted notebook, its result and progress files reset."""
    paths = _Paths(out, submission.student, submission.assignment)
    paths.result.parent.mkdir(parents=True, exist_ok=True)
    paths.result.unlink(missing_ok=True)
    paths.progress.unlink(missing_ok=True)
    memory = int(limits.memory_gb * 2**30) or None
    args = (out, paths.student, paths.assignment, db_url, limits.timeout, limits.cell_timeout,
            memory, paths.log, paths.result, paths.progress)  # fmt: skip
    return run.Job((paths.student, paths.assignment), f"{WORKER}:grade", args, limits.timeout)


def _not_graded(submission: collect.Submission, max_score: float) -> report.Row:
    """The row of a notebook that is missing or unreadable: 0, with the reason."""
    s = submission
    return report.Row(s.student, s.assignment, 0.0, max_score, s.status, s.reason)


def _row_of(paths: _Paths, outcome: run.Outcome, max_score: float, timeout: float) -> report.Row:
    """The grades.csv row of a grading job, from its result file or how it ended."""
    row = report.Row(paths.student, paths.assignment, 0.0, max_score, "crashed")
    if outcome.timed_out:
        cell = paths.progress.read_text() if paths.progress.exists() else ""
        where = f", while running {cell}" if cell else ""
        row.status = "timeout"
        row.reason = f"stopped after {timeout:g} s, the limit per notebook{where}"
    elif paths.result.exists():
        result = json.loads(paths.result.read_text())
        row.status, row.reason = result["status"], result["reason"]
        row.score = result.get("score", 0.0)
        row.max_score = result.get("max_score", max_score)
    else:
        code = outcome.exitcode
        how = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
        row.reason = f"the grading process died ({how}); see {paths.relative(paths.log)}"
    if row.status == "error":
        row.reason += f" (see {paths.relative(paths.log)})"
    feedback = course.feedback_file(paths.out, paths.student, paths.assignment)
    if row.status == "graded" and feedback.exists():
        row.feedback = paths.relative(feedback)
    else:
        course.discard(paths.out, paths.student, paths.assignment)
    return row


def grade_class(
    submissions: Path,
    *,
    root: Path,
    out: Path,
    db_url: str | None = None,
    jobs: int | None = None,
    limits: Limits | None = None,
    assignments: Collection[str] = (),
    echo: Callable[[str], None] = print,
) -> list[report.Row]:
    """Grade every student's notebooks in ``submissions``; write ``out/grades.csv``.

    Args:
        submissions: one sub-folder or zip per student.
        root: the course root (nbgrader_config.py and solutions/).
        out: the grading folder (may be ``root`` itself).
        db_url: the gradebook (any SQLAlchemy URL); default RNNLAB_DB_URL, else
            ``out/gradebook.db``.
        jobs: processes at a time; default os.cpu_count().
        limits: time and memory per notebook.
        assignments: grade only these; default those that anyone submitted.
        echo: prints progress and the summary.

    Returns:
        The rows of grades.csv.
    """
    start = time.monotonic()
    limits = limits or Limits()
    workers = jobs or os.cpu_count() or 1
    known = course.assignments(root)
    unknown = sorted(set(assignments) - set(known))
    if unknown:
        raise CourseError(f"unknown assignment {', '.join(unknown)}; the course has {known}")
    found = collect.collect(submissions, known, assignments)
    if not found.submissions:
        raise CourseError(f"no notebook of {known} in {submissions}")
    graded = sorted({s.assignment for s in found.submissions})
    course.set_up(root, out, graded)
    db_url = db_url or os.environ.get("RNNLAB_DB_URL") or course.default_db_url(out)
    students = sorted({s.student for s in found.submissions})
    max_scores = _prepare(out, graded, students, db_url)

    rows, todo = [], []
    for submission in found.submissions:
        course.place(out, submission)
        if submission.content is None:
            course.discard(out, submission.student, submission.assignment)
            rows.append(_not_graded(submission, max_scores[submission.assignment]))
        else:
            todo.append(_job(out, submission, db_url, limits))

    finished = 0

    def done(job: run.Job, outcome: run.Outcome) -> None:
        nonlocal finished
        finished += 1
        student, assignment = job.key
        row = _row_of(
            _Paths(out, student, assignment), outcome, max_scores[assignment], limits.timeout
        )
        rows.append(row)
        echo(
            f"[{finished:>3}/{len(todo)}] "
            f"{student} {assignment}: {row.status} {row.score:g}/{row.max_score:g} "
            f"({outcome.seconds:.1f} s)"
        )

    run.run_all(todo, workers, done)
    rows.sort(key=lambda r: (r.student, r.assignment))
    report.write_csv(rows, out / "grades.csv")
    echo(report.summary(rows, found.notes, time.monotonic() - start, workers))
    return rows
