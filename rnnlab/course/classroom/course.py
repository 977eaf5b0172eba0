"""The course root and the grading folder.

nbgrader runs from a *course root*: the folder with ``nbgrader_config.py`` (its
``solutions/`` holds the source assignments). ``rnnlab grade`` never writes there:
it copies the config and the graded assignments' sources into a grading folder
(``grading/`` by default) and runs nbgrader in that copy, so the gradebook,
``submitted/``, ``autograded/`` and ``feedback/`` of a run all live in one folder
that can be archived, deleted, or opened with ``nbgrader formgrader``.
"""

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from rnnlab.course.classroom.collect import Submission

CONFIG = "nbgrader_config.py"
SOURCE = "solutions"
SCRATCH = ".rnnlab"  # inside the grading folder: release copy and job results
OUTPUTS = ("autograded", "feedback")
EVERYTHING = ("submitted", *OUTPUTS)


class CourseError(Exception):
    """The course root or the grading folder cannot be used; the message says why."""


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding nbgrader_config.py and solutions/."""
    for folder in [start, *start.parents]:
        if (folder / CONFIG).is_file() and (folder / SOURCE).is_dir():
            return folder
    raise CourseError(f"no {CONFIG} with a {SOURCE}/ folder at or above {start}")


def assignments(root: Path) -> list[str]:
    """The course's assignments: folders ``solutions/<name>/`` holding ``<name>.ipynb``."""
    return sorted(
        folder.name
        for folder in (root / SOURCE).iterdir()
        if (folder / f"{folder.name}.ipynb").is_file()
    )


def needs(root: Path, assignment: str) -> tuple[str, ...]:
    """The packages an assignment's sandbox must show besides the kernel's own, as its
    notebook's metadata says: ``{"rnnlab": {"needs": ["torch"]}}`` (none by default)."""
    path = root / SOURCE / assignment / f"{assignment}.ipynb"
    metadata = json.loads(path.read_text()).get("metadata", {})
    found = metadata.get("rnnlab", {}).get("needs", []) if isinstance(metadata, dict) else []
    if not isinstance(found, list) or not all(isinstance(name, str) for name in found):
        raise CourseError(f"{path}: metadata rnnlab.needs must be a list of package names")
    return tuple(found)


def set_up(root: Path, out: Path, graded: Iterable[str]) -> None:
    """Make ``out`` a course root for the graded assignments (a no-op when out is root)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / SCRATCH).mkdir(exist_ok=True)
    if out.resolve() == root.resolve():
        return
    # The grading folder is output: keep it out of git wherever it is.
    (out / ".gitignore").write_text("# written by rnnlab grade: everything here is output\n*\n")
    shutil.copyfile(root / CONFIG, out / CONFIG)
    for name in graded:
        target = out / SOURCE / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(root / SOURCE / name, target)


def _nbgrader_folder(out: Path, kind: str, student: str, assignment: str) -> Path:
    return out / kind / student / assignment


def place(out: Path, submission: Submission) -> None:
    """Put a notebook where nbgrader autograde looks for it, replacing an earlier one."""
    folder = _nbgrader_folder(out, "submitted", submission.student, submission.assignment)
    shutil.rmtree(folder, ignore_errors=True)
    if submission.content is not None:
        folder.mkdir(parents=True)
        (folder / f"{submission.assignment}.ipynb").write_bytes(submission.content)


def discard(out: Path, student: str, assignment: str, kinds=OUTPUTS) -> None:
    """Remove what an earlier run produced for a submission that is no longer graded
    (``kinds`` of nbgrader's folders), and the student's folders left empty."""
    for kind in kinds:
        folder = _nbgrader_folder(out, kind, student, assignment)
        shutil.rmtree(folder, ignore_errors=True)
        if folder.parent.is_dir() and not any(folder.parent.iterdir()):
            folder.parent.rmdir()


def feedback_file(out: Path, student: str, assignment: str) -> Path:
    """Where nbgrader generate_feedback writes a student's HTML feedback."""
    return _nbgrader_folder(out, "feedback", student, assignment) / f"{assignment}.html"


def default_db_url(out: Path) -> str:
    """The SQLite gradebook of a grading folder; waits for a busy gradebook up to a minute."""
    return f"sqlite:///{(out / 'gradebook.db').resolve()}?timeout=60"
