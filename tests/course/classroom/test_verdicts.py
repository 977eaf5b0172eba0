"""Test cells decided in the grader's process: the course's cells run here, the
student's names come from the kernel (here an in-process stand-in, as in test_remote)."""

import ast

import nbformat
import numpy as np
import pytest
from test_remote import SOLVED_CELL, kernel

from rnnlab import init
from rnnlab.course import grading
from rnnlab.course.classroom.feedback import cut_hidden_region
from rnnlab.course.classroom.verdicts import CourseCells, free_names, role
from rnnlab.course.grading import _core

REPO_SOURCE = "solutions/ex02_lstm/ex02_lstm.ipynb"
FORWARD_CELL = """
def lstm_forward(xs, params, state0=None):
    T, B, _ = xs.shape
    H = params["W_hh"].shape[1]
    if state0 is None:
        state0 = (np.zeros((B, H), dtype=xs.dtype), np.zeros((B, H), dtype=xs.dtype))
    state, hs = state0, np.empty((T, B, H), dtype=xs.dtype)
    for t in range(T):
        state = lstm_cell(xs[t], state, params)
        hs[t] = state[0]
    return hs, state
"""


@pytest.fixture
def course():
    from toy_course import REPO

    return CourseCells(nbformat.read(REPO / REPO_SOURCE, as_version=4), seed=1234)


def test_free_names_are_those_read_and_never_bound():
    tree = ast.parse(
        "import numpy as np\nfrom a import b as c\nx = f(np, c)\n"
        "def loss(p):\n    return g(p) + x\nfor i in range(3):\n    h(i)\n"
    )
    assert free_names(tree) == {"f", "g", "h", "range"}


def test_the_course_cells_roles_come_from_their_nbgrader_metadata(course):
    assert course.tests() == ["test_lstm_cell", "test_lstm_forward", "test_lstm_backward"]
    kinds = [kind for _, kind, _ in course.cells]
    assert kinds == ["setup", "test", "test", "test"]
    assert role(nbformat.v4.new_code_cell("x = 1")) is None  # a student's own cell


def test_a_solved_notebook_passes_and_the_checks_say_so(course):
    _, far = kernel(SOLVED_CELL + FORWARD_CELL)
    cell = course.run_test("test_lstm_cell", far)
    forward = course.run_test("test_lstm_forward", far)
    assert (cell.error, forward.error) == (None, None)
    assert cell.printed == "✓ lstm_cell: right on all 4 cases.\n"
    assert "zero" in course.namespace and "lstm_cell" not in course.namespace


def test_a_missing_function_fails_with_a_name_error(course):
    _, far = kernel("import numpy as np")
    verdict = course.run_test("test_lstm_cell", far)
    assert verdict.error == ("NameError", "name 'lstm_cell' is not defined")
    assert verdict.hidden is False


def _lookup_table(course):
    """An lstm_cell that knows the answers of the visible test only, and returns zeros
    elsewhere: what a student could hand in who copied the visible test's answers."""
    answers, solved = {}, {}
    exec(SOLVED_CELL, solved)

    def recording(x, state, params):
        result = solved["lstm_cell"](x, state, params)
        answers[x.tobytes()] = result
        return result

    visible, _ = cut_hidden_region(dict((i, src) for i, _, src in course.cells)["test_lstm_cell"])
    exec(visible, {"lstm_cell": recording, "np": np, "init": init, "grading": grading})

    def lstm_cell(x, state, params):
        return answers.get(x.tobytes(), (np.zeros_like(state[0]), np.zeros_like(state[1])))

    return lstm_cell


def test_answers_copied_for_the_visible_cases_fail_on_the_hidden_ones(course):
    namespace, far = kernel("import numpy as np")
    namespace["lstm_cell"] = _lookup_table(course)
    verdict = course.run_test("test_lstm_cell", far)
    assert verdict.error[0] == "AssertionError" and verdict.hidden is True
    assert "lstm_cell: wrong values in h: the largest difference" in verdict.error[1]


def test_the_hidden_cases_come_from_the_seed(course):
    seen = []
    namespace, far = kernel(SOLVED_CELL)

    def spy(x, state, params):
        seen.append(x.shape)
        return namespace["solved"](x, state, params)

    namespace["solved"], namespace["lstm_cell"] = namespace["lstm_cell"], spy
    course.run_test("test_lstm_cell", far)
    with _core.drawn_cases(1234):
        drawn = [(case.B, case.D) for case in _core.cases(hidden=True)]
    visible = [(case.B, case.D) for case in _core.VISIBLE]
    assert seen == [*visible, (1, 1), *drawn]  # the visible check, the by-hand line, hidden


def test_test_cells_moved_around_by_the_student_still_run_after_the_setup(course):
    _, far = kernel(SOLVED_CELL + FORWARD_CELL)
    assert course.run_test("test_lstm_forward", far).error is None
    assert course.run_test("test_lstm_cell", far).error is None
    assert course.ran == {"setup"}
