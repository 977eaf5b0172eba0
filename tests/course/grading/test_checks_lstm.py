"""rnnlab.course.grading's LSTM checks (ex02): right answers pass, each usual mistake is named."""

import numpy as np
import pytest
import students

from rnnlab import lstm
from rnnlab.course import grading


def test_a_right_lstm_passes_the_visible_and_the_hidden_checks():
    for hidden in (False, True):
        grading.check_lstm_cell(students.lstm(), hidden=hidden)
        grading.check_lstm_forward(students.lstm_forward_of(students.lstm()), hidden=hidden)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            students.lstm(acts={"f": np.tanh}),
            "forget gate f looks like it uses tanh instead of sigmoid",
        ),
        (
            students.lstm(acts={"i": np.tanh}),
            "input gate i looks like it uses tanh instead of sigmoid",
        ),
        (
            students.lstm(acts={"o": np.tanh}),
            "output gate o looks like it uses tanh instead of sigmoid",
        ),
        (
            students.lstm(acts={"g": students.sigmoid}),
            "candidate g looks like it uses sigmoid instead of tanh",
        ),
        (
            students.lstm(order="ifog"),
            "gate blocks seem to be in the order i, f, o, g instead of i, f, g, o",
        ),
        (students.lstm(order="figo"), "in the order f, i, g, o instead of i, f, g, o"),
        (students.lstm(b_hh=False), "without b_hh: add the recurrent bias b_hh"),
        (
            students.lstm(output_tanh=False),
            r"h has no tanh on the cell state: h_t = o_t ⊙ tanh\(c_t\)",
        ),
        (students.lstm(returns="ch"), r"you return \(c, h\)"),
    ],
    ids=[
        "tanh f",
        "tanh i",
        "tanh o",
        "sigmoid g",
        "ifog",
        "figo",
        "no b_hh",
        "no tanh(c)",
        "(c, h)",
    ],
)
def test_a_wrong_lstm_cell_fails_with_what_is_wrong(cell, message):
    with pytest.raises(AssertionError, match=message):
        grading.check_lstm_cell(cell)


def test_a_term_off_in_one_gate_is_located_by_parameter_and_block():
    def forget_bias_twice(x, state, params):
        b_hh = params["b_hh"].copy()
        H = len(b_hh) // 4
        b_hh[H : 2 * H] *= 2
        return students.lstm()(x, state, {**params, "b_hh": b_hh})

    with pytest.raises(
        AssertionError, match=r"with only b_hh nonzero .* its f \(rows H:2H\) block"
    ):
        grading.check_lstm_cell(forget_bias_twice)


def test_a_wrong_state_shape_is_reported_with_the_expected_shape():
    def flat(x, state, params):
        h, c = students.lstm()(x, state, params)
        return h.ravel(), c

    with pytest.raises(
        AssertionError, match=r"expected h of shape \(B, H\) = \(1, 2\), got shape \(2,\)"
    ):
        grading.check_lstm_cell(flat)


def test_a_cell_that_calls_the_reference_step_or_a_private_helper_fails():
    def borrowed(x, state, params):
        return lstm.step(x @ params["W_ih"].T + params["b_ih"], *state, params)[:2]

    with pytest.raises(AssertionError, match=r"calls the rnnlab reference \(rnnlab\.lstm\.step\)"):
        grading.check_lstm_cell(borrowed)

    def looped(x, state, params):
        steps = lstm._run(x[None], params, *state)
        return steps[-1].h_t, steps[-1].c_t

    with pytest.raises(AssertionError, match=r"calls the rnnlab reference \(rnnlab\.lstm\._run\)"):
        grading.check_lstm_cell(looped)


def test_a_loop_that_does_not_carry_the_state_is_named():
    forward = students.lstm_forward_of(students.lstm(), carry=False)
    with pytest.raises(AssertionError, match="every step starts from state0"):
        grading.check_lstm_forward(forward)


def test_a_loop_over_a_wrong_cell_names_the_gate():
    forward = students.lstm_forward_of(students.lstm(acts={"f": np.tanh}))
    with pytest.raises(
        AssertionError, match="first step already differs .* forget gate f .* tanh"
    ):
        grading.check_lstm_forward(forward)


def test_a_loop_that_returns_only_hs_is_told_the_pair():
    def only_hs(xs, params, state0=None):
        return students.lstm_forward_of(students.lstm())(xs, params, state0)[0]

    with pytest.raises(AssertionError, match=r"expected the pair \(hs, \(h_T, c_T\)\)"):
        grading.check_lstm_forward(only_hs)


def test_a_forward_that_loops_a_wrong_cell_is_charged_only_through_the_cell():
    wrong_cell = students.lstm(order="figo")
    forward = students.lstm_forward_of(wrong_cell)
    with pytest.raises(AssertionError, match="differ"):
        grading.check_lstm_forward(forward)  # against the reference alone: wrong
    grading.check_lstm_forward(forward, cell=wrong_cell)  # its loop is right for its cell
    grading.check_lstm_forward(forward, hidden=True, cell=wrong_cell)


def test_a_forward_that_does_not_carry_the_state_fails_even_with_its_cell():
    cell = students.lstm()
    with pytest.raises(AssertionError, match="carry the state"):
        grading.check_lstm_forward(students.lstm_forward_of(cell, carry=False), cell=cell)


def lstm_cell(x, state, params):  # returns zeros, whatever it is given
    h, c = state
    return np.zeros_like(h), np.zeros_like(c)


def lstm_forward(xs, params, state0=None):  # zeros too: "lstm_cell run over time"
    T, B, _ = xs.shape
    H = params["W_hh"].shape[1]
    zeros = np.zeros((B, H), dtype=xs.dtype)
    return np.zeros((T, B, H), dtype=xs.dtype), (zeros, zeros)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_constant_forward_is_not_its_own_loop_of_a_cell_that_makes_no_known_mistake(hidden):
    # Zeros are "the zeros cell run over time": were any cell taken at its word, such a
    # forward would earn the loop's points for no loop at all.
    with pytest.raises(AssertionError, match="lstm_forward: wrong values in hs"):
        grading.check_lstm_forward(lstm_forward, hidden=hidden, cell=lstm_cell)


def test_the_loop_of_a_cells_mistake_is_computed_by_the_grader_not_asked_of_the_cell():
    # A kernel keeps state: a cell could answer the calls that replay "its loop" with
    # whatever the forward returned. The grader names the cell's mistake (gates read in
    # the order f, i, g, o) and runs that mistake over time itself, which zeros are not.
    with pytest.raises(AssertionError, match="lstm_forward: wrong values in hs"):
        grading.check_lstm_forward(lstm_forward, cell=students.lstm(order="figo"))


def test_a_cell_that_ignores_its_cell_state_cannot_vouch_for_a_loop():
    def no_memory(x, state, params):
        h, _ = state
        return students.lstm()(x, (h, np.zeros_like(h)), params)

    with pytest.raises(AssertionError, match="wrong values in hs"):
        grading.check_lstm_forward(students.lstm_forward_of(no_memory), cell=no_memory)


def test_a_forward_that_loops_a_cell_with_tanh_for_a_sigmoid_earns_the_loops_points():
    wrong_cell = students.lstm(acts={"f": np.tanh})
    forward = students.lstm_forward_of(wrong_cell)
    grading.check_lstm_forward(forward, cell=wrong_cell)
    grading.check_lstm_forward(forward, hidden=True, cell=wrong_cell)
    with pytest.raises(AssertionError, match="forget gate f looks like it uses tanh"):
        grading.check_lstm_cell(wrong_cell)
