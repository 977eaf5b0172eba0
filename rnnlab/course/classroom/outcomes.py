"""One notebook's grading job: where its files are, and the row of grades.csv it ends as.

A grading job leaves files in the grading folder (``JobFiles``): its log, its result
(written by the grading process), the cell it was running, and the verdicts of its test
cells. ``row_of`` turns them, and how the process ended (timed out, killed, ...), into
the student's row; a job that left nothing usable is ``crashed``, never a crash of the
run.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from rnnlab.course.classroom import collect, course, report, run


@dataclass
class JobFiles:
    """Where the files of one (student, assignment) job are in the grading folder."""

    out: Path
    student: str
    assignment: str

    def _under(self, kind: str, suffix: str) -> Path:
        return self.out / kind / self.assignment / f"{self.student}{suffix}"

    @property
    def log(self) -> Path:
        return self._under("logs", ".log")

    def _job_file(self, name: str) -> Path:
        # One folder per job: an id may hold dots, so "<student>.<suffix>" could be
        # another student's file ("bob.verdicts" + ".json").
        return self._under(f"{course.SCRATCH}/jobs", "") / name

    @property
    def result(self) -> Path:
        return self._job_file("result.json")

    @property
    def progress(self) -> Path:
        return self._job_file("cell")

    @property
    def journal(self) -> Path:
        return self._job_file("verdicts.json")

    def relative(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()


def not_graded(submission: collect.Submission, max_score: float) -> report.Row:
    """The row of a notebook that is missing or unreadable: 0, with the reason."""
    s = submission
    return report.Row(s.student, s.assignment, 0.0, max_score, s.status, s.reason)


def row_of(paths: JobFiles, outcome: run.Outcome, max_score: float, timeout: float) -> report.Row:
    """The grades.csv row of a grading job, from its result file or how it ended."""
    row = report.Row(paths.student, paths.assignment, 0.0, max_score, "crashed")
    if outcome.timed_out:
        cell = paths.progress.read_text() if paths.progress.exists() else ""
        where = f", while running {cell}" if cell else ""
        row.status = "timeout"
        row.reason = f"stopped after {timeout:g} s, the limit per notebook{where}"
    elif (result := _result(paths.result)) is not None:
        row.status, row.reason = result["status"], result["reason"]
        row.score = float(result.get("score", 0.0))
        row.max_score = float(result.get("max_score", max_score))
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


def _result(path: Path) -> dict | None:
    """A grading process's result file, or None if there is none it could have written."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    fields = isinstance(result, dict) and {"status", "reason"} <= set(result)
    return result if fields and result["status"] in report.STATUSES else None


def gradebook_of(path: Path) -> dict | None:
    """The grades a graded job left in its result file (``worker._grades``), or None."""
    result = _result(path)
    saved = result.get("gradebook") if result else None
    return saved if isinstance(saved, dict) else None
