"""rnnlab.rnn: the Elman RNN against torch.nn.RNN, finite differences and hand arithmetic."""

import math

import numpy as np
import pytest
import torch
import torch_reference as ref
from gradient_check import assert_gradients_equal, assert_matches_differences, problem
from helpers import random_params
from hypothesis import example, given, settings

from rnnlab import rnn

NONLINEARITIES = ["tanh", "relu"]


def rnn_params(rng, D, H):
    return random_params(rng, {"W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)})


@pytest.mark.torch
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@settings(max_examples=8, deadline=None)
@given(size=ref.sizes)
@example(size={"T": 1, "B": 1, "D": 1, "H": 1, "seed": 0, "with_state": False})
@example(size={"T": 1, "B": 1, "D": 3, "H": 2, "seed": 1, "with_state": True})
def test_rnn_matches_torch_on_random_sequences(nonlinearity, size):
    rng = np.random.default_rng(size["seed"])
    T, B, D, H = size["T"], size["B"], size["D"], size["H"]
    params = rnn_params(rng, D, H)
    xs = rng.normal(size=(T, B, D))
    h0 = rng.normal(size=(B, H)) if size["with_state"] else None

    hs, h_T = rnn.forward(xs, params, h0, nonlinearity=nonlinearity)

    net = ref.module(torch.nn.RNN, params, nonlinearity=nonlinearity)
    expected_hs, expected_h_T = ref.run(net, xs, h0)
    assert hs.shape == (T, B, H) and h_T.shape == (B, H)
    np.testing.assert_allclose(hs, expected_hs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(h_T, expected_h_T, rtol=1e-10, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_rnn_backward_matches_torch_autograd(rng, nonlinearity):
    params, xs, d_hs, state = problem(rng, gates=1, T=4, B=3, D=3, H=2)

    grads = rnn.backward(xs, params, d_hs, state["h0"], nonlinearity=nonlinearity)

    net = ref.module(torch.nn.RNN, params, nonlinearity=nonlinearity)
    assert_gradients_equal(grads, ref.autograd(net, xs, d_hs, state["h0"]))


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_rnn_backward_matches_finite_differences(rng, nonlinearity):
    params, xs, d_hs, state = problem(rng, gates=1)
    h0 = state["h0"]

    def loss():
        return np.sum(rnn.forward(xs, params, h0, nonlinearity=nonlinearity)[0] * d_hs)

    grads = rnn.backward(xs, params, d_hs, h0, nonlinearity=nonlinearity)
    assert_matches_differences(loss, grads, {**params, "xs": xs, "h0": h0})


def test_rnn_backward_without_h0_gives_the_gradient_at_zero_state(rng):
    params, xs, d_hs, _ = problem(rng, gates=1)
    h0 = np.zeros((2, 2))
    assert_gradients_equal(rnn.backward(xs, params, d_hs), rnn.backward(xs, params, d_hs, h0))


def tiny_params(W_hh: float) -> dict:
    """H = 1, D = 2: W_ih = [0.5, -0.5], W_hh = [W_hh], b_ih = 0, b_hh = 0.5."""
    return {
        "W_ih": np.array([[0.5, -0.5]]),
        "W_hh": np.array([[W_hh]]),
        "b_ih": np.array([0.0]),
        "b_hh": np.array([0.5]),
    }


TINY_XS = np.array(
    [[[1.0, 0.0]], [[0.0, 1.0]]]
)  # (T, B, D) = (2, 1, 2): x_1 = [1, 0], x_2 = [0, 1]


def test_rnn_two_tanh_steps_by_hand():
    hs, h_T = rnn.forward(TINY_XS, tiny_params(W_hh=1.0))

    h1 = math.tanh(0.5 * 1 + (-0.5) * 0 + 0.0 + 1.0 * 0 + 0.5)  # h_0 = 0: tanh(1)
    h2 = math.tanh(0.5 * 0 + (-0.5) * 1 + 0.0 + 1.0 * h1 + 0.5)  # the ±0.5 cancel: tanh(h1)
    assert h2 == pytest.approx(math.tanh(math.tanh(1.0)))  # the recurrence, in one line
    np.testing.assert_allclose(hs[:, 0, 0], [h1, h2], rtol=1e-15)
    np.testing.assert_allclose(h_T, [[h2]], rtol=1e-15)


def test_rnn_two_relu_steps_by_hand():
    hs, _ = rnn.forward(TINY_XS, tiny_params(W_hh=-1.0), nonlinearity="relu")

    h1 = max(0.5 * 1 + (-0.5) * 0 + 0.0 + (-1.0) * 0 + 0.5, 0.0)  # relu(1) = 1
    h2 = max(0.5 * 0 + (-0.5) * 1 + 0.0 + (-1.0) * h1 + 0.5, 0.0)  # relu(-1) = 0
    np.testing.assert_array_equal(hs[:, 0, 0], [h1, h2])
    assert (h1, h2) == (1.0, 0.0)


def test_rnn_backward_by_hand_on_one_step():
    # h = tanh(a), a = 0.5 x_1 - 0.5 x_2 + 0.5 (h_0 = 0); loss = h, so d_hs = 1.
    xs = TINY_XS[:1]
    grads = rnn.backward(xs, tiny_params(W_hh=1.0), np.ones((1, 1, 1)))
    da = 1 - math.tanh(1.0) ** 2  # tanh'(a) at a = 1
    np.testing.assert_allclose(grads["b_ih"], [da])  # ∂a/∂b_ih = 1
    np.testing.assert_allclose(grads["W_ih"], [[da * 1.0, da * 0.0]])  # ∂a/∂W_ih = x_1
    np.testing.assert_allclose(grads["W_hh"], [[0.0]])  # ∂a/∂W_hh = h_0 = 0
    np.testing.assert_allclose(grads["xs"], [[[da * 0.5, da * -0.5]]])  # ∂a/∂x = W_ih
    np.testing.assert_allclose(grads["h0"], [[da * 1.0]])  # ∂a/∂h_0 = W_hh


def test_rnn_cell_is_one_step_of_forward(rng):
    params = rnn_params(rng, D=3, H=2)
    xs, h0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(4, 2))
    hs, _ = rnn.forward(xs, params, h0, nonlinearity="relu")
    h1 = rnn.cell(xs[0], h0, params, nonlinearity="relu")
    h2 = rnn.cell(xs[1], h1, params, nonlinearity="relu")
    np.testing.assert_allclose(np.stack([h1, h2]), hs, rtol=1e-14, atol=1e-15)


def test_rnn_forward_restarts_from_its_final_state(rng):
    params = rnn_params(rng, D=2, H=3)
    xs = rng.normal(size=(5, 2, 2))
    hs, h_T = rnn.forward(xs, params)
    first, h_2 = rnn.forward(xs[:2], params)
    rest, h_rest = rnn.forward(xs[2:], params, h_2)
    np.testing.assert_allclose(np.concatenate([first, rest]), hs, rtol=1e-14)
    np.testing.assert_allclose(h_rest, h_T, rtol=1e-14)
