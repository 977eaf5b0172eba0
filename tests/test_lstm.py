"""rnnlab.lstm against torch.nn.LSTM, finite differences and hand arithmetic."""

import math

import numpy as np
import pytest
import torch
import torch_reference as ref
from gradient_check import assert_gradients_equal, assert_matches_differences, problem
from helpers import random_params
from hypothesis import example, given, settings

from rnnlab import lstm


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def lstm_params(rng, D, H):
    return random_params(
        rng, {"W_ih": (4 * H, D), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}
    )


@pytest.mark.torch
@settings(max_examples=10, deadline=None)
@given(size=ref.sizes)
@example(size={"T": 1, "B": 1, "D": 1, "H": 1, "seed": 0, "with_state": False})
@example(size={"T": 1, "B": 1, "D": 2, "H": 3, "seed": 1, "with_state": True})
def test_lstm_matches_torch_on_random_sequences(size):
    rng = np.random.default_rng(size["seed"])
    T, B, D, H = size["T"], size["B"], size["D"], size["H"]
    params = lstm_params(rng, D, H)
    xs = rng.normal(size=(T, B, D))
    state0 = (rng.normal(size=(B, H)), rng.normal(size=(B, H))) if size["with_state"] else None

    hs, (h_T, c_T) = lstm.forward(xs, params, state0)

    expected_hs, (expected_h, expected_c) = ref.run(ref.module(torch.nn.LSTM, params), xs, state0)
    assert hs.shape == (T, B, H) and h_T.shape == c_T.shape == (B, H)
    np.testing.assert_allclose(hs, expected_hs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(h_T, expected_h, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(c_T, expected_c, rtol=1e-10, atol=1e-10)


@pytest.mark.torch
def test_lstm_backward_matches_torch_autograd(rng):
    params, xs, d_hs, state = problem(rng, gates=4, states="hc", T=4, B=3, D=3, H=2)
    state0 = (state["h0"], state["c0"])

    grads = lstm.backward(xs, params, d_hs, state0)

    expected = ref.autograd(ref.module(torch.nn.LSTM, params), xs, d_hs, state0)
    assert_gradients_equal(grads, expected)


def test_lstm_backward_matches_finite_differences(rng):
    params, xs, d_hs, state = problem(rng, gates=4, states="hc")
    h0, c0 = state["h0"], state["c0"]

    def loss():
        return np.sum(lstm.forward(xs, params, (h0, c0))[0] * d_hs)

    grads = lstm.backward(xs, params, d_hs, (h0, c0))
    assert_matches_differences(loss, grads, {**params, "xs": xs, "h0": h0, "c0": c0})


def test_lstm_backward_of_a_single_step_reaches_c0_through_the_forget_gate(rng):
    # One step: h_1 = o tanh(f c_0 + i g), so ∂h_1/∂c_0 = o (1 - tanh²(c_1)) f.
    params, xs, _, state = problem(rng, gates=4, states="hc", T=1, B=1, D=1, H=1)
    h0, c0 = state["h0"], state["c0"]
    z = (xs[0] @ params["W_ih"].T + params["b_ih"] + h0 @ params["W_hh"].T + params["b_hh"])[0]
    i, f, g, o = sigmoid(z[0]), sigmoid(z[1]), math.tanh(z[2]), sigmoid(z[3])
    c1 = f * c0[0, 0] + i * g
    grads = lstm.backward(xs, params, np.ones((1, 1, 1)), (h0, c0))
    assert grads["c0"][0, 0] == pytest.approx(o * (1 - np.tanh(c1) ** 2) * f, rel=1e-12)


def tiny_params() -> dict:
    """H = D = 1; rows in torch's order i, f, g, o."""
    return {
        "W_ih": np.array([[0.5], [0.0], [1.0], [-0.5]]),  # W_ii, W_if, W_ig, W_io
        "W_hh": np.array([[0.0], [1.0], [0.0], [0.0]]),  # only the forget gate sees h
        "b_ih": np.array([0.0, 0.0, 0.0, 0.5]),  # b_io = 0.5
        "b_hh": np.zeros(4),
    }


def test_lstm_one_step_by_hand():
    xs = np.array([[[1.0]]])  # x_1 = 1
    state0 = (np.array([[0.0]]), np.array([[1.0]]))  # h_0 = 0, c_0 = 1

    hs, (h1, c1) = lstm.forward(xs, tiny_params(), state0)

    i = sigmoid(0.5 * 1 + 0.0)  # W_ii x + b_ii = 0.5
    f = sigmoid(0.0 * 1 + 1.0 * 0)  # 0 with h_0 = 0: σ(0) = 0.5
    g = math.tanh(1.0 * 1)  # tanh(1)
    o = sigmoid(-0.5 * 1 + 0.5)  # σ(0) = 0.5
    c = f * 1.0 + i * g  # 0.5 c_0 + σ(0.5) tanh(1)
    h = o * math.tanh(c)
    assert (f, o) == (0.5, 0.5)
    assert c1[0, 0] == pytest.approx(c, rel=1e-15)
    assert h1[0, 0] == pytest.approx(h, rel=1e-15)
    assert hs[0, 0, 0] == h1[0, 0]


def test_lstm_two_steps_by_hand():
    xs = np.array([[[1.0]], [[0.0]]])  # x_1 = 1, x_2 = 0; h_0 = c_0 = 0

    hs, (h2, c2) = lstm.forward(xs, tiny_params())

    # Step 1: i = σ(0.5), f = σ(0) (forgets nothing that exists), g = tanh(1), o = σ(0).
    c1 = 0.5 * 0.0 + sigmoid(0.5) * math.tanh(1.0)
    h1 = 0.5 * math.tanh(c1)
    # Step 2: x = 0, so only b_io = 0.5 and the forget gate's W_hf h_1 = h_1 remain.
    i = sigmoid(0.0)  # 0.5
    f = sigmoid(1.0 * h1)  # the forget gate reads h_1
    g = math.tanh(0.0)  # 0: nothing new is written
    o = sigmoid(0.5)
    c = f * c1 + i * g  # = σ(h_1) c_1
    h = o * math.tanh(c)
    np.testing.assert_allclose(hs[:, 0, 0], [h1, h], rtol=1e-15)
    assert c2[0, 0] == pytest.approx(c, rel=1e-15)
    assert h2[0, 0] == pytest.approx(h, rel=1e-15)


def test_lstm_cell_is_one_step_of_forward(rng):
    params = lstm_params(rng, D=3, H=2)
    xs = rng.normal(size=(2, 4, 3))
    state = (rng.normal(size=(4, 2)), rng.normal(size=(4, 2)))
    hs, (h_T, c_T) = lstm.forward(xs, params, state)
    for t in range(2):
        state = lstm.cell(xs[t], state, params)
        np.testing.assert_allclose(state[0], hs[t], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(state[1], c_T, rtol=1e-14, atol=1e-15)


def test_lstm_forward_restarts_from_its_final_state(rng):
    params = lstm_params(rng, D=2, H=3)
    xs = rng.normal(size=(5, 2, 2))
    hs, (h_T, c_T) = lstm.forward(xs, params)
    first, state = lstm.forward(xs[:3], params)
    rest, (h_rest, c_rest) = lstm.forward(xs[3:], params, state)
    np.testing.assert_allclose(np.concatenate([first, rest]), hs, rtol=1e-14)
    np.testing.assert_allclose(c_rest, c_T, rtol=1e-14)


def test_lstm_state0_may_be_a_list_and_none_parts_are_zeros(rng):
    params = lstm_params(rng, D=2, H=2)
    xs, h0 = rng.normal(size=(3, 1, 2)), rng.normal(size=(1, 2))
    as_tuple = lstm.forward(xs, params, (h0, np.zeros((1, 2))))[0]
    np.testing.assert_array_equal(lstm.forward(xs, params, [h0, np.zeros((1, 2))])[0], as_tuple)
    zeros = lstm.forward(xs, params)[0]
    np.testing.assert_array_equal(lstm.forward(xs, params, (None, None))[0], zeros)
