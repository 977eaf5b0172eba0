"""What one grading process runs: nbgrader's converters, called in-process.

``run.py`` starts these functions in child processes forked from a server that has
already imported nbgrader (two seconds saved per notebook). Each child limits its own
memory (the kernel it starts inherits the limit), sends its output to a log file, and
writes a small JSON result the driver reads back.

``grade`` works in a job's private folder with a private gradebook (``job.py``), so it
never sees the course's gradebook: the grades it leaves travel back as data, and
``record``, a child of the driver, is the only one that writes them into the gradebook.
"""

import contextlib
import json
import logging
import math
import os
import resource
import signal
import sys
import traceback
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets.config import Config, PyFileConfigLoader
from traitlets.log import get_logger

from rnnlab.course.classroom import course, feedback
from rnnlab.course.classroom.cgroups import Cgroup
from rnnlab.course.classroom.executor import TrustedExecute
from rnnlab.course.classroom.failures import (
    cell_label,
    describe_crash,
    describe_disagreements,
    describe_failures,
)
from rnnlab.course.classroom.restore import restore
from rnnlab.course.classroom.sandbox import Limits, Sandbox
from rnnlab.course.classroom.task import Task

ALARM_MARGIN = 60  # seconds past the driver's limit
GRADER_MEMORY = 4 * 2**30  # address space of a grading process whose kernel is sandboxed
OUT_OF_MEMORY = "the grading process ran out of memory reading what the kernel sent"
MAX_FEEDBACK = 8 * 2**20  # bytes: a feedback file past this is replaced by a note
FEEDBACK_CUT = (
    f"the feedback was larger than {MAX_FEEDBACK // 2**20} MB (very long outputs or cells), "
    "so it holds this note only; the score stands"
)


def _start(log_path: Path, memory_bytes: int | None = None) -> None:
    """Set the limits, the log file and the environment of this grading process."""
    if memory_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for fd in (1, 2):  # the kernel's own output lands here too
        os.dup2(log, fd)
    # nbgrader runs `alembic` to create a gradebook: this environment's bin comes first.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # The gradebook URL (a password, perhaps) goes to nbgrader's config, not to the kernel.
    os.environ.pop("RNNLAB_DB_URL", None)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    get_logger().addHandler(handler)
    get_logger().setLevel(logging.INFO)


def load_config(root: Path, db_url: str) -> Config:
    """The course's nbgrader_config.py, with this run's gradebook and feedback settings."""
    cfg = PyFileConfigLoader(course.CONFIG, path=str(root)).load_config()
    cfg.CourseDirectory.root = str(root.resolve())
    cfg.CourseDirectory.db_url = db_url
    cfg.GenerateFeedback.preprocessors = feedback.feedback_preprocessors()
    return cfg


def _write(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))


def prepare(
    root: Path,
    assignments: list[str],
    students: list[str],
    ungraded: list[tuple[str, str]],
    db_url: str,
    template: Path,
    log: Path,
    result: Path,
) -> None:
    """Record the assignments (nbgrader generate_assignment) and the students in the
    gradebook, clear what no longer holds, and write ``{"max_scores": {assignment:
    max_score}, "vanished": [student, ...]}``.

    The assignments are also recorded, alone, in a new SQLite gradebook ``template``:
    each job grades into a copy of it (``job.py``).

    The release copy goes to a scratch folder, never to the course's exercises/. The
    students are created here, one after the other, because two grading processes that
    both create the same student (two notebooks of one student at once) collide. A
    gradebook grade that this run does not replace is removed: that of each
    ``(student, assignment)`` in ``ungraded`` (missing or invalid now), and every graded
    assignment of a student of the gradebook who is no longer in the folder
    (``vanished``: the driver gives them a row ``missing``).
    """
    _start(log)
    cfg = load_config(root, db_url)
    cfg.CourseDirectory.release_directory = f"{course.SCRATCH}/release"
    template.unlink(missing_ok=True)
    for url in (db_url, f"sqlite:///{template.resolve()}"):
        cfg.CourseDirectory.db_url = url
        for assignment in assignments:
            coursedir = CourseDirectory(config=cfg, assignment_id=assignment)
            generate = GenerateAssignment(coursedir=coursedir, config=cfg)
            generate.force = True
            generate.start()
    with Gradebook(db_url, cfg.CourseDirectory.course_id) as gb:
        for student in students:
            gb.update_or_create_student(student)
        scores = {name: gb.find_assignment(name).max_score for name in assignments}
        vanished = sorted({s.id for s in gb.students} - set(students))
        stale = [*ungraded, *((s, a) for s in vanished for a in assignments)]
        for student, assignment in stale:
            with contextlib.suppress(MissingEntry):
                gb.remove_submission(assignment, student)
    _write(result, {"max_scores": scores, "vanished": vanished})


