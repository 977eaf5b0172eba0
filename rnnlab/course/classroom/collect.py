"""Find each student's notebooks in a folder of submissions.

The folder holds one entry per student: a sub-folder or a ``.zip`` named after the
student. Inside, a notebook counts for an assignment when its file is named after it,
at any depth: ``alice/ex01_rnn.ipynb``, ``alice/ex01_rnn/ex01_rnn.ipynb`` and a zip
that wraps either in a folder are all accepted.

Whatever is wrong with one entry is that student's problem, never the run's: a name
that cannot be a student id, a damaged or encrypted zip, a symbolic link, a file that
is not a regular file or cannot be read all give the student ``invalid`` rows with the
reason, and the rest of the class is collected as usual. Links are never followed
(a link into ``solutions/`` would be graded as the student's work) and files are
opened with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO would block the run forever).
"""

import json
import os
import re
import reprlib
import stat
import zipfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MAX_BYTES = 50 * 2**20  # a notebook larger than this is refused, not read
SKIPPED_PARTS = ("__MACOSX", ".ipynb_checkpoints")
MAX_ID = 64  # characters: the id is a file name (255 at most) with room for suffixes
# The id is a path component of nbgrader's folders and of log files, and a gradebook
# key: ASCII only (no look-alike of a slash, no control character), none of *?[] as
# nbgrader reads the names as glob patterns, and never "." or "..".
# It also starts a cell of grades.csv, where a spreadsheet reads a leading = + - @ as a
# formula: an id starts with a letter, a digit or _.
STUDENT_ID = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9._@+-]{{0,{MAX_ID - 1}}}")
ID_RULE = f"1 to {MAX_ID} ASCII letters, digits or ._@+-, starting with a letter, digit or _"
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # never through a link, no wait
NOT_REGULAR = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}
# Only these are read: zipfile bounds how much deflate makes of one read, not bzip2 or
# lzma, whose bombs would fill the memory before a size check.
READ_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
Files = dict[PurePosixPath, Callable[[], bytes]]  # each reader may raise RefusedError


class RefusedError(Exception):
    """A student's entry or file that is not read; the message is the reason."""


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


def is_student_id(name: str) -> bool:
    """Whether ``name`` can be a student id: 1 to ``MAX_ID`` (64) ASCII letters, digits
    or ``._@+-``, starting with a letter, a digit or ``_`` (so never ``.`` or ``..``)."""
    return STUDENT_ID.fullmatch(name) is not None


def _hidden(name: str) -> bool:
    """A name tools hide (one dot, then a name: ``.DS_Store``, ``.git``) or
    ``__MACOSX``; ``...`` is no hidden file but a badly named student folder."""
    return name in SKIPPED_PARTS or (name[:1] == "." and name[1:2] not in ("", "."))


def _quoted(name: str) -> str:
    """``name`` in quotes with control characters escaped, cut in the middle if long."""
    return repr(name if len(name) <= 40 else f"{name[:24]}…{name[-8:]}")


def _label(name: str) -> str:
    """A name as rows and notes show it: grade.py uses the student column as a folder
    name and a gradebook key, and the notes are printed, so a name unfit for any of
    these (control characters, too long, ``.``) is quoted and shortened."""
    fit = name.isprintable() and len(name) <= MAX_ID and name not in (".", "..")
    return name if fit else _quoted(name)


def _bad_name(name: str) -> str:
    size = f" ({len(name)} characters)" if len(name) > MAX_ID else ""
    return f"the name {_quoted(name)}{size} is not a usable student id ({ID_RULE}); rename it"


def _link(where: str) -> str:
    return f"{where} is a symbolic link; hand in the file itself"


def _too_large(where: str) -> str:
    return f"{where} is larger than {MAX_BYTES} bytes; clear its outputs and hand it in again"


