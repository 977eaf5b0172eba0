"""Grading again: the same folder gives the same grades and loses nothing; a corrected
resubmission replaces the earlier grade; the course root itself is never written to."""

import sqlite3

import pytest
from toy_course import ASSIGNMENT, SOLVED, grade, hand_in, make_course, student

from rnnlab.course.classroom.report import read_csv

pytestmark = [pytest.mark.grading, pytest.mark.slow]

OTHER = "ex_two"


def _snapshot(out):
    feedback = {p.relative_to(out): p.read_bytes() for p in (out / "feedback").rglob("*.html")}
    with sqlite3.connect(out / "gradebook.db") as db:
        tables = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("student", "submitted_assignment", "submitted_notebook", "grade")
        }
        scores = db.execute(
            "SELECT s.student_id, a.name, c.name, g.auto_score FROM grade g"
            " JOIN base_cell c ON g.cell_id = c.id"
            " JOIN submitted_notebook n ON g.notebook_id = n.id"
            " JOIN submitted_assignment s ON n.assignment_id = s.id"
            " JOIN assignment a ON s.assignment_id = a.id ORDER BY 1, 2, 3"
        ).fetchall()
    return {
        "csv": (out / "grades.csv").read_text(),
        "feedback": feedback,
        "tables": tables,
        "scores": scores,
    }


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if "grading" not in p.parts)


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    """Three runs of `rnnlab grade` with the default grading folder: the same class
    twice, then again after bob hands in a corrected notebook. Alice's two notebooks
    are graded at the same time, on a gradebook that does not exist yet."""
    base = tmp_path_factory.mktemp("regrade")
    root = make_course(base / "course", (ASSIGNMENT, OTHER))
    folder = base / "class"
    hand_in(folder, "alice", student())
    hand_in(folder, "alice", student(), OTHER)
    hand_in(folder, "bob", student({"mul": SOLVED["mul"]}), layout="zip")
    hand_in(folder, "dave", b"not json")
    course_files = _files(root)
    out = root / "grading"  # the default of --out
    runs, snapshots = [], []
    for resubmit in (False, False, True):
        if resubmit:
            (folder / "bob.zip").unlink()
            hand_in(folder, "bob", student())
        runs.append(grade(root, folder, None))
        snapshots.append(_snapshot(out))
    return runs, snapshots, root, out, course_files


def test_every_run_succeeds(regraded):
    runs, *_ = regraded
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr


def test_grading_twice_gives_the_same_grades_feedback_and_gradebook(regraded):
    _, (first, second, _), *_ = regraded
    assert second == first
    assert len(first["feedback"]) == 3  # dave's file never reached nbgrader
    assert first["tables"] == {
        "student": 3,
        "submitted_assignment": 3,
        "submitted_notebook": 3,
        "grade": 6,
    }
    assert first["scores"] == [
        ("alice", ASSIGNMENT, "test_add", 2),
        ("alice", ASSIGNMENT, "test_mul", 1),
        ("alice", OTHER, "test_add", 2),
        ("alice", OTHER, "test_mul", 1),
        ("bob", ASSIGNMENT, "test_add", 0),
        ("bob", ASSIGNMENT, "test_mul", 1),
    ]


def test_a_corrected_resubmission_replaces_the_earlier_grade_only(regraded):
    _, (first, _, third), _, out, _ = regraded
    rows = {(row.student, row.assignment): row for row in read_csv(out / "grades.csv")}
    assert {key: (row.score, row.status) for key, row in rows.items()} == {
        ("alice", OTHER): (3, "graded"),
        ("alice", ASSIGNMENT): (3, "graded"),
        ("bob", OTHER): (0, "missing"),
        ("bob", ASSIGNMENT): (3, "graded"),
        ("dave", OTHER): (0, "missing"),
        ("dave", ASSIGNMENT): (0, "invalid"),
    }
    assert "Score: 3.0 / 3.0" in (out / rows["bob", ASSIGNMENT].feedback).read_text()
    alice = [key for key in first["feedback"] if "alice" in key.parts]
    assert [third["feedback"][k] for k in alice] == [first["feedback"][k] for k in alice]
    assert third["tables"] == first["tables"]


def test_the_course_root_is_left_untouched(regraded):
    *_, root, out, course_files = regraded
    assert _files(root) == course_files  # no gradebook.db, submitted/, exercises/ there
    assert (out / ".gitignore").read_text().splitlines()[-1] == "*"