class _ErrorLog:
    """Keeps the ERROR messages nbgrader logs (it catches the exceptions itself)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def filter(self, record) -> bool:
        if record.levelname == "ERROR":
            self.messages.append(record.getMessage())
        return True


def grade(task: Task) -> None:
    """Autograde one student's assignment in its sandbox, write its feedback, and write
    the result: ``{"status", "score", "max_score", "reason"}``.

    ``task.timeout`` is the driver's limit for the whole notebook; a cell may run for
    ``task.cell_timeout`` seconds (default: nbgrader_config.py's), never longer: an
    endless loop in one cell is interrupted, and the cells after it still run.
    """
    # A sandboxed kernel has limits of its own; this process's bound the messages it reads.
    _start(task.log, GRADER_MEMORY if task.isolation.sandboxed else task.memory_bytes)
    # The driver kills this process at `timeout`; should the driver itself die, the
    # alarm still ends it (and the sandbox dies with its parent).
    signal.alarm(math.ceil(task.timeout) + ALARM_MARGIN)
    box = _sandbox(task)
    try:
        outcome = _autograde(task, box)
    except MemoryError:  # what the kernel sent did not fit: the notebook's doing
        traceback.print_exc()
        outcome = {"status": "crashed", "reason": OUT_OF_MEMORY}
    except Exception as err:  # a failure of the grading itself, not of the notebook
        traceback.print_exc()
        outcome = {"status": "error", "reason": f"{type(err).__name__}: {err}"[:200]}
    finally:
        if box is not None:
            box.cgroup.remove()  # nothing the kernel started outlives its notebook
    _write(task.result, outcome)


def _grades(task: Task, cfg: Config) -> dict:
    """What autograde wrote into the job's private gradebook, as data for ``record``:
    per notebook, each grade cell's ``[auto_score, needs_manual_grade]``, each
    solution cell's ``auto_comment``, and the late penalty."""
    with Gradebook(task.db_url, cfg.CourseDirectory.course_id) as gb:
        submission = gb.find_submission(task.assignment, task.student)
        return {
            notebook.name: {
                "grades": {g.name: [g.auto_score, g.needs_manual_grade] for g in notebook.grades},
                "comments": {c.name: c.auto_comment for c in notebook.comments},
                "late_submission_penalty": notebook.late_submission_penalty,
            }
            for notebook in submission.notebooks
        }


def record(root: Path, db_url: str, records: list[dict], log: Path, result: Path) -> None:
    """Write the grades of finished jobs into the course's gradebook: the one writer.

    Each record is ``{"student", "assignment", "status", "gradebook"}``; an ``invalid``
    notebook was never autograded and changes nothing. Any other gets its submission
    (created as autograde does), whose automatic scores and comments become those the
    job's private gradebook held (``_grades``), or none when it was not graded (killed,
    timed out, crashed). As in nbgrader's SaveAutoGrades, a manual score is kept and a
    cell with one, or with no automatic score, needs manual grading. Writes ``{"recorded": n}``.
    """
    _start(log)
    cfg = load_config(root, db_url)
    recorded = 0
    with Gradebook(db_url, cfg.CourseDirectory.course_id) as gb:
        for item in records:
            if item["status"] == "invalid":
                continue
            gb.update_or_create_student(item["student"])
            submission = gb.update_or_create_submission(item["assignment"], item["student"])
            graded = item.get("gradebook") or {}
            for notebook in submission.notebooks:
                saved = graded.get(notebook.name, {})
                for grade in notebook.grades:
                    auto, _ = saved.get("grades", {}).get(grade.name, [None, True])
                    grade.auto_score = auto
                    grade.needs_manual_grade = grade.manual_score is not None or auto is None
                for comment in notebook.comments:
                    comment.auto_comment = saved.get("comments", {}).get(comment.name)
                notebook.late_submission_penalty = saved.get("late_submission_penalty")
            gb.db.commit()
            recorded += 1
    _write(result, {"recorded": recorded})


def _sandbox(task: Task) -> Sandbox | None:
    """The sandbox of this task's kernel (its own cgroup inside the run's), or None."""
    isolation = task.isolation
    if not isolation.sandboxed:
        return None
    limits = Limits(cpu_seconds=math.ceil(task.timeout), memory_bytes=task.memory_bytes)
    run = Cgroup(list(isolation.cgroup))
    cgroup = run.child(f"task-{task.number}", limits.processes, limits.memory_bytes, limits.cpus)
    return Sandbox(isolation.library, isolation.packages[task.assignment], limits, cgroup)


def _autograde(task: Task, box: Sandbox | None) -> dict:
    cfg = load_config(task.root, task.db_url)
    configured = cfg.Execute.get("timeout", cfg.ExecutePreprocessor.get("timeout", 30))
    cfg.Execute.timeout = max(1, round(min(task.cell_timeout or configured, task.timeout)))
    running: dict = {}

    def remember(cell, cell_index, **_):
        running.update(cell=cell, index=cell_index)
        task.progress.write_text(cell_label(cell, cell_index))

    cfg.Execute.on_cell_execute = remember
    name = f"{task.assignment}.ipynb"
    source = task.root / course.SOURCE / task.assignment / name
    problem = restore(task.root / "submitted" / task.student / task.assignment / name, source)
    if problem:
        return {"status": "invalid", "reason": problem}
    _trusted_execution(cfg, task, box)
    coursedir = CourseDirectory(config=cfg, assignment_id=task.assignment, student_id=task.student)
    errors = _ErrorLog()
    get_logger().addFilter(errors)
    try:
        autograde = Autograde(coursedir=coursedir, config=cfg)
        autograde.force = True
        autograde.create_student = True
        autograde.start()
    except NbGraderException:
        return describe_crash(errors.messages, running)
    generate = GenerateFeedback(coursedir=coursedir, config=cfg)
    generate.force = True
    generate.start()
    result = summarize(task, cfg)
    result["gradebook"] = _grades(task, cfg)
    if _limit_feedback(task.root / "feedback" / task.student / task.assignment):
        result["reason"] = "; ".join(filter(None, [result["reason"], FEEDBACK_CUT]))
    return result


def _limit_feedback(folder: Path) -> bool:
    """Replace every feedback file larger than MAX_FEEDBACK by a short page saying so;
    whether there was one."""
    cut = False
    for path in folder.rglob("*") if folder.is_dir() else ():
        if path.is_file() and path.stat().st_size > MAX_FEEDBACK:
            path.write_text(f"<html><body><p>{FEEDBACK_CUT}.</p></body></html>\n")
            cut = True
    return cut


def _trusted_execution(cfg: Config, task: Task, box: Sandbox | None) -> None:
    """Autograde with TrustedExecute in place of nbgrader's Execute."""
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = []
    for step in default:  # the autograded notebook holds no live HTML or script either
        steps += [TrustedExecute, feedback.NoScript] if step is Execute else [step]
    cfg.Autograde.autograde_preprocessors = steps
    source = task.root / course.SOURCE / task.assignment / f"{task.assignment}.ipynb"
    cfg.TrustedExecute.sandbox = box
    cfg.TrustedExecute.case_seed = task.seed
    cfg.TrustedExecute.course_notebook = str(source)
    cfg.TrustedExecute.journal = str(task.journal)
    cfg.TrustedExecute.kernel_log = str(task.log)


def summarize(task: Task, cfg: Config) -> dict:
    """The score of a graded submission, and which test cells lost points and why."""
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        submission = gb.find_submission(task.assignment, task.student)
        grades = [
            (grade.name, grade.score, grade.max_score, grade.needs_manual_grade)
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
        score, max_score = submission.score, submission.max_score
    name = f"{task.assignment}.ipynb"
    notebook = nbformat.read(task.root / "autograded" / task.student / task.assignment / name, 4)
    verdicts = json.loads(task.journal.read_text()) if task.journal.exists() else []
    reason = "; ".join(
        part
        for part in (
            describe_failures(notebook, grades),
            describe_disagreements(verdicts),
        )
        if part
    )
    return {"status": "graded", "score": score, "max_score": max_score, "reason": reason}
