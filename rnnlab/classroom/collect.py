"""Find each student's notebooks in a folder of submissions.

The folder holds one entry per student: a sub-folder or a ``.zip`` named after the
student. Inside, a notebook counts for an assignment when its file is named after it,
at any depth: ``alice/ex01_rnn.ipynb``, ``alice/ex01_rnn/ex01_rnn.ipynb`` and a zip
that wraps either in a folder are all accepted.
"""

import json
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

MAX_BYTES = 50 * 2**20  # a notebook larger than this is refused, not read
SKIPPED_PARTS = ("__MACOSX", ".ipynb_checkpoints")
GLOB_CHARACTERS = "*?[]"  # nbgrader finds submissions with glob patterns of the names
Files = dict[PurePosixPath, Callable[[], bytes] | None]  # None: too large to read


@dataclass
class Submission:
    """One student's notebook for one assignment, or the reason there is none.

    ``content`` is the notebook file (None when the status is ``missing`` or
    ``invalid``); ``reason`` says what went wrong, for grades.csv.
    """

    student: str
    assignment: str
    content: bytes | None
    status: str = "submitted"  # submitted | missing | invalid
    reason: str = ""


@dataclass
class Collected:
    """Every (student, assignment) pair to grade, and notes on what was ignored."""

    submissions: list[Submission] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _notebooks_in_folder(folder: Path) -> Files:
    found = {}
    for path in sorted(folder.rglob("*.ipynb")):
        if path.is_file():
            rel = PurePosixPath(path.relative_to(folder).as_posix())
            found[rel] = path.read_bytes if path.stat().st_size <= MAX_BYTES else None
    return found


def _notebooks_in_zip(archive: Path) -> Files:
    found = {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            rel = PurePosixPath(info.filename)
            if info.is_dir() or rel.suffix != ".ipynb" or rel.is_absolute() or ".." in rel.parts:
                continue
            if info.file_size > MAX_BYTES:
                found[rel] = None
            else:
                found[rel] = partial(_read_member, archive, info.filename)
    return found


def _read_member(archive: Path, name: str) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        return zf.read(name)


def _visible(rel: PurePosixPath) -> bool:
    return not any(part.startswith(".") or part in SKIPPED_PARTS for part in rel.parts)


def check_notebook(content: bytes) -> str:
    """Return why ``content`` is not a notebook nbgrader can read, or "" when it is."""
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as err:
        return f"not a notebook: not UTF-8 text ({err.reason})"
    except json.JSONDecodeError as err:
        return f"not a notebook: invalid JSON ({err.msg} at line {err.lineno} column {err.colno})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "not a notebook: the JSON has no list of cells"
    if data.get("nbformat") != 4:
        return f"not a notebook in format 4 (nbformat={data.get('nbformat')!r})"
    return ""


def _choose(student: str, assignment: str, files: Files | str, notes: list[str]) -> Submission:
    if isinstance(files, str):  # the student's entry cannot be read: files says why
        return Submission(student, assignment, None, "invalid", files)
    matches = sorted(
        (rel for rel in files if rel.stem == assignment),
        key=lambda rel: (len(rel.parts), str(rel)),
    )
    if not matches:
        others = sorted(str(rel) for rel in files)
        found = f" (found: {', '.join(others)})" if others else ""
        reason = f"no {assignment}.ipynb in the submission{found}"
        return Submission(student, assignment, None, "missing", reason)
    if len(matches) > 1:
        notes.append(f"{student}: graded {matches[0]}, ignored {', '.join(map(str, matches[1:]))}")
    read = files[matches[0]]
    if read is None:
        return Submission(student, assignment, None, "invalid", f"larger than {MAX_BYTES} bytes")
    content = read()
    problem = check_notebook(content)
    if problem:
        return Submission(student, assignment, None, "invalid", problem)
    return Submission(student, assignment, content)


def collect(folder: Path, known: Collection[str], only: Collection[str] = ()) -> Collected:
    """Every (student, assignment) pair of a class folder, sorted by student then assignment.

    Args:
        folder: the folder of submissions (one sub-folder or zip per student).
        known: the course's assignments (folders of ``solutions/``).
        only: grade these assignments; by default every known assignment that at least
            one student submitted.
    """
    students: dict[str, Files | str] = {}
    notes: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIPPED_PARTS:
            continue
        name = entry.stem if entry.suffix == ".zip" else entry.name
        if name in students:
            notes.append(f"{name}: a folder and a zip; graded the folder, ignored {entry.name}")
            continue
        if any(char in name for char in GLOB_CHARACTERS):
            students[name] = f"the name {name!r} has one of {GLOB_CHARACTERS}: rename it"
            continue
        if entry.is_dir():
            files = _notebooks_in_folder(entry)
        elif entry.suffix == ".zip":
            try:
                files = _notebooks_in_zip(entry)
            except zipfile.BadZipFile:
                students[name] = f"{entry.name} is not a readable zip file"
                continue
        else:
            notes.append(f"ignored {entry.name}: not a student folder or zip")
            continue
        students[name] = {rel: read for rel, read in files.items() if _visible(rel)}

    readable = [files for files in students.values() if isinstance(files, dict)]
    graded = sorted(only) or sorted({rel.stem for files in readable for rel in files} & set(known))
    result = Collected(notes=notes)
    for student, files in students.items():
        for assignment in graded:
            result.submissions.append(_choose(student, assignment, files, notes))
        ignored = (
            [str(rel) for rel in files if rel.stem not in graded]
            if isinstance(files, dict)
            else []
        )
        if ignored:
            notes.append(f"{student}: ignored {', '.join(ignored)} (not a graded assignment)")
    return result
