"""What the student edition must never hold, looked for in every file it has.

* A **line of a solution**: a line between ``### BEGIN SOLUTION`` and ``### END
  SOLUTION`` in ``solutions/``, or between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
  TESTS``. Lines that carry no answer are not looked for: blank lines, comments, lines
  without a letter or digit (``],``), a single word (``pass``), and block headers ending
  in ``:`` (``else:``, ``for t in range(T):``). Nor are lines of the models students
  import (``rnnlab/*.py``, ``rnnlab/data/``): the book shows that code and the wheel
  ships it, so a solution may share a line with it.
* A **file of solutions/**, byte for byte.
* The **course secret**.

Files are read as text: a notebook's cells (sources and outputs), an HTML page's text
(tags removed, entities decoded), any other file as it is. Archives (``.zip``, ``.whl``)
are opened, and their members read the same way.
"""

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MARKERS = (
    ("### BEGIN SOLUTION", "### END SOLUTION"),
    ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
)
ARCHIVES = (".zip", ".whl")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Leak:
    """Something of the instructor's found in the edition."""

    where: str  # the file, "archive.zip!member" for a member of an archive
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class Secrets:
    """What to look for: solution lines (line -> where it comes from), the bytes of the
    files of solutions/ (-> their path), and the course secret."""

    lines: dict[str, str]
    files: dict[bytes, str]
    secret: bytes


def from_course(root: Path, secret: bytes) -> Secrets:
    """The secrets of the course in ``root``: its solutions/ and its course secret."""
    public = _public_lines(root / "rnnlab")
    lines: dict[str, str] = {}
    files: dict[bytes, str] = {}
    for path in sorted((root / "solutions").rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        files[path.read_bytes()] = name
        if path.suffix == ".ipynb":
            for line in _marked_lines(path):
                if line not in public and _carries_an_answer(line):
                    lines.setdefault(line, name)
    return Secrets(lines, files, secret)


def scan(edition: Path, secrets: Secrets) -> list[Leak]:
    """Every leak in the folder ``edition`` (empty when there is none)."""
    found = []
    for path in sorted(edition.rglob("*")):
        if path.is_file():
            found += _scan_file(path.relative_to(edition).as_posix(), path.read_bytes(), secrets)
    return found


def _scan_file(where: str, content: bytes, secrets: Secrets) -> list[Leak]:
    found = []
    if content in secrets.files:
        found.append(Leak(where, f"is {secrets.files[content]}"))
    if secrets.secret and secrets.secret in content:
        found.append(Leak(where, "holds the course secret"))
    for line in _text_lines(where, content):
        if line in secrets.lines:
            found.append(Leak(where, f"holds a line of {secrets.lines[line]}: {line!r}"))
    if where.endswith(ARCHIVES):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in archive.namelist():
                found += _scan_file(f"{where}!{member}", archive.read(member), secrets)
    return found


def _text_lines(where: str, content: bytes) -> Iterator[str]:
    """The stripped lines of a file's text, as a reader would see them."""
    if where.endswith(ARCHIVES):
        return
    text = content.decode("utf-8", errors="replace")
    if where.endswith(".ipynb"):
        text = "\n".join(_notebook_texts(text))
    elif where.endswith((".html", ".htm")):
        text = html.unescape(_TAG.sub("", text))
    for line in text.splitlines():
        yield line.strip()


def _notebook_texts(text: str) -> Iterator[str]:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError:
        yield text  # not a notebook after all: read it as it is
        return
    for cell in notebook.get("cells", []):
        yield _joined(cell.get("source", ""))
        for output in cell.get("outputs", []):
            yield _joined(output.get("text", ""))
            for value in output.get("data", {}).values():
                yield _joined(value)


def _joined(value) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else json.dumps(value)


def _marked_lines(notebook: Path) -> Iterator[str]:
    """The stripped lines between the solution and hidden-test markers of a notebook."""
    for cell in json.loads(notebook.read_text()).get("cells", []):
        end = None
        for line in _joined(cell.get("source", "")).splitlines():
            stripped = line.strip()
            if end is not None and stripped.startswith(end):
                end = None
            elif end is not None:
                yield stripped
            else:
                end = next((stop for start, stop in MARKERS if stripped.startswith(start)), None)


def _carries_an_answer(line: str) -> bool:
    if line.startswith("#") or not re.search(r"\w", line):
        return False  # a comment, a bracket
    return not line.endswith(":") and not re.fullmatch(r"\w+", line)  # a header, `pass`


def _public_lines(package: Path) -> set[str]:
    """The stripped lines of the models students import, which the book shows."""
    files = [*package.glob("*.py"), *package.glob("data/*.py")]
    return {line.strip() for path in files for line in path.read_text().splitlines()}