def _detail(err: Exception) -> str:
    """An exception in words, without the path an OSError repeats."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


def _check_regular(mode: int, where: str) -> None:
    if stat.S_ISLNK(mode):
        raise RefusedError(_link(where))
    if not stat.S_ISREG(mode):
        kind = NOT_REGULAR.get(stat.S_IFMT(mode), "a device")
        raise RefusedError(f"{where} is not a regular file but {kind}; hand in the file itself")


def _open_beneath(base: Path, rel: PurePosixPath) -> int:
    """A descriptor of ``base/rel``, following no link in ``rel`` (the student's part of
    the path, checked step by step so nothing swapped in since the listing is read)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in rel.parts[:-1]:
            fd, parent = os.open(part, OPEN_FLAGS | os.O_DIRECTORY, dir_fd=fd), fd
            os.close(parent)
        _check_regular(os.stat(rel.name, dir_fd=fd, follow_symlinks=False).st_mode, str(rel))
        return os.open(rel.name, OPEN_FLAGS, dir_fd=fd)  # checked first: a FIFO is not opened
    finally:
        os.close(fd)


@contextmanager
def _open_regular(base: Path, rel: PurePosixPath) -> Iterator[BinaryIO]:
    fd = _open_beneath(base, rel)
    with os.fdopen(fd, "rb") as file:
        _check_regular(os.fstat(fd).st_mode, str(rel))  # it may have changed since the check
        yield file


def _bounded(file: BinaryIO, where: str) -> bytes:
    """The content of ``file``, refused past MAX_BYTES whatever size it declared."""
    content = file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise RefusedError(_too_large(where))
    return content


def _read_file(base: Path, rel: PurePosixPath) -> bytes:
    with _open_regular(base, rel) as file:
        if os.fstat(file.fileno()).st_size > MAX_BYTES:
            raise RefusedError(_too_large(str(rel)))
        return _bounded(file, str(rel))


def _raise(err: OSError) -> None:
    raise err  # os.walk would skip a folder it cannot read without a word


def _notebooks_in_folder(folder: Path) -> Files:
    """The visible notebooks under a student's folder; RefusedError if it holds a link."""
    found = {}
    for top, dirs, names in os.walk(folder, onerror=_raise):  # links are not followed
        here = Path(top)
        dirs[:] = sorted(name for name in dirs if not _hidden(name))
        for name in sorted({*dirs, *names}):
            if _hidden(name):
                continue
            rel = PurePosixPath((here / name).relative_to(folder).as_posix())
            if (here / name).is_symlink():
                raise RefusedError(_link(f"{folder.name}/{rel}"))
            if name in names and rel.suffix == ".ipynb":
                found[rel] = partial(_read_file, folder.parent, folder.name / rel)
    return found


@contextmanager
def _open_zip(archive: Path) -> Iterator[zipfile.ZipFile]:
    with (
        _open_regular(archive.parent, PurePosixPath(archive.name)) as file,
        zipfile.ZipFile(file) as zf,
    ):
        yield zf


def _notebooks_in_zip(archive: Path) -> Files:
    """The visible notebooks in a student's zip; RefusedError if it holds a link."""
    with _open_zip(archive) as zf:
        infos = zf.infolist()
    found = {}
    for info in infos:
        rel = PurePosixPath(info.filename)
        if rel.is_absolute() or ".." in rel.parts or any(map(_hidden, rel.parts)):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):  # the Unix mode, as zip -y stores a link
            raise RefusedError(_link(f"{info.filename} in {archive.name}"))
        if rel.suffix == ".ipynb" and not info.is_dir():
            found[rel] = partial(_read_member, archive, info)
    return found


def _read_member(archive: Path, info: zipfile.ZipInfo) -> bytes:
    where = f"{info.filename} in {archive.name}"
    if info.flag_bits & 0x1:
        raise RefusedError(f"{where} is encrypted; hand in a zip without a password")
    if info.compress_type not in READ_METHODS:
        raise RefusedError(
            f"{where} is compressed with method {info.compress_type}, not deflate; "
            "zip it again with the usual settings"
        )
    if info.file_size > MAX_BYTES:
        raise RefusedError(_too_large(where))
    with _open_zip(archive) as zf, zf.open(info) as member:
        return _bounded(member, where)  # a zip bomb declares a small size


