"""rnnlab.course.grading's check of the LSTM's BPTT (ex02): a right answer passes, each
usual mistake is named, and a mistake no list holds is traced to its gate."""

import numpy as np
import pytest
import students

from rnnlab import init, lstm
from rnnlab.course import grading
from rnnlab.course.grading import lstm_backward as checks
from rnnlab.course.grading._lstm_bptt import MISTAKES, bptt


def test_a_right_lstm_backward_passes_the_visible_and_the_hidden_checks():
    for hidden in (False, True):
        grading.check_lstm_backward(students.lstm_backward(), hidden=hidden)


def test_the_students_right_answer_agrees_with_finite_differences():
    """The right student is itself right: one entry of each parameter's gradient."""
    rng = np.random.default_rng(0)
    xs, d_hs = rng.normal(size=(3, 2, 2)), rng.normal(size=(3, 2, 3))
    params = init.lstm(D=2, H=3, seed=1)
    grads = students.lstm_backward()(xs, params, d_hs)
    for key in params:
        up, down = ({k: v.copy() for k, v in params.items()} for _ in range(2))
        up[key].flat[4] += 1e-6
        down[key].flat[4] -= 1e-6
        loss = [np.sum(d_hs * lstm.forward(xs, p)[0]) for p in (up, down)]
        assert np.isclose(grads[key].flat[4], (loss[0] - loss[1]) / 2e-6, atol=1e-7), key


@pytest.mark.parametrize(
    ("mistake", "named"),
    [
        ("cell path", "leaves out what comes back along the cell state from step t + 1"),
        ("hidden path", "your dh_t leaves out what comes back from step t + 1"),
        ("only last", "you use only d_hs[T-1]"),
        ("tanh factor", "leaves out the derivative of tanh"),
        ("forget factor", "∂L/∂c_{t-1} = dc_t ⊙ f_t, with f_t of step t"),
        ("no d_hs", "your gradients are all zero: dh_t must hold d_hs[t]"),
        ("tanh of c_prev", "your dc_t and δo_t use tanh(c_{t-1})"),
        ("zero start", "starts from zeros although state0 is given"),
        ("batch mean", "your db_hh is the mean over the batch"),
        ("dxs reversed", "your dxs is in reverse time order"),
        ("h_prev wraps", "your δ_t is right at every step (your dW_ih agrees), so check dW_hh"),
        ("f with c_t", "your δf_t multiplies c_t: the forget gate multiplies c_{t-1}"),
        ("g derivative", "your δg_t uses the sigmoid's derivative"),
        ("order", "stacks the gates' blocks in the order i, f, o, g"),
        ("overwritten", "holds the first step's term only"),
    ],
)
def test_each_usual_mistake_is_named(mistake, named):
    with pytest.raises(AssertionError) as failure:
        grading.check_lstm_backward(students.lstm_backward(mistake))
    assert named in str(failure.value)


def test_the_usual_mistakes_are_told_apart():
    """On one case, each mistake's gradients differ from the right ones and from every
    other mistake's: no diagnosis can hide another."""
    rng = np.random.default_rng(3)
    xs, d_hs = rng.normal(size=(3, 2, 2)), rng.normal(size=(3, 2, 3))
    state0 = tuple(rng.normal(size=(2, 3)) for _ in range(2))
    params = init.lstm(D=2, H=3, seed=4)
    b_hh = {m: bptt(xs, params, d_hs, state0, mistake=m)["b_hh"] for m in MISTAKES}
    b_hh["right"] = lstm.backward(xs, params, d_hs, state0)["b_hh"]
    for (a, ga), (b, gb) in ((p, q) for p in b_hh.items() for q in b_hh.items() if p[0] < q[0]):
        assert not np.allclose(ga, gb), (a, b)


def test_the_reference_with_no_mistake_is_the_models_backward():
    rng = np.random.default_rng(5)
    xs, d_hs = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 2))
    params = init.lstm(D=3, H=2, seed=6)
    ours, reference = bptt(xs, params, d_hs), lstm.backward(xs, params, d_hs)
    for key, value in reference.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-12, atol=1e-14, err_msg=key)


