"""The student's self-check: ``rnnlab check exercises/ex02_lstm/ex02_lstm.ipynb``.

Runs the notebook from top to bottom in a fresh kernel (nbclient, a time limit per cell)
and reports each graded test cell: passed, failed with the test's message, or not
implemented yet. Exits 0 when every test passes, 1 when one does not, 2 when the
notebook cannot be checked (a missing file, invalid JSON, a notebook that is not one of
the course's). nbgrader's own ``validate`` always exits 0; this is for the shell.

The test cells are compared with the released ones shipped in the package
(``rnnlab.course.grading.released``), not with the notebook's own metadata, which the student
can edit: a test cell changed or deleted since its release fails, since the grader runs
the original (and gives a deleted one 0 points). The assignment is the notebook's file
name (``ex02_lstm.ipynb``), or else the one whose test cells' grade_ids the notebook holds.

Also ``python -m rnnlab.course.selfcheck NOTEBOOK``.
"""

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from rnnlab.course.grading import released
from rnnlab.course.grading.released import ReleasedTest

NOT_IMPLEMENTED = ("NotImplementedError", "NotImplementedYetError")
TIMEOUT_NAME = "CellTimeoutError"


class NotebookError(Exception):
    """The notebook cannot be checked at all."""


@dataclass
class Result:
    """The outcome of one graded test cell."""

    grade_id: str
    points: float
    # passed | failed | not implemented | error | timed out | not run | edited | deleted
    status: str
    message: str = ""

    @property
    def name(self) -> str:
        """The tested function: ``test_lstm_cell`` -> ``lstm_cell``."""
        return self.grade_id.removeprefix("test_")


def load(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or NotebookError saying why it cannot be checked."""
    if not path.exists():
        raise NotebookError(f"{path}: no such file")
    if path.is_dir():
        raise NotebookError(f"{path} is a folder: give the .ipynb file inside it")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise NotebookError(f"{path} is not a text file: is it really a notebook?") from None
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "was it edited outside Jupyter? Download a fresh copy and copy your code over"
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotebookError(f"{path} is JSON but not a Jupyter notebook (it has no cells)")
    try:
        notebook = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:
        raise NotebookError(f"{path} is not a valid notebook: {error}") from None
    if not test_cells(notebook):
        raise NotebookError(
            f"{path} is not one of the course's exercise notebooks: it has no graded test "
            "cells. Check a notebook from exercises/, such as "
            "exercises/ex02_lstm/ex02_lstm.ipynb"
        )
    return notebook


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _grade_id(notebook, k: int) -> str:
    return _nbgrader(notebook.cells[k]).get("grade_id", f"number {k + 1}") if k >= 0 else "?"


def _points(notebook, k: int) -> float:
    return _nbgrader(notebook.cells[k]).get("points", 0)


def test_cells(notebook) -> list[int]:
    """Indices of the graded test cells (nbgrader: grade, not solution)."""
    return [k for k, cell in enumerate(notebook.cells) if released.is_test_cell(cell)]


def assignment(
    path: Path, notebook, reference: dict[str, list[ReleasedTest]]
) -> tuple[str | None, str]:
    """Which of the course's assignments the notebook is, and how that was found.

    By the file name (``ex02_lstm.ipynb`` is ``ex02_lstm``), or else by the released test
    cells' grade_ids the notebook holds (the most of them): ``(name, "name")``,
    ``(name, "grade_ids")``, or ``(None, "")`` when neither tells.
    """
    if path.stem in reference:
        return path.stem, "name"
    ids = {_nbgrader(cell).get("grade_id") for cell in notebook.cells}
    overlap = {name: len(ids & {t.grade_id for t in tests}) for name, tests in reference.items()}
    best = max(overlap, key=overlap.get, default=None)
    return (best, "grade_ids") if best is not None and overlap[best] else (None, "")


@dataclass
class Located:
    """A test to report: where it is in the notebook (None: deleted), and whether its
    source is still the released one."""

    grade_id: str
    points: float
    index: int | None
    intact: bool = True


def locate(notebook, tests: list[ReleasedTest] | None) -> list[Located]:
    """The tests to report: the released ones (each found by its grade_id, the first cell
    holding it, and compared by source hash), or, with no reference, the notebook's own
    test cells as they are."""
    if tests is None:
        return [
            Located(_grade_id(notebook, k), _points(notebook, k), k) for k in test_cells(notebook)
        ]
    where: dict[str | None, int] = {}
    for k, cell in enumerate(notebook.cells):
        where.setdefault(_nbgrader(cell).get("grade_id"), k)
    return [_find(notebook, test, where.get(test.grade_id)) for test in tests]


def _find(notebook, test: ReleasedTest, k: int | None) -> Located:
    """A released test found at cell ``k`` (None: not found); intact if its source hashes
    to the released one."""
    if k is None:
        return Located(test.grade_id, test.points, None)
    cell = notebook.cells[k]
    intact = cell.cell_type == "code" and released.source_hash(cell.source) == test.sha256
    return Located(test.grade_id, test.points, k, intact)


def execute(notebook, folder: Path, timeout: float, kernel: str) -> tuple[dict, int | None]:
    """Run every cell, going on after errors and timeouts.

    Returns each executed cell's reply content by index, and the index of the cell that
    was running when the kernel died (None if it did not).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    replies: dict[int, dict] = {}
    running: list[int] = []

    def started(cell, cell_index, **_):
        running.append(cell_index)

    def executed(cell, cell_index, execute_reply, **_):
        replies[cell_index] = execute_reply.get("content", {})

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": TIMEOUT_NAME,
            "evalue": f"the cell ran longer than {timeout:g} s (an endless loop?)",
            "traceback": [],
        },
        resources={"metadata": {"path": str(folder)}},
        on_cell_start=started,
        on_cell_executed=executed,
    )
    try:
        # The kernel's own log (not the cells' output) would only add noise.
        client.execute(stderr=subprocess.DEVNULL)
    except DeadKernelError:
        return replies, running[-1] if running else -1
    except Exception as error:  # no such kernel, a kernel that does not start, ...
        raise NotebookError(f"could not run the notebook in kernel {kernel!r}: {error}") from None
    return replies, None


