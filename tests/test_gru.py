"""rnnlab.gru in both conventions: torch's (reset after the product) and Cho et al.'s."""

import math

import numpy as np
import pytest
import torch
import torch_reference as ref
from gradient_check import assert_gradients_equal, assert_matches_differences, problem
from helpers import random_params
from hypothesis import example, given, settings

from rnnlab import gru


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def gru_params(rng, D, H):
    return random_params(
        rng, {"W_ih": (3 * H, D), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)}
    )


def cho_gru_torch(xs, W_ih, W_hh, b_ih, b_hh, h):
    """Cho et al. (2014), written with torch tensor ops: the reset gate scales h_{t-1}
    *before* W_hn multiplies it. Returns hs (T, B, H)."""
    W_ir, W_iz, W_in = W_ih.chunk(3)
    W_hr, W_hz, W_hn = W_hh.chunk(3)
    b_ir, b_iz, b_in = b_ih.chunk(3)
    b_hr, b_hz, b_hn = b_hh.chunk(3)
    hs = []
    for x in xs:
        r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        hs.append(h)
    return torch.stack(hs)


@pytest.mark.torch
@settings(max_examples=10, deadline=None)
@given(size=ref.sizes)
@example(size={"T": 1, "B": 1, "D": 1, "H": 1, "seed": 0, "with_state": False})
@example(size={"T": 1, "B": 1, "D": 2, "H": 3, "seed": 1, "with_state": True})
def test_gru_matches_torch_on_random_sequences(size):
    rng = np.random.default_rng(size["seed"])
    T, B, D, H = size["T"], size["B"], size["D"], size["H"]
    params = gru_params(rng, D, H)
    xs = rng.normal(size=(T, B, D))
    h0 = rng.normal(size=(B, H)) if size["with_state"] else None

    hs, h_T = gru.forward(xs, params, h0)  # reset_after=True is torch's convention

    expected_hs, expected_h_T = ref.run(ref.module(torch.nn.GRU, params), xs, h0)
    assert hs.shape == (T, B, H) and h_T.shape == (B, H)
    np.testing.assert_allclose(hs, expected_hs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(h_T, expected_h_T, rtol=1e-10, atol=1e-10)


@pytest.mark.torch
def test_cho_gru_matches_its_equations_written_in_torch(rng):
    params, xs, _, state = problem(rng, gates=3, T=4, B=3, D=2, H=3)
    hs, h_T = gru.forward(xs, params, state["h0"], reset_after=False)
    tensors = [ref.tensor(params[k]) for k in ("W_ih", "W_hh", "b_ih", "b_hh")]
    expected = cho_gru_torch(ref.tensor(xs), *tensors, ref.tensor(state["h0"])).numpy()
    np.testing.assert_allclose(hs, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(h_T, expected[-1], rtol=1e-10, atol=1e-10)


@pytest.mark.torch
def test_gru_backward_matches_torch_autograd(rng):
    params, xs, d_hs, state = problem(rng, gates=3, T=4, B=3, D=3, H=2)

    grads = gru.backward(xs, params, d_hs, state["h0"])

    expected = ref.autograd(ref.module(torch.nn.GRU, params), xs, d_hs, state["h0"])
    assert_gradients_equal(grads, expected)


@pytest.mark.torch
def test_cho_gru_backward_matches_torch_autograd_of_its_equations(rng):
    params, xs, d_hs, state = problem(rng, gates=3, T=4, B=3, D=3, H=2)
    leaves = {k: ref.tensor(v, grad=True) for k, v in params.items()}
    leaves["xs"], leaves["h0"] = ref.tensor(xs, grad=True), ref.tensor(state["h0"], grad=True)
    keys = ("W_ih", "W_hh", "b_ih", "b_hh")
    hs = cho_gru_torch(leaves["xs"], *(leaves[k] for k in keys), leaves["h0"])
    (hs * ref.tensor(d_hs)).sum().backward()

    grads = gru.backward(xs, params, d_hs, state["h0"], reset_after=False)

    assert_gradients_equal(grads, {k: leaf.grad.numpy() for k, leaf in leaves.items()})


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_backward_matches_finite_differences(rng, reset_after):
    params, xs, d_hs, state = problem(rng, gates=3)
    h0 = state["h0"]

    def loss():
        return np.sum(gru.forward(xs, params, h0, reset_after=reset_after)[0] * d_hs)

    grads = gru.backward(xs, params, d_hs, h0, reset_after=reset_after)
    assert_matches_differences(loss, grads, {**params, "xs": xs, "h0": h0})


def tiny_params() -> dict:
    """H = D = 1, rows r, z, n: only W_hn = 1 and b_hn = 0.5 are nonzero."""
    return {
        "W_ih": np.zeros((3, 1)),
        "W_hh": np.array([[0.0], [0.0], [1.0]]),  # W_hr, W_hz, W_hn
        "b_ih": np.zeros(3),
        "b_hh": np.array([0.0, 0.0, 0.5]),  # b_hr, b_hz, b_hn
    }


def test_the_two_gru_conventions_by_hand_give_different_numbers():
    xs, h0 = np.array([[[0.0]]]), np.array([[1.0]])  # x_1 = 0, h_0 = 1

    _, torch_h = gru.forward(xs, tiny_params(), h0, reset_after=True)
    _, cho_h = gru.forward(xs, tiny_params(), h0, reset_after=False)

    r = sigmoid(0.0)  # 0.5: every pre-activation of r and z is 0
    z = sigmoid(0.0)  # 0.5
    n_after = math.tanh(0.0 + r * (1.0 * 1.0 + 0.5))  # torch: r (W_hn h + b_hn) = 0.75
    n_before = math.tanh(0.0 + 1.0 * (r * 1.0) + 0.5)  # Cho: W_hn (r h) + b_hn = 1
    assert (n_after, n_before) == (math.tanh(0.75), math.tanh(1.0))
    assert torch_h[0, 0] == pytest.approx((1 - z) * n_after + z * 1.0, rel=1e-15)
    assert cho_h[0, 0] == pytest.approx((1 - z) * n_before + z * 1.0, rel=1e-15)
    assert abs(torch_h[0, 0] - cho_h[0, 0]) > 0.05


def test_gru_conventions_agree_when_the_reset_gate_is_open(rng):
    params = gru_params(rng, D=2, H=3)
    params["b_ih"][:3] = 60.0  # r = σ(60 + ...) = 1 in float64: r ⊙ (W h + b) = W (r ⊙ h) + b
    xs, h0 = rng.normal(size=(4, 2, 2)), rng.normal(size=(2, 3))
    after, _ = gru.forward(xs, params, h0, reset_after=True)
    before, _ = gru.forward(xs, params, h0, reset_after=False)
    np.testing.assert_allclose(after, before, rtol=1e-13, atol=1e-14)


def test_gru_update_gate_one_keeps_the_state(rng):
    # z = 1: h_t = (1 - 1) n_t + 1 h_{t-1}, whatever the input.
    params = gru_params(rng, D=2, H=2)
    params["b_ih"][2:4] = 60.0
    xs, h0 = rng.normal(size=(3, 2, 2)), rng.normal(size=(2, 2))
    for reset_after in (True, False):
        hs, _ = gru.forward(xs, params, h0, reset_after=reset_after)
        np.testing.assert_allclose(hs, np.broadcast_to(h0, hs.shape), rtol=1e-14)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_is_one_step_of_forward(rng, reset_after):
    params = gru_params(rng, D=3, H=2)
    xs, h = rng.normal(size=(2, 4, 3)), rng.normal(size=(4, 2))
    hs, _ = gru.forward(xs, params, h, reset_after=reset_after)
    for t in range(2):
        h = gru.cell(xs[t], h, params, reset_after=reset_after)
        np.testing.assert_allclose(h, hs[t], rtol=1e-14, atol=1e-15)