def test_a_gate_with_an_unlisted_mistake_is_found_on_one_step():
    with pytest.raises(AssertionError) as failure:
        grading.check_lstm_backward(students.lstm_backward("i times i"))
    message = str(failure.value)
    assert (
        "on the first step alone (xs[:1], where nothing comes back from a later step)" in message
    )
    assert "your δ of the input gate i is off" in message
    assert "(forget gate f, candidate g, output gate o right)" in message
    assert "δi_t = dc_t ⊙ g_t ⊙ i_t (1 - i_t)" in message


def test_a_wrong_dc_is_found_from_the_three_gates_made_from_it():
    with pytest.raises(AssertionError) as failure:
        grading.check_lstm_backward(students.lstm_backward("dc with 1 - o"))
    message = str(failure.value)
    assert "δo_t is right and δi, δf, δg are off: all three are made from dc_t" in message


def test_a_loop_that_stops_before_the_first_step_is_named_on_longer_sequences():
    """On T = 1 its gradients are all zero, as with d_hs left out (both causes are
    named); on the longer cases the loop itself is named."""
    backward = students.lstm_backward("loop stops at 1")
    with pytest.raises(AssertionError, match="must reach every step, down to index 0"):
        grading.check_lstm_backward(backward)
    args = _case(T=3)
    got = backward(*args)
    assert checks._mistakes("b_hh", args)[0][0].startswith("your dc_t leaves out")
    found = [
        words
        for words, compute in checks._mistakes("W_hh", args)
        if np.allclose(compute(), got["W_hh"])
    ]
    assert found and found[0].startswith("your backward loop stops before the first step")


def _case(T):
    rng = np.random.default_rng(7)
    xs, d_hs = rng.normal(size=(T, 2, 3)), rng.normal(size=(T, 2, 2))
    state0 = tuple(rng.normal(size=(2, 2)) for _ in range(2))
    return xs, init.lstm(D=3, H=2, seed=8), d_hs, state0


def test_a_right_step_with_a_wrong_way_back_is_told_apart():
    """A mistake in what comes back from step t + 1 (here the RNN's 1 - h_t² put on it):
    right on T = 1, wrong on longer sequences, and blamed on the way back."""
    with pytest.raises(AssertionError) as failure:
        grading.check_lstm_backward(students.lstm_backward("tanh factor on dh_next"))
    message = str(failure.value)
    assert "(case: T=4" in message
    assert (
        "on the first step alone (xs[:1]) your gradients are right, so what comes back" in message
    )


def test_a_wrong_dh0_gets_its_formula_not_a_gate():
    with pytest.raises(AssertionError) as failure:
        grading.check_lstm_backward(students.lstm_backward("h0 is dh_1"))
    message = str(failure.value)
    assert "wrong values in gradient of h0" in message
    assert "dh0 = δ_1 W_hh" in message and "your δ of" not in message


def test_a_wrong_gradient_beside_a_ragged_one_still_gets_a_diagnosis():
    """b_hh wrong and W_ih not even an array: the check says what is wrong, it does not
    break on the ragged list while it looks for the cause."""

    def ragged(xs, params, d_hs, state0=None):
        grads = students.lstm_backward()(xs, params, d_hs, state0)
        return {**grads, "b_hh": grads["b_hh"] * 2, "W_ih": [[1.0], [1.0, 2.0]]}

    with pytest.raises(AssertionError, match="wrong values in gradient of b_hh"):
        grading.check_lstm_backward(ragged)


def test_a_missing_gradient_is_named():
    def no_c0(xs, params, d_hs, state0=None):
        grads = students.lstm_backward()(xs, params, d_hs, state0)
        del grads["c0"]
        return grads

    with pytest.raises(AssertionError, match="got a dict without c0"):
        grading.check_lstm_backward(no_c0)


def test_a_wrong_cell_under_bptt_says_fix_the_cell_first():
    wrong_cell = students.lstm(acts={"f": np.tanh})
    wrong_backward = students.lstm_backward("tanh factor")
    with pytest.raises(AssertionError, match="your lstm_cell is wrong, and BPTT runs through it"):
        grading.check_lstm_backward(wrong_backward, cell=wrong_cell)
    with pytest.raises(AssertionError, match="leaves out the derivative of tanh"):
        grading.check_lstm_backward(wrong_backward, cell=students.lstm())
    grading.check_lstm_backward(students.lstm_backward(), cell=students.lstm())
