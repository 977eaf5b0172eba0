"""Feedback never shows hidden tests: neither their source nor a traceback quoting it."""

from nbformat.v4 import new_code_cell, new_notebook, new_output

from rnnlab.course.classroom.feedback import HideHiddenTests, cut_hidden_region

TEST_CELL = """check_visible(f)
### BEGIN HIDDEN TESTS
check_secret(f, seed=7)
### END HIDDEN TESTS
print("done")"""


def test_cut_hidden_region_keeps_the_lines_around_the_region():
    assert cut_hidden_region(TEST_CELL) == ('check_visible(f)\nprint("done")', True)


def test_cut_hidden_region_leaves_a_cell_without_one_alone():
    assert cut_hidden_region("a = 1\nb = 2") == ("a = 1\nb = 2", False)


def test_a_region_left_open_is_cut_to_the_end_of_the_cell():
    assert cut_hidden_region("a\n### BEGIN HIDDEN TESTS\nsecret") == ("a", True)


def _grade_cell(source, outputs=(), grade=True):
    meta = {"nbgrader": {"grade": grade, "grade_id": "t", "solution": not grade}}
    return new_code_cell(source, metadata=meta, outputs=list(outputs))


def test_hidden_tests_and_their_traceback_are_removed_but_the_message_is_kept():
    error = new_output(
        "error",
        ename="AssertionError",
        evalue="your forget gate looks like it uses tanh",
        traceback=["----> 3 check_secret(f, seed=7)", "AssertionError: your forget gate ..."],
    )
    nb = new_notebook(cells=[_grade_cell(TEST_CELL, [error])])

    nb, _ = HideHiddenTests().preprocess(nb, {})

    (cell,) = nb.cells
    assert "check_secret" not in cell.source
    assert cell.outputs[0].traceback == [
        "AssertionError: your forget gate looks like it uses tanh"
    ]


def test_a_visible_test_keeps_its_full_traceback():
    error = new_output("error", ename="NameError", evalue="x", traceback=["a", "b"])
    nb = new_notebook(cells=[_grade_cell("check_visible(f)", [error])])

    nb, _ = HideHiddenTests().preprocess(nb, {})

    assert nb.cells[0].outputs[0].traceback == ["a", "b"]


def test_a_students_own_cell_is_never_changed():
    source = "# BEGIN HIDDEN TESTS is just text here\nx = 1"
    nb = new_notebook(cells=[_grade_cell(source, grade=False)])

    nb, _ = HideHiddenTests().preprocess(nb, {})

    assert nb.cells[0].source == source


def test_the_preprocessor_runs_when_registered():
    # nbconvert skips a preprocessor whose `enabled` is False, the default of its base class
    assert HideHiddenTests().enabled


def test_a_feedback_file_past_the_limit_is_replaced_by_a_note(tmp_path):
    from rnnlab.course.classroom.worker import FEEDBACK_CUT, MAX_FEEDBACK, _limit_feedback

    big, small = tmp_path / "ex" / "ex.html", tmp_path / "ex" / "style.css"
    big.parent.mkdir()
    big.write_bytes(b"x" * (MAX_FEEDBACK + 1))
    small.write_text("body {}")
    assert _limit_feedback(tmp_path) is True
    assert FEEDBACK_CUT in big.read_text() and big.stat().st_size < 1000
    assert small.read_text() == "body {}"
    assert _limit_feedback(tmp_path) is False  # nothing left to cut
