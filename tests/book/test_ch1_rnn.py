"""Chapter 1's worked numbers against arithmetic done by hand, rnnlab and torch."""

import math

import numpy as np
import pytest
from helpers import numerical_gradient

from rnnlab import rnn
from rnnlab.book import ch1_rnn

T1 = math.tanh(1.0)  # h_1 = [tanh(1), tanh(0)] = [T1, 0]
# Step 2 by hand: a_2 = W_ih x_2 + b_ih + W_hh h_1 + b_hh with x_2 = [0, 1]
#   unit 1: 0 + 0 + 0.5·T1 + 0              = 0.5·T1
#   unit 2: -0.5 + 0 + (-0.5·T1 + 1·0) - 0.5 = -1 - 0.5·T1
A2 = (0.5 * T1, -1.0 - 0.5 * T1)
H2 = (math.tanh(A2[0]), math.tanh(A2[1]))


def test_forward_steps_match_hand_arithmetic():
    step1, step2 = ch1_rnn.forward_steps()
    np.testing.assert_allclose(step1["u"], [1.0, 0.5])  # W_ih [1, 0]
    np.testing.assert_allclose(step1["v"], [0.0, -0.5])  # W_hh 0 + b_hh
    np.testing.assert_allclose(step1["h"], [T1, 0.0])
    np.testing.assert_allclose(step1["y"], [T1])  # W_hy = [1, -1]
    np.testing.assert_allclose(step2["u"], [0.0, -0.5])
    np.testing.assert_allclose(step2["v"], [0.5 * T1, -0.5 * T1 - 0.5])
    np.testing.assert_allclose(step2["a"], A2)
    np.testing.assert_allclose(step2["h"], H2)
    np.testing.assert_allclose(step2["y"], [H2[0] - H2[1]])
    assert round(H2[0], 4) == 0.3634 and round(H2[1], 4) == -0.8811


def test_backward_steps_match_hand_arithmetic():
    # L = y_2 = h_2[0] - h_2[1], so dL/dh_2 = [1, -1]
    s2 = (1 - H2[0] ** 2, 1 - H2[1] ** 2)
    d2 = (s2[0], -s2[1])
    g1 = (0.5 * d2[0] - 0.5 * d2[1], d2[1])  # d2 @ W_hh, W_hh = [[0.5, 0], [-0.5, 1]]
    d1 = (g1[0] * (1 - T1**2), g1[1] * 1.0)
    g0 = (0.5 * d1[0] - 0.5 * d1[1], d1[1])
    back2, back1 = ch1_rnn.backward_steps()
    np.testing.assert_allclose(back2["d_h"], [1.0, -1.0])
    np.testing.assert_allclose(back2["slope"], s2)
    np.testing.assert_allclose(back2["delta"], d2)
    np.testing.assert_allclose(back1["d_h"], g1)
    np.testing.assert_allclose(back1["delta"], d1)
    np.testing.assert_allclose(back1["d_h_prev"], g0)
    assert round(g0[0], 4) == 0.2264 and round(g0[1], 4) == -0.2236


def test_worked_example_agrees_with_rnnlab_forward_backward_and_finite_differences():
    xs, h0 = ch1_rnn.inputs()
    p, W_hy = ch1_rnn.params(), ch1_rnn.output_params()["W_hy"]
    hs, _ = rnn.forward(xs, p, h0)
    np.testing.assert_allclose(hs[:, 0], [[T1, 0.0], H2])
    d_hs = np.zeros_like(hs)
    d_hs[-1] = W_hy  # L = y_T = W_hy h_T
    grads = rnn.backward(xs, p, d_hs, h0)
    np.testing.assert_allclose(grads["h0"][0], ch1_rnn.backward_steps()[1]["d_h_prev"])
    numeric = numerical_gradient(lambda: float((W_hy @ rnn.forward(xs, p, h0)[1][0])[0]), h0)
    np.testing.assert_allclose(grads["h0"], numeric, atol=1e-8)
    n = ch1_rnn.numbers()
    # h_0 = 0: only step 2 contributes to dL/dW_hh = delta_2 h_1^T
    assert n["rnn_dWhh_11"] == pytest.approx((1 - H2[0] ** 2) * T1)
    assert n["rnn_dWhh_21"] == pytest.approx(-(1 - H2[1] ** 2) * T1)
    np.testing.assert_allclose(grads["W_hh"], [[n["rnn_dWhh_11"], 0], [n["rnn_dWhh_21"], 0]])