def check_notebook(content: bytes) -> str:
    """Return why ``content`` is not a notebook nbgrader can read, or "" when it is."""
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as err:
        return f"not a notebook: not UTF-8 text ({err.reason})"
    except json.JSONDecodeError as err:
        return f"not a notebook: invalid JSON ({err.msg} at line {err.lineno} column {err.colno})"
    except RecursionError:
        return "not a notebook: the JSON is nested too deeply to read"
    except Exception as err:  # any other limit of the parser: this file's problem only
        return f"not a notebook: the JSON cannot be read ({_detail(err)})"
    if not isinstance(data, dict):
        return "not a notebook: the JSON has no list of cells"
    if data.get("nbformat") != 4:
        version = reprlib.repr(data.get("nbformat"))
        return f"not a notebook in format 4 (nbformat={version}); open and save it in Jupyter"
    if not isinstance(data.get("cells"), list):
        return "not a notebook: the JSON has no list of cells"
    return ""


def _load(rel: PurePosixPath, read: Callable[[], bytes]) -> bytes | str:
    """The file, or why it cannot be read: any error is this student's problem only."""
    try:
        return read()
    except RefusedError as err:
        return str(err)
    except Exception as err:  # a damaged zip, a permission, an unknown compression
        return f"{rel} cannot be read ({_detail(err)}); hand it in again"


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
    content = _load(matches[0], files[matches[0]])
    problem = content if isinstance(content, str) else check_notebook(content)
    if problem:
        return Submission(student, assignment, None, "invalid", problem)
    return Submission(student, assignment, content)


def _files(entry: Path, folder: bool) -> Files | str:
    """A student's notebooks, or why their folder or zip cannot be read."""
    if entry.is_symlink():  # never followed: it may point into solutions/
        return _link(entry.name)
    try:
        return _notebooks_in_folder(entry) if folder else _notebooks_in_zip(entry)
    except RefusedError as err:
        return str(err)
    except Exception as err:  # a damaged zip, a folder we may not read: this student's only
        what = "cannot be read" if folder else "is not a readable zip file"
        return f"{entry.name} {what} ({_detail(err)}); hand it in again"


def _entry(entry: os.DirEntry, notes: list[str]) -> tuple[str, Files | str] | None:
    """The student an entry of the class folder is named after, with their notebooks or
    why there are none; None, with a note, when the entry is no student's."""
    if _hidden(entry.name):
        notes.append(f"ignored {_label(entry.name)}: hidden")
        return None
    folder = entry.is_dir(follow_symlinks=False)
    if not (folder or entry.is_symlink() or entry.name.endswith(".zip")):
        notes.append(f"ignored {_label(entry.name)}: not a student folder or zip")
        return None
    name = entry.name.removesuffix(".zip")
    if not is_student_id(name):
        return name, _bad_name(name)
    return name, _files(Path(entry.path), folder)


def _students(folder: Path, notes: list[str]) -> dict[str, Files | str]:
    students: dict[str, Files | str] = {}
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        found = _entry(entry, notes)
        if found is None:
            continue
        name, files = found
        if name in students:
            ignored = _label(entry.name)
            notes.append(
                f"{_label(name)}: a folder and a zip; graded the folder, ignored {ignored}"
            )
            continue
        students[name] = files
    return students


def collect(folder: Path, known: Collection[str], only: Collection[str] = ()) -> Collected:
    """Every (student, assignment) pair of a class folder, sorted by student then assignment.

    An entry whose name is not a usable student id (``is_student_id``), or that cannot be
    read, gets an ``invalid`` row per graded assignment with the reason; hidden entries
    (``.DS_Store``, ``__MACOSX``) and files that are no folder or zip are left out with
    a note.

    Args:
        folder: the folder of submissions (one sub-folder or zip per student).
        known: the course's assignments (folders of ``solutions/``).
        only: grade these assignments; by default every known assignment that at least
            one student submitted.
    """
    notes: list[str] = []
    students = _students(folder, notes)
    readable = [files for files in students.values() if isinstance(files, dict)]
    graded = sorted(only) or sorted({rel.stem for files in readable for rel in files} & set(known))
    result = Collected(notes=notes)
    for student, files in students.items():
        for assignment in graded:
            result.submissions.append(_choose(_label(student), assignment, files, notes))
        if isinstance(files, str):
            continue
        ignored = [str(rel) for rel in files if rel.stem not in graded]
        if ignored:
            notes.append(
                f"{_label(student)}: ignored {', '.join(ignored)} (not a graded assignment)"
            )
    return result
