"""rnnlab.course.grading's RNN checks (ex01): right answers pass, each usual mistake is named."""

import numpy as np
import pytest
import students

from rnnlab import rnn
from rnnlab.course import grading


def test_a_right_rnn_passes_the_visible_and_the_hidden_checks(capsys):
    cell = students.rnn()
    for hidden in (False, True):
        grading.check_rnn_cell(cell, hidden=hidden)
        grading.check_rnn_forward(students.rnn_forward_of(cell), hidden=hidden)
        grading.check_rnn_backward(students.rnn_backward(), hidden=hidden)
    printed = capsys.readouterr().out
    assert printed.count("✓") == 3  # the hidden checks print nothing


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (students.rnn(b_hh=False), "without b_hh: add the recurrent bias b_hh"),
        (students.rnn(act=students.sigmoid), "your h looks like it uses sigmoid instead of tanh"),
        (students.rnn(transpose_W_hh=False), "matches W_hhᵀ instead of W_hh"),
        (
            students.rnn(post=lambda h: h.T),
            r"expected h of shape \(B, H\) = \(1, 2\), got shape \(2, 1\)",
        ),
        (lambda x, h, params: rnn.cell(x, h, params), r"calls the rnnlab reference"),
    ],
    ids=["no recurrent bias", "sigmoid for tanh", "W instead of W.T", "shape", "reference"],
)
def test_a_wrong_rnn_cell_fails_with_what_is_wrong(cell, message):
    with pytest.raises(AssertionError, match=message):
        grading.check_rnn_cell(cell)


def test_a_half_recurrent_bias_is_found_by_isolating_each_parameter():
    def half_bias(x, h, params):
        return students.rnn()(x, h, {**params, "b_hh": params["b_hh"] / 2})

    with pytest.raises(AssertionError, match="with only b_hh nonzero .* recurrent bias"):
        grading.check_rnn_cell(half_bias)


def test_a_loop_that_does_not_carry_the_state_is_named():
    forward = students.rnn_forward_of(students.rnn(), carry=False)
    with pytest.raises(AssertionError, match="every step starts from state0: carry the state"):
        grading.check_rnn_forward(forward)


def test_a_loop_with_a_wrong_cell_points_at_the_first_step():
    forward = students.rnn_forward_of(students.rnn(b_hh=False))
    with pytest.raises(AssertionError, match="first step already differs .* without b_hh"):
        grading.check_rnn_forward(forward)


def test_bptt_without_the_gradient_through_time_is_named():
    with pytest.raises(AssertionError, match=r"leave out what flows back from later steps"):
        grading.check_rnn_backward(students.rnn_backward(through_time=False))


def test_bptt_with_a_missing_gradient_names_it():
    def no_xs(xs, params, d_hs, h0=None):
        grads = students.rnn_backward()(xs, params, d_hs, h0)
        del grads["xs"]
        return grads

    with pytest.raises(AssertionError, match="got a dict without xs"):
        grading.check_rnn_backward(no_xs)


def test_a_transposed_weight_gradient_gets_its_formula():
    def transposed(xs, params, d_hs, h0=None):
        grads = students.rnn_backward()(xs, params, d_hs, h0)
        return {**grads, "W_hh": np.ascontiguousarray(grads["W_hh"].T)}

    with pytest.raises(
        AssertionError, match=r"wrong values in gradient of W_hh(?s:.*)dW_hh = Σ_t"
    ):
        grading.check_rnn_backward(transposed)
