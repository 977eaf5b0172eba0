"""grades.csv and the summary printed at the end of ``rnnlab grade``.

One row per (student, assignment). ``status`` says what happened:

graded    autograded; ``score`` may be partial, ``reason`` names the test cells that
          lost points and their errors (empty for full marks)
missing   no notebook for this assignment in the student's submission
invalid   the file is not a notebook nbgrader can read (e.g. invalid JSON)
timeout   the notebook ran longer than the limit per notebook and was stopped
crashed   the kernel died (os.kill, a segfault, memory) or the grading process died
error     nbgrader failed for another reason, quoted in ``reason``

Every status other than ``graded`` scores 0.
"""

import csv
import os
from collections import Counter
from dataclasses import astuple, dataclass, fields
from pathlib import Path

STATUSES = ("graded", "missing", "invalid", "timeout", "crashed", "error")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Row:
    """One line of grades.csv; ``feedback`` is the HTML file, relative to the grading folder."""

    student: str
    assignment: str
    score: float
    max_score: float
    status: str
    reason: str = ""
    feedback: str = ""


COLUMNS = tuple(field.name for field in fields(Row))


def _number(value: float) -> str:
    return f"{value:g}"


def _text(value: str) -> str:
    """A text cell a spreadsheet shows as text: one starting with = + - @ (a formula to
    Excel and LibreOffice) gets a leading apostrophe, as they read it."""
    return f"'{value}" if value[:1] in FORMULA else value


def write_csv(rows: list[Row], path: Path) -> None:
    """Write the rows, sorted by student then assignment, with a header line; whole or
    not at all (a reader never meets half a file)."""
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for row in sorted(rows, key=lambda r: (r.student, r.assignment)):
            values = [_text(value) if isinstance(value, str) else value for value in astuple(row)]
            values[2:4] = [_number(row.score), _number(row.max_score)]
            writer.writerow(values)
    os.replace(partial, path)


def read_csv(path: Path) -> list[Row]:
    """The rows of a grades.csv written by ``write_csv``."""
    with path.open(newline="") as f:
        return [
            Row(**{**line, "score": float(line["score"]), "max_score": float(line["max_score"])})
            for line in csv.DictReader(f)
        ]


def summary(rows: list[Row], notes: list[str], seconds: float, workers: int) -> str:
    """A few lines: counts by status, every row that lost points, and the notes."""
    students = {row.student for row in rows}
    assignments = sorted({row.assignment for row in rows})
    counts = Counter(row.status for row in rows)
    full = sum(row.status == "graded" and row.score == row.max_score for row in rows)
    lines = [
        f"{len(rows)} notebooks of {len(students)} students "
        f"({', '.join(assignments)}) in {seconds:.1f} s with {workers} processes",
        f"  full marks {full}; " + ", ".join(f"{s} {counts[s]}" for s in STATUSES),
    ]
    lost = [row for row in rows if row.score < row.max_score or row.status != "graded"]
    if lost:
        width = max(len(row.student) for row in lost)
        lines.append("lost points:")
        for row in sorted(lost, key=lambda r: (r.student, r.assignment)):
            lines.append(
                f"  {row.student:<{width}}  {row.assignment}  "
                f"{_number(row.score)}/{_number(row.max_score)}  {row.status}  {row.reason}"
            )
    if notes:
        lines.append("notes:")
        lines.extend(f"  {note}" for note in notes)
    return "\n".join(lines)
