"""grades.csv and the summary."""

import csv

from rnnlab.course.classroom.report import COLUMNS, Row, read_csv, summary, write_csv

ROWS = [
    Row(
        "bob",
        "ex01_rnn",
        2.5,
        10.0,
        "graded",
        "test_cell 0/3: AssertionError: wrong b_hh",
        "feedback/bob/ex01_rnn/ex01_rnn.html",
    ),
    Row("alice", "ex01_rnn", 10.0, 10.0, "graded", "", "feedback/alice/ex01_rnn/ex01_rnn.html"),
    Row("carol", "ex01_rnn", 0.0, 10.0, "crashed", "the kernel died while running cell 4"),
]


def test_grades_csv_has_the_documented_columns_sorted_by_student(tmp_path):
    write_csv(ROWS, tmp_path / "grades.csv")

    with (tmp_path / "grades.csv").open() as f:
        lines = list(csv.reader(f))

    assert lines[0] == [
        "student",
        "assignment",
        "score",
        "max_score",
        "status",
        "reason",
        "feedback",
    ]
    assert tuple(lines[0]) == COLUMNS
    assert [line[0] for line in lines[1:]] == ["alice", "bob", "carol"]
    assert lines[2][2:5] == ["2.5", "10", "graded"]


def test_grades_csv_reads_back_into_the_same_rows(tmp_path):
    write_csv(ROWS, tmp_path / "grades.csv")

    assert read_csv(tmp_path / "grades.csv") == sorted(ROWS, key=lambda r: r.student)


def test_summary_counts_statuses_and_lists_every_row_that_lost_points():
    text = summary(ROWS, ["dave: ignored notes.ipynb"], seconds=12.34, workers=2)

    assert "3 notebooks of 3 students (ex01_rnn) in 12.3 s with 2 processes" in text
    assert "full marks 1; graded 2, missing 0, invalid 0, timeout 0, crashed 1, error 0" in text
    assert "bob    ex01_rnn  2.5/10  graded  test_cell 0/3: AssertionError: wrong b_hh" in text
    assert "carol  ex01_rnn  0/10  crashed  the kernel died while running cell 4" in text
    assert "alice" not in text
    assert "dave: ignored notes.ipynb" in text


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(tmp_path):
    rows = [
        Row("=HYPERLINK(1)", "ex", 0, 1, "invalid", "@SUM(A1)"),
        Row("ann", "ex", 1, 1, "graded"),
    ]
    write_csv(rows, tmp_path / "grades.csv")
    lines = (tmp_path / "grades.csv").read_text().splitlines()
    assert lines[1:] == ["'=HYPERLINK(1),ex,0,1,invalid,'@SUM(A1),", "ann,ex,1,1,graded,,"]
