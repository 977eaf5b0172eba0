"""The gradebook in a real PostgreSQL server (`--db postgresql+psycopg2://...`)."""

import pytest
import sqlalchemy
from toy_course import SOLVED, grade, hand_in, make_course, student

from rnnlab.course.classroom.report import read_csv

pytestmark = [pytest.mark.grading, pytest.mark.slow]


def test_a_class_graded_into_postgresql_has_its_grades_there(tmp_path, postgres_url):
    root = make_course(tmp_path / "course")
    folder = tmp_path / "class"
    hand_in(folder, "alice", student())
    hand_in(folder, "bob", student({"mul": SOLVED["mul"]}))
    out = tmp_path / "grading"

    done = grade(root, folder, out, "--db", postgres_url)

    assert done.returncode == 0, done.stdout + done.stderr
    assert not (out / "gradebook.db").exists()
    rows = {row.student: (row.score, row.status) for row in read_csv(out / "grades.csv")}
    assert rows == {"alice": (3, "graded"), "bob": (1, "graded")}
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as db:
        scores = db.execute(
            sqlalchemy.text(
                "SELECT s.student_id, c.name, g.auto_score FROM grade g"
                " JOIN base_cell c ON g.cell_id = c.id"
                " JOIN submitted_notebook n ON g.notebook_id = n.id"
                " JOIN submitted_assignment s ON n.assignment_id = s.id ORDER BY 1, 2"
            )
        ).fetchall()
    engine.dispose()
    assert [tuple(row) for row in scores] == [
        ("alice", "test_add", 2),
        ("alice", "test_mul", 1),
        ("bob", "test_add", 0),
        ("bob", "test_mul", 1),
    ]