def outcome(grade_id: str, points: float, reply: dict | None) -> Result:
    """The Result of one test cell from its execute reply (None: it did not run)."""
    if reply is None:
        return Result(grade_id, points, "not run", "the notebook stopped before this cell")
    if reply.get("status") != "error":
        return Result(grade_id, points, "passed")
    name, value = reply.get("ename", ""), reply.get("evalue", "")
    if name in NOT_IMPLEMENTED:
        return Result(grade_id, points, "not implemented", "not implemented yet")
    if name == TIMEOUT_NAME:
        return Result(grade_id, points, "timed out", value)
    if name == "AssertionError":
        return Result(grade_id, points, "failed", value or "a test failed (no message)")
    return Result(grade_id, points, "error", f"{name}: {value}")


RESTORE = "restore it (copy it from a fresh copy of the notebook)"


def result(test: Located, replies: dict) -> Result:
    """The Result of a located test: deleted, edited, or the outcome of its run."""
    if test.index is None:
        return Result(
            test.grade_id,
            test.points,
            "deleted",
            f"test cell {test.grade_id} was deleted: the grader will give it 0 points, so "
            + RESTORE,
        )
    if not test.intact:
        return Result(
            test.grade_id,
            test.points,
            "edited",
            f"test cell {test.grade_id} was changed since its release: the grader runs the "
            "original, so " + RESTORE,
        )
    return outcome(test.grade_id, test.points, replies.get(test.index))


def check_notebook(path, timeout: float = 60, kernel: str = "python3") -> int:
    """Run and report one notebook; returns the exit code (0 pass, 1 fail, 2 unusable)."""
    path = Path(path)
    try:
        notebook = load(path)
        reference = released.load()
        name, found_by = assignment(path, notebook, reference)
        tests = locate(notebook, reference.get(name))
        total = sum(test.points for test in tests)
        print(f"Checking {path} ({len(tests)} tests, {total:g} points) ...", flush=True)
        replies, died = execute(notebook, path.resolve().parent, timeout, kernel)
    except NotebookError as error:
        print(f"rnnlab check: {error}", file=sys.stderr)
        return 2
    results = [result(test, replies) for test in tests]
    indices = {test.index for test in tests}
    for note in _identified(path, name, found_by) + _notes(notebook, indices, replies, died):
        print(f"  ! {note}")
    report(results)
    return 0 if all(result.status == "passed" for result in results) else 1


def _identified(path: Path, name: str | None, found_by: str) -> list[str]:
    """A note when the assignment was not known by the file name."""
    if found_by == "grade_ids":
        return [f"{path.name} is not named after an exercise; its test cells are {name}'s"]
    if name is None:
        return [
            f"{path.name} is not one of the course's exercises by name or by its test cells: "
            "its test cells are checked as they are, edited or not"
        ]
    return []


def _notes(notebook, indices: set[int | None], replies: dict, died: int | None) -> list[str]:
    """What else the student should know: errors outside the test cells, a dead kernel."""
    notes = [
        f"cell {_grade_id(notebook, k)} raised {reply.get('ename')}: {reply.get('evalue')}"
        for k, reply in sorted(replies.items())
        if k not in indices and reply.get("status") == "error"
    ]
    if died is not None:
        notes.append(f"the kernel died while running cell {_grade_id(notebook, died)} (memory?)")
    return notes


SYMBOLS = {"passed": "✓", "not implemented": "…"}


def report(results: list[Result]) -> None:
    """Print one line per test (and the test's message under a failure), then a summary."""
    width = max(len(result.name) for result in results)
    for result in results:
        symbol = SYMBOLS.get(result.status, "✗")
        points = f"{result.points:g} point" + ("" if result.points == 1 else "s")
        print(f"  {symbol} {result.name:<{width}}  {points:>10}  {result.status}")
        if result.status not in ("passed", "not implemented"):
            for line in result.message.splitlines():
                print(f"      {line}")
    passed = [r for r in results if r.status == "passed"]
    points = sum(r.points for r in passed)
    total = sum(r.points for r in results)
    print(
        f"{len(passed)} of {len(results)} tests pass ({points:g} of {total:g} points on the "
        f"visible tests; hidden tests run when you are graded).{_changed(results)}"
    )


def _changed(results: list[Result]) -> str:
    """How many test cells were edited or deleted, as a sentence for the summary line."""
    counts = ", ".join(
        f"{n} {status}"
        for status in ("edited", "deleted")
        if (n := sum(result.status == status for result in results))
    )
    return f" Test cells changed since their release: {counts}." if counts else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rnnlab check",
        description="Run an exercise notebook and report each test: passed, failed (with "
        "what is wrong) or not implemented yet. Exits 1 when a test does not pass.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK", help=".ipynb file")
    parser.add_argument(
        "--timeout", type=float, default=60, metavar="S", help="limit per cell (default: 60 s)"
    )
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel (default: python3)")
    args = parser.parse_args(argv)
    return max(check_notebook(path, args.timeout, args.kernel) for path in args.notebooks)


if __name__ == "__main__":
    sys.exit(main())
