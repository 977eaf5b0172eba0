"""A two-function course for the grading tests: quick to grade, with known answers.

``make_course`` writes a course root (the repository's nbgrader_config.py, and
``solutions/<name>/<name>.ipynb``); ``student`` builds the notebook a student would
hand in, with the answers given; ``hand_in`` puts it in a class folder, flat, nested
or zipped; ``grade`` runs the ``rnnlab grade`` command on it.
"""

import html
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
ASSIGNMENT = "ex_toy"
POINTS = {"test_add": 2, "test_mul": 1}
HIDDEN_SOURCE = "secret_case"  # appears only in the hidden test's code
HIDDEN_MESSAGE = "add of opposites should be 0"  # what the hidden test says when it fails
SOLVED = {
    "add": "def add(a, b):\n    return a + b",
    "mul": "def mul(a, b):\n    return a * b",
}
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def _meta(grade_id: str, *, solution=False, points=None) -> dict:
    grade = points is not None
    nbgrader = {
        "grade_id": grade_id,
        "solution": solution,
        "grade": grade,
        "locked": not solution,
        "schema_version": 3,
    }
    if grade:
        nbgrader["points"] = points
    return {"nbgrader": nbgrader}


def _solution(name: str, body: str) -> str:
    return f"def {name}(a, b):\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION"


TESTS = {
    "test_add": (
        'assert add(1, 2) == 3, "add(1, 2) should be 3"\n'
        "### BEGIN HIDDEN TESTS\n"
        f"{HIDDEN_SOURCE} = add(-1, 1)\n"
        f'assert {HIDDEN_SOURCE} == 0, "{HIDDEN_MESSAGE}"\n'
        "### END HIDDEN TESTS"
    ),
    "test_mul": 'assert mul(2, 3) == 6, "mul(2, 3) should be 6"',
}


def source(extra_cells: tuple = ()) -> nbformat.NotebookNode:
    """The instructor's notebook: two solution cells, each followed by its test cell."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        new_markdown_cell("# A toy assignment", metadata=_meta("intro")),
        new_code_cell(_solution("add", "return a + b"), metadata=_meta("add", solution=True)),
        new_code_cell(TESTS["test_add"], metadata=_meta("test_add", points=POINTS["test_add"])),
        new_code_cell(_solution("mul", "return a * b"), metadata=_meta("mul", solution=True)),
        new_code_cell(TESTS["test_mul"], metadata=_meta("test_mul", points=POINTS["test_mul"])),
        *extra_cells,
    ]
    return nb


def make_course(root: Path, names: tuple[str, ...] = (ASSIGNMENT,)) -> Path:
    """A course root with the repository's nbgrader config and one toy notebook per name."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    for name in names:
        (root / "solutions" / name).mkdir(parents=True, exist_ok=True)
        nbformat.write(source(), root / "solutions" / name / f"{name}.ipynb")
    return root


def student(answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """What a student hands in: the released notebook (no hidden tests, stubs) with
    ``answers`` (grade_id → cell source) filled in; ``SOLVED`` by default."""
    answers = SOLVED if answers is None else answers
    nb = source()
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if cell.metadata["nbgrader"]["solution"]:
            cell.source = answers.get(grade_id, STUB)
        elif grade_id in TESTS:
            cell.source = TESTS[grade_id].split("\n### BEGIN HIDDEN TESTS")[0]
    return nb


def hand_in(
    folder: Path,
    name: str,
    notebook: nbformat.NotebookNode | bytes,
    assignment: str = ASSIGNMENT,
    layout: str = "flat",
) -> None:
    """Put a student's notebook in a class folder: ``flat`` (name/ex.ipynb), ``nested``
    (name/ex/ex.ipynb) or ``zip`` (name.zip holding ex/ex.ipynb)."""
    content = notebook if isinstance(notebook, bytes) else nbformat.writes(notebook).encode()
    if layout == "zip":
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(folder / f"{name}.zip", "a") as zf:
            zf.writestr(f"{assignment}/{assignment}.ipynb", content)
        return
    target = folder / name / (assignment if layout == "nested" else "")
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{assignment}.ipynb").write_bytes(content)


def grade(
    root: Path, folder: Path, out: Path | None, *options: str
) -> subprocess.CompletedProcess:
    """Run ``rnnlab grade FOLDER --out OUT OPTIONS`` from the course root, as
    ``make grade`` does (no ``--out`` when ``out`` is None); the gradebook is SQLite
    unless ``--db`` is among the options."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("RNNLAB_DB_URL", None)
    where = [] if out is None else ["--out", str(out)]
    command = [str(BIN / "rnnlab"), "grade", str(folder), *where, *options]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)


def html_text(path: Path) -> str:
    """The text of an HTML file as a reader sees it (tags removed, entities decoded):
    code in feedback is split into highlighted spans."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))