@pytest.mark.torch
def test_worked_example_matches_torch_rnn():
    torch = pytest.importorskip("torch")
    from rnnlab import torch_bridge

    xs, h0 = ch1_rnn.inputs()
    module = torch_bridge.to_torch("rnn", ch1_rnn.params())
    out, _ = module(torch.tensor(xs), torch.tensor(h0)[None])
    np.testing.assert_allclose(out.detach().numpy()[:, 0], [[T1, 0.0], H2])


def test_numbers_are_plain_values_with_the_hand_computed_sizes_and_counts():
    n = ch1_rnn.numbers()
    assert all(type(v) in (int, float, str) for v in n.values())
    assert n == ch1_rnn.numbers()
    assert (n["rnn_T"], n["rnn_D"], n["rnn_H"], n["rnn_K"]) == (2, 2, 2, 1)
    assert n["rnn_n_params"] == 2 * 2 + 2 * 2 + 2 + 2  # W_ih, W_hh, b_ih, b_hh
    assert n["rnn_n_out_params"] == 1 * 2 + 1
    assert n["rnn_t1_a2"] == 0.0 and n["rnn_t1_h2"] == 0.0  # tanh(0) = 0 appears
    assert n["rnn_t2_y1"] == pytest.approx(H2[0] - H2[1])
    assert n["rnn_W_hh"] == "[[0.5, 0], [-0.5, 1]]"


def test_gradient_norms_are_powers_of_the_scale_when_states_stay_at_zero():
    # zero input weights keep h_t = 0, where tanh' = 1: the chain is (s Q)^k, Q orthogonal
    for s in (0.5, 0.9, 1.1):
        np.testing.assert_allclose(ch1_rnn.gradient_norms(s, 0.0), s ** np.arange(61), rtol=1e-9)
    n = ch1_rnn.numbers()
    assert n["rnn_grad_zero_low"] == pytest.approx(0.9**20)
    assert n["rnn_grad_zero_high"] == pytest.approx(1.1**20)


def test_saturation_only_shrinks_the_gradient_and_the_chain_matches_rnn_backward():
    k = np.arange(61)
    for s in ch1_rnn.SCALES:
        norms = ch1_rnn.gradient_norms(s, 1.0)
        assert np.all(norms <= s**k * (1 + 1e-9))  # every tanh slope is at most 1
        xs, p, v = ch1_rnn.gradient_setup(s, 1.0)
        d_hs = np.zeros((60, 1, 32))
        d_hs[-1, 0] = v
        assert norms[-1] == pytest.approx(np.linalg.norm(rnn.backward(xs, p, d_hs)["h0"]))
    n = ch1_rnn.numbers()
    assert n["rnn_grad_input_low"] < 0.9**20 / 100  # much faster than s^k
    assert n["rnn_grad_input_big_T"] > 1e3  # s = 3 still explodes, even with saturation


def test_the_exercise_solutions_agree_with_a_hand_computation_and_the_table():
    n = ch1_rnn.exercise_numbers()
    # swapped inputs: a_1 = W_ih [0, 1] + b = (0, -0.5) + (0, -0.5) = (0, -1)
    assert n["rnn_ex_swap_a1"] == "[0, -1]"
    assert n["rnn_ex_swap_h1"] == f"[0, {np.tanh(-1.0):g}]"
    # dW_ih has the columns delta_1 and delta_2 (x_1 = e_1, x_2 = e_2); db their sum
    back2, back1 = ch1_rnn.backward_steps()
    grads = ch1_rnn.loss_gradients(ch1_rnn.inputs()[0])
    np.testing.assert_allclose(grads["W_ih"], np.stack([back1["delta"], back2["delta"]], 1))
    np.testing.assert_allclose(grads["b_ih"], back1["delta"] + back2["delta"])
    np.testing.assert_allclose(grads["b_hh"], grads["b_ih"])
    # the scale where the gradient stops vanishing: above 1, and lower with weaker inputs
    s, s_small = n["rnn_ex_vanish_s"], n["rnn_ex_vanish_s_small"]
    assert 1 < s_small < s
    assert ch1_rnn.gradient_norms(s, 1.0)[-1] >= 1
    assert ch1_rnn.gradient_norms(round(s - ch1_rnn.VANISH_GRID, 2), 1.0)[-1] < 1
