"""Why a submission lost points, in one line an instructor can act on.

The line goes to the ``reason`` column of grades.csv and to the summary; it names the
test cell that lost points and the error it raised (the notebooks' checks raise errors
that say what is wrong, e.g. "your forget gate looks like it uses tanh").
"""

import re

from nbformat import NotebookNode

MAX_PARTS = 4  # a released notebook fails every cell: the first few say enough
MAX_CHARS = 400  # room for a check's diagnosis, which follows its first line
DELETED = "test cell deleted, or its nbgrader metadata changed"
CRASH_HINT = "a crash, os.kill, or memory beyond the limit; no feedback"
# nbgrader interrupts a cell that runs past the limit per cell: the cell then shows one of
INTERRUPTED = ("KeyboardInterrupt", "CellTimeoutError")


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _shorten(text: str) -> str:
    """The text on one line (a check's message spans several), cut at MAX_CHARS, with
    no control character (a terminal would obey an escape sequence in the summary)."""
    line = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    return line if len(line) <= MAX_CHARS else line[: MAX_CHARS - 1] + "…"


def cell_label(cell: NotebookNode, index: int) -> str:
    """``cell 4 (lstm_cell)``: the position a student sees, and nbgrader's id if any."""
    grade_id = _grade_id(cell)
    return f"cell {index + 1} ({grade_id})" if grade_id else f"cell {index + 1}"


def error_of(cell: NotebookNode) -> str:
    """The first error a code cell raised, as ``Name: first line``; "" when none."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and output.get("ename") in INTERRUPTED:
            return "interrupted: the cell ran longer than the limit per cell (an endless loop?)"
        if output.get("output_type") == "error":
            return _shorten(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return ""


def describe_failures(notebook: NotebookNode, grades: list[tuple]) -> str:
    """Each test cell that lost points, with its error, and the errors of other cells.

    Args:
        notebook: the autograded notebook (its cells carry their outputs).
        grades: ``(grade_id, score, max_score, needs_manual_grade)`` from the gradebook.
    """
    lost = {name: (score, top, manual) for name, score, top, manual in grades if score < top}
    parts = []
    seen = set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        grade_id = _grade_id(cell)
        if grade_id in lost:
            seen.add(grade_id)
            score, top, manual = lost[grade_id]
            why = error_of(cell) or ("awaits manual grading" if manual else "lost points")
            parts.append(f"{grade_id} {score:g}/{top:g}: {why}")
        elif error_of(cell):
            parts.append(f"{cell_label(cell, index)}: {error_of(cell)}")
    for grade_id, (_, top, _) in lost.items():
        if grade_id not in seen:
            parts.append(f"{grade_id} 0/{top:g}: {DELETED}")
    if len(parts) > MAX_PARTS:
        parts = [*parts[:MAX_PARTS], f"and {len(parts) - MAX_PARTS} more"]
    return "; ".join(parts)


def _last_exception(messages: list[str]) -> str:
    lines = [line for message in messages for line in message.splitlines()]
    raised = [line for line in lines if re.match(r"[\w.]+(Error|Exception)\b.*:", line)]
    return _shorten((raised or lines or ["nbgrader failed"])[-1])


def describe_crash(messages: list[str], running: dict) -> dict:
    """The result of an autograde that failed, from nbgrader's ERROR log messages.

    Args:
        messages: what nbgrader logged at level ERROR (it catches exceptions itself).
        running: the cell being executed when it failed (keys ``cell``, ``index``), if any.
    """
    text = "\n".join(messages)
    where = f" while running {cell_label(running['cell'], running['index'])}" if running else ""
    if "DeadKernelError" in text or "Kernel died" in text:
        return {"status": "crashed", "reason": f"the kernel died{where} ({CRASH_HINT})"}
    if "MemoryError" in text:
        reason = f"the grading process ran out of memory{where} (what the kernel sent)"
        return {"status": "crashed", "reason": reason}
    if "CellTimeoutError" in text or "UnresponsiveKernelError" in text:
        reason = f"a cell ran past the limit per cell and could not be interrupted{where}"
        return {"status": "timeout", "reason": reason}
    return {"status": "error", "reason": _last_exception(messages)}


def describe_disagreements(verdicts: list[dict]) -> str:
    """The test cells where the notebook's own run and the grader's checks disagree.

    Args:
        verdicts: per test cell, ``{"grade_id", "passed": the grader's verdict,
            "hidden": whether a hidden test failed it, "kernel": "passed" or the error of
            the kernel's own run}`` (the executor's journal). The kernel never runs the
            hidden tests, so a hidden test that fails is no disagreement. The grader's
            verdict counts; the kernel's run is only reported.
    """
    parts = []
    for verdict in verdicts:
        kernel = str(verdict.get("kernel", ""))
        passed = bool(verdict.get("passed"))
        if (kernel == "passed") == passed or (kernel == "passed" and verdict.get("hidden")):
            continue
        if verdict.get("passed"):
            said = f"the notebook's own run failed ({_shorten(kernel)[:120]})"
        else:
            said = "the notebook's own run passed"
        parts.append(f"{verdict.get('grade_id')}: {said}, the grader's checks decide")
    return "; ".join(parts)
