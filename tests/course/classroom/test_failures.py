"""The one-line reasons of grades.csv, from an autograded notebook and nbgrader's log."""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rnnlab.course.classroom.failures import (
    DELETED,
    MAX_CHARS,
    MAX_PARTS,
    describe_crash,
    describe_failures,
)


def _cell(grade_id, ename=None, evalue="", **nbgrader):
    outputs = []
    if ename:
        outputs = [new_output("error", ename=ename, evalue=evalue, traceback=["line 1", "line 2"])]
    meta = {"nbgrader": {"grade_id": grade_id, **nbgrader}} if grade_id else {}
    return new_code_cell("...", metadata=meta, outputs=outputs)


def test_a_test_cell_that_lost_points_is_named_with_its_score_and_message_on_one_line():
    message = "lstm_cell: your h differs\n  → your forget gate f uses tanh\n  (case: B=1)"
    nb = new_notebook(
        cells=[
            new_markdown_cell("intro"),
            _cell("lstm_cell", solution=True),
            _cell("test_gates", "AssertionError", message),
            _cell("test_shapes"),
        ]
    )
    grades = [("test_gates", 0.0, 3.0, False), ("test_shapes", 2.0, 2.0, False)]

    reason = describe_failures(nb, grades)

    assert reason == (
        "test_gates 0/3: AssertionError: lstm_cell: your h differs"
        " → your forget gate f uses tanh (case: B=1)"
    )


def test_a_very_long_message_is_cut():
    nb = new_notebook(cells=[_cell("test_a", "ValueError", "x" * 1000)])

    reason = describe_failures(nb, [("test_a", 0.0, 1.0, False)])

    assert len(reason) == len("test_a 0/1: ") + MAX_CHARS
    assert reason.endswith("x…")


def test_full_marks_give_an_empty_reason():
    nb = new_notebook(cells=[_cell("test_a")])
    assert describe_failures(nb, [("test_a", 1.0, 1.0, False)]) == ""


def test_an_error_in_a_solution_cell_is_named_before_the_test_it_broke():
    nb = new_notebook(
        cells=[
            _cell("mul", "MemoryError", "Unable to allocate 74.5 GiB", solution=True),
            _cell("test_mul", "NameError", "name 'mul' is not defined"),
        ]
    )

    reason = describe_failures(nb, [("test_mul", 0.0, 1.0, False)])

    assert reason == (
        "cell 1 (mul): MemoryError: Unable to allocate 74.5 GiB; "
        "test_mul 0/1: NameError: name 'mul' is not defined"
    )


def test_a_test_cell_missing_from_the_notebook_is_reported_as_deleted():
    nb = new_notebook(cells=[_cell("test_b")])
    grades = [("test_a", 0.0, 2.0, True), ("test_b", 1.0, 1.0, False)]

    assert describe_failures(nb, grades) == f"test_a 0/2: {DELETED}"


def test_an_interrupted_cell_says_it_ran_past_the_limit():
    nb = new_notebook(cells=[_cell("test_a", "KeyboardInterrupt")])

    reason = describe_failures(nb, [("test_a", 0.0, 2.0, False)])

    assert reason.startswith("test_a 0/2: interrupted: the cell ran longer than the limit")


def test_a_long_list_of_failures_is_cut_after_a_few():
    cells = [_cell(f"test_{i}", "NotImplementedError") for i in range(MAX_PARTS + 3)]
    grades = [(f"test_{i}", 0.0, 1.0, False) for i in range(MAX_PARTS + 3)]

    parts = describe_failures(new_notebook(cells=cells), grades).split("; ")

    assert len(parts) == MAX_PARTS + 1
    assert parts[-1] == "and 3 more"


def test_a_dead_kernel_is_a_crash_that_names_the_running_cell():
    messages = ["Kernel died while waiting for execute reply.", "Traceback ...\nDeadKernelError"]
    running = {"cell": _cell("mul", solution=True), "index": 3}

    result = describe_crash(messages, running)

    assert result["status"] == "crashed"
    assert result["reason"].startswith("the kernel died while running cell 4 (mul)")


def test_a_cell_that_cannot_be_interrupted_is_a_timeout():
    messages = ["nbclient.exceptions.CellTimeoutError: A cell timed out while it was being"]

    result = describe_crash(messages, {"cell": _cell(None), "index": 0})

    assert result == {
        "status": "timeout",
        "reason": "a cell ran past the limit per cell and could not be interrupted"
        " while running cell 1",
    }


def test_another_failure_is_an_error_quoting_the_last_exception():
    messages = [
        "There was an error processing assignment: x",
        "Traceback (most recent call last):\n  File ...\n"
        "nbformat.reader.NotJSONError: Notebook does not appear to be JSON",
        "Please see the the above traceback",
    ]

    result = describe_crash(messages, {})

    assert result == {
        "status": "error",
        "reason": "nbformat.reader.NotJSONError: Notebook does not appear to be JSON",
    }


def test_a_control_character_of_a_notebook_never_reaches_a_reason():
    cell = _cell("add", "ValueError", "\x1b[2K\x1b[1A  full\tmarks\r\n99", solution=True)
    reason = describe_failures(new_notebook(cells=[cell]), [])
    assert reason == "cell 1 (add): ValueError: ?[2K?[1A full marks 99"
