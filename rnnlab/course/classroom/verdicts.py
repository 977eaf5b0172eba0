"""Decide each test cell in the grader's process, never in the student's kernel.

The course's own notebook (``solutions/``) is the only code trusted here: its locked
code cells (the imports at the top, and every test cell with its hidden tests) run in a
namespace of the grader's. A name a test cell takes from the student's notebook
(``lstm_cell``, or a variable) is looked up in the kernel when the cell runs: a function
becomes a :class:`~rnnlab.course.classroom.remote.Proxy`, anything else is copied over as data.
So ``grading.check_lstm_cell(lstm_cell)`` runs the real checks, here, on the student's
function, with nothing in the kernel able to change the checks, numpy, or the verdict.

Hidden checks (``hidden=True``) draw their cases from ``seed`` (the course secret, the
student, the assignment and the submitted notebook): nobody can predict them, and the
same notebook graded again meets the same cases.
"""

import ast
import builtins
import contextlib
import io
from dataclasses import dataclass

from nbformat import NotebookNode

from rnnlab.course.classroom.feedback import hidden_lines
from rnnlab.course.classroom.remote import Remote
from rnnlab.course.grading import _core

MAX_PRINTED = 10_000  # characters of what a test cell prints, kept for the feedback


@dataclass
class Verdict:
    """A test cell's result: what it printed, the error that failed it (if any), and
    whether that error came from a hidden test (the notebook's own run has none)."""

    printed: str
    error: tuple[str, str] | None  # (exception name, message)
    hidden: bool = False

    @property
    def passed(self) -> bool:
        return self.error is None


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def role(cell: NotebookNode) -> str | None:
    """``"test"`` for a graded test cell, ``"setup"`` for another locked code cell the
    course wrote (imports), None for the rest (the student's cells, text)."""
    meta = _nbgrader(cell)
    if cell.cell_type != "code" or meta.get("solution"):
        return None
    if meta.get("grade"):
        return "test"
    return "setup" if meta.get("locked") else None


class CourseCells:
    """The course notebook's trusted code cells, run in order in one namespace.

    Args:
        source: the course's notebook for the assignment (from ``solutions/``).
        seed: where the hidden checks draw their cases from.
    """

    def __init__(self, source: NotebookNode, seed: int):
        self.cells = [
            (_nbgrader(cell)["grade_id"], role(cell), cell.source)
            for cell in source.cells
            if role(cell) and _nbgrader(cell).get("grade_id")
        ]
        self.seed = seed
        self.namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.ran: set[str] = set()  # the setup cells that have run

    def tests(self) -> list[str]:
        return [grade_id for grade_id, kind, _ in self.cells if kind == "test"]

    def run_test(self, grade_id: str, remote: Remote) -> Verdict:
        """Run the course's setup cells that come before this test (once each), then
        the test cell itself; the student may have moved the test cells around."""
        place = [cell_id for cell_id, _, _ in self.cells].index(grade_id)
        for cell_id, kind, source in self.cells[:place]:
            if kind == "setup" and cell_id not in self.ran:
                self.ran.add(cell_id)
                exec(compile(source, f"<course cell {cell_id}>", "exec"), self.namespace)
        return self._test(grade_id, self.cells[place][2], remote)

    def _test(self, grade_id: str, source: str, remote: Remote) -> Verdict:
        tree = ast.parse(source)
        taken = sorted(free_names(tree) - set(self.namespace) - set(dir(builtins)))
        printed = io.StringIO()
        namespace = dict(self.namespace)
        verdict = Verdict("", None)
        filename = f"<test cell {grade_id}>"
        with contextlib.redirect_stdout(printed), _core.drawn_cases(self.seed):
            try:
                namespace.update(remote.lookup(taken) if taken else {})
                exec(compile(tree, filename, "exec"), namespace)
            except Exception as raised:
                verdict.error = (type(raised).__name__, str(raised))
                verdict.hidden = _line(raised, filename) in hidden_lines(source)
        # What the cell defined stays for the next cells; the student's names do not.
        self.namespace.update({k: v for k, v in namespace.items() if k not in taken})
        verdict.printed = printed.getvalue()[:MAX_PRINTED]
        return verdict


def _line(error: BaseException, filename: str) -> int | None:
    """The line of the test cell that raised ``error`` (the outermost frame of it)."""
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == filename:
            return frame.tb_lineno
        frame = frame.tb_next
    return None


def free_names(tree: ast.AST) -> set[str]:
    """Names a cell reads but never binds (anywhere in it, nested functions included)."""
    read, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return read - bound
