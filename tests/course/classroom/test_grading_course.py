"""The course's own exercises, graded by `rnnlab grade` from the repository root.

Four students: one hands in every solution (full marks), one every released notebook
untouched (zero on every graded cell), two hand in the LSTM exercise with one
deliberate bug each (partial marks, and feedback that names the bug).
"""

import re
import sqlite3
from pathlib import Path

import course_layout
import nbformat
import pytest
from toy_course import REPO, grade, hand_in, html_text

from rnnlab.course.classroom import course
from rnnlab.course.classroom.report import read_csv

pytestmark = [pytest.mark.grading, pytest.mark.slow]

ASSIGNMENTS = course.assignments(REPO)
LSTM = "ex02_lstm"
# The bugs, as (cell, pattern, replacement) on the LSTM solution.
BUGS = {
    "tanh_for_sigmoid": ("lstm_cell", r"sigmoid\(zf\)", "np.tanh(zf)"),
    "gates_swapped": ("lstm_cell", r"zi, zf, zg, zo = ", "zf, zi, zg, zo = "),
}
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)


def _read(kind: str, assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / kind / assignment / f"{assignment}.ipynb", as_version=4)


def _answers(assignment: str) -> dict[str, str]:
    """The instructor's solution cells, without the solution markers, by grade_id."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: MARKERS.sub("", cell.source)
        for cell in _read("solutions", assignment).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def solved(assignment: str, bug: str | None = None) -> nbformat.NotebookNode:
    """The released notebook with every answer filled in (and one bug, if named)."""
    answers = _answers(assignment)
    if bug:
        cell, pattern, replacement = BUGS[bug]
        answers[cell], count = re.subn(pattern, replacement, answers[cell])
        assert count == 1, f"the solution of {cell} no longer contains {pattern!r}"
    nb = _read("exercises", assignment)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    folder = base / "class"
    for assignment in ASSIGNMENTS:
        hand_in(folder, "solver", solved(assignment), assignment, layout="nested")
        hand_in(folder, "starter", _read("exercises", assignment), assignment)
    for bug in BUGS:
        hand_in(folder, bug, solved(LSTM, bug), LSTM, layout="zip")
    out = base / "grading"
    done = grade(REPO, folder, out)
    rows = {(row.student, row.assignment): row for row in read_csv(out / "grades.csv")}
    return done, rows, out


def _cell_scores(out: Path, student: str, assignment: str) -> dict[str, float]:
    with sqlite3.connect(out / "gradebook.db") as db:
        return dict(
            db.execute(
                "SELECT c.name, g.auto_score FROM grade g JOIN base_cell c ON g.cell_id = c.id"
                " JOIN submitted_notebook n ON g.notebook_id = n.id"
                " JOIN submitted_assignment s ON n.assignment_id = s.id"
                " JOIN assignment a ON s.assignment_id = a.id"
                " WHERE s.student_id = ? AND a.name = ?",
                (student, assignment),
            ).fetchall()
        )


def test_the_course_has_its_six_exercises():
    assert list(course_layout.ASSIGNMENTS) == ASSIGNMENTS


def test_grading_the_class_succeeds(graded):
    done, rows, _ = graded
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(rows) == 2 * len(ASSIGNMENTS) + 2 * len(ASSIGNMENTS)  # missing ones included


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solutions_earn_full_marks(graded, assignment):
    _, rows, _ = graded
    row = rows["solver", assignment]
    assert (row.status, row.reason) == ("graded", "")
    assert row.score == row.max_score > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_released_notebooks_earn_zero_on_every_graded_cell(graded, assignment):
    _, rows, out = graded
    row = rows["starter", assignment]
    assert (row.status, row.score) == ("graded", 0)
    scores = _cell_scores(out, "starter", assignment)
    assert scores and set(scores.values()) == {0}
    assert "not implemented" in row.reason


@pytest.mark.parametrize(
    ("bug", "message"),
    [
        ("tanh_for_sigmoid", "your forget gate f looks like it uses tanh instead of sigmoid"),
        ("gates_swapped", "your gate blocks seem to be in the order f, i, g, o instead of i, f"),
    ],
)
def test_one_bug_in_the_lstm_is_named_in_grades_csv_and_in_the_feedback(graded, bug, message):
    _, rows, out = graded
    row = rows[bug, LSTM]
    assert row.status == "graded"
    assert message in row.reason
    text = html_text(out / row.feedback)
    assert message in text
    assert "hidden=True" not in text  # the hidden tests' calls are not shown
    assert rows[bug, "ex01_rnn"].status == "missing"


@pytest.mark.parametrize("bug", list(BUGS))
def test_one_bug_in_the_lstm_earns_partial_marks(graded, bug):
    _, rows, _ = graded
    row = rows[bug, LSTM]
    assert 0 < row.score < row.max_score, row.reason


def test_no_feedback_shows_a_hidden_test(graded):
    _, rows, out = graded
    feedback = [row.feedback for row in rows.values() if row.feedback]
    assert len(feedback) == 2 * len(ASSIGNMENTS) + len(BUGS)
    for path in feedback:
        text = html_text(out / path)
        assert "hidden=True" not in text and "HIDDEN TESTS" not in text, path
