"""Chapter 4's worked numbers, checked against arithmetic done by hand.

The worked step: D = 1, H = 2, x_1 = 1, h_0 = (1, 0); W_ir = (0, 1), W_iz = (0.5, -0.5),
W_in = (0, 0.5), W_hn = [[0, 1], [-1, 0]], b_hn = (0.5, 0); every other weight and bias 0.
"""

import math

import numpy as np
import pytest

from rnnlab import gru
from rnnlab.book import ch4_gru as ch4


def sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


R = (0.5, sig(1.0))  # r = σ(W_ir x_1) = (σ(0), σ(1))
Z = (sig(0.5), sig(-0.5))  # z = σ(W_iz x_1)


def test_gates_are_the_same_in_both_conventions():
    for reset_after in (True, False):
        step = ch4.intermediates(reset_after)
        np.testing.assert_allclose(step["r"], R, rtol=0, atol=1e-15)
        np.testing.assert_allclose(step["z"], Z, rtol=0, atol=1e-15)
        np.testing.assert_allclose(step["u_n"], (0.0, 0.5), rtol=0, atol=0)  # W_in x_1
    assert Z[0] + Z[1] == pytest.approx(1.0, abs=1e-15)  # σ(-a) = 1 - σ(a)


def test_torch_convention_by_hand():
    step = ch4.intermediates(reset_after=True)
    # W_hn h_0 + b_hn = (0*1 + 1*0 + 0.5, -1*1 + 0*0 + 0) = (0.5, -1)
    np.testing.assert_allclose(step["hn"], (0.5, -1.0), rtol=0, atol=0)
    rm = (0.5 * 0.5, R[1] * -1.0)  # r ⊙ (W_hn h_0 + b_hn) = (0.25, -σ(1))
    np.testing.assert_allclose(step["rec"], rm, rtol=0, atol=1e-15)
    n = (math.tanh(0.0 + rm[0]), math.tanh(0.5 + rm[1]))  # tanh(0.25), tanh(0.5 - σ(1))
    np.testing.assert_allclose(step["n"], n, rtol=0, atol=1e-15)
    h1 = ((1 - Z[0]) * n[0] + Z[0] * 1.0, (1 - Z[1]) * n[1] + Z[1] * 0.0)
    np.testing.assert_allclose(step["h1"], h1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(step["h1"], (0.7149, -0.1413), rtol=0, atol=1e-4)


def test_cho_convention_by_hand():
    step = ch4.intermediates(reset_after=False)
    np.testing.assert_allclose(step["rh"], (0.5, 0.0), rtol=0, atol=0)  # r ⊙ h_0
    # W_hn (r ⊙ h_0) + b_hn = (0*0.5 + 1*0 + 0.5, -1*0.5 + 0*0 + 0) = (0.5, -0.5)
    np.testing.assert_allclose(step["rec"], (0.5, -0.5), rtol=0, atol=0)
    np.testing.assert_allclose(step["a_n"], (0.5, 0.0), rtol=0, atol=0)  # (0 + 0.5, 0.5 - 0.5)
    n = (math.tanh(0.5), 0.0)  # tanh(0) = 0
    np.testing.assert_allclose(step["n"], n, rtol=0, atol=1e-15)
    h1 = ((1 - Z[0]) * n[0] + Z[0] * 1.0, 0.0)
    np.testing.assert_allclose(step["h1"], h1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(step["h1"], (0.7969, 0.0), rtol=0, atol=1e-4)


def test_conventions_differ_in_both_units():
    after, before = ch4.intermediates(True), ch4.intermediates(False)
    assert np.all(np.abs(after["h1"] - before["h1"]) > 0.08)
    assert ch4.numbers()["gru_h1_gap"] == pytest.approx(abs(after["h1"][1]), abs=1e-15)


@pytest.mark.parametrize("reset_after", [True, False])
def test_intermediates_agree_with_rnnlab_gru_cell(reset_after):
    h = gru.cell(ch4.x1(), ch4.h0(), ch4.params(), reset_after=reset_after)
    np.testing.assert_allclose(h[0], ch4.intermediates(reset_after)["h1"], rtol=0, atol=1e-14)


@pytest.mark.torch
def test_torch_gru_is_the_reset_after_convention():
    pytest.importorskip("torch")
    from rnnlab import torch_bridge

    out, h = torch_bridge.run("gru", ch4.x1()[None], ch4.params(), ch4.h0())
    after, before = ch4.intermediates(True)["h1"], ch4.intermediates(False)["h1"]
    np.testing.assert_allclose(h[0], after, rtol=0, atol=ch4.TORCH_TOL)
    assert np.abs(h[0] - before).max() > 0.1


def test_parameter_counts_by_hand():
    # G·H·(D + H + 2): G = 1 (RNN), 3 (GRU), 4 (LSTM)
    assert ch4.parameter_count("rnn", 1, 2) == 2 * (1 + 2 + 2)  # 10
    assert ch4.parameter_count("gru", 1, 2) == 30
    assert ch4.parameter_count("lstm", 1, 2) == 40
    assert ch4.parameter_count("gru", 32, 64) == 3 * 64 * 98  # 18816
    assert ch4.parameter_count("lstm", 256, 512) == 4 * 512 * 770  # 1576960
    assert ch4.numbers()["gru_count_saving"] == 512 * 770  # one gate block


@pytest.mark.torch
def test_parameter_counts_match_torch_modules():
    torch = pytest.importorskip("torch")
    modules = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    for D, H in ch4.COUNT_SIZES[:2]:
        for family, module in modules.items():
            n = sum(p.numel() for p in module(D, H).parameters())
            assert ch4.parameter_count(family, D, H) == n, (family, D, H)


def test_flipping_the_update_gate_gives_the_other_sign_convention():
    # h = z ⊙ n + (1 - z) ⊙ h_prev with z' = σ(-a_z) is torch's h = (1 - z) ⊙ n + z ⊙ h_prev
    step = ch4.intermediates(True)
    z_other = 1 / (1 + np.exp(step["a_z"]))  # σ(-a_z)
    h_other = z_other * step["n"] + (1 - z_other) * np.array(ch4.H0)
    np.testing.assert_allclose(h_other, step["h1"], rtol=0, atol=1e-15)


def test_convention_gap_at_the_first_step_comes_from_the_bias_alone():
    from rnnlab import init

    gap = ch4.convention_gap()
    assert gap.shape == (ch4.SWAP_T,)
    # h_0 = 0, so W_hn h_0 = 0 and the candidates differ only by (1 - r) ⊙ b_hn
    H = ch4.SWAP_H
    p = init.gru(ch4.SWAP_D, H, seed=ch4.SWAP_SEED)
    x1 = np.random.default_rng(ch4.SWAP_SEED).standard_normal((ch4.SWAP_T, 1, ch4.SWAP_D))[0, 0]
    a = p["W_ih"] @ x1 + p["b_ih"] + p["b_hh"] * np.r_[np.ones(2 * H), np.zeros(H)]
    r = 1 / (1 + np.exp(-a[:H]))
    z = 1 / (1 + np.exp(-a[H : 2 * H]))
    b_hn = p["b_hh"][2 * H :]
    n_torch, n_cho = np.tanh(a[2 * H :] + r * b_hn), np.tanh(a[2 * H :] + b_hn)
    assert gap[0] == pytest.approx(np.abs((1 - z) * (n_torch - n_cho)).max(), abs=1e-14)
    assert gap.max() > gap[0]  # once h is not zero, W_hn adds its own difference


def test_numbers_are_plain_deterministic_and_prefixed():
    first, second = ch4.numbers(), ch4.numbers()
    assert first == second
    for key, value in first.items():
        assert key.startswith("gru_"), key
        assert type(value) in (int, float, str), (key, type(value))


def test_moving_b_hn_into_b_in_changes_only_the_torch_convention():
    n = ch4.numbers()
    # Cho: b_in and b_hn are added side by side, so only their sum matters
    assert n["gru_ex_bias_before_h1_1"] == pytest.approx(n["gru_before_h1_1"], abs=1e-15)
    assert n["gru_ex_bias_before_h1_2"] == pytest.approx(n["gru_before_h1_2"], abs=1e-15)
    # torch: unit 1's bias 0.5 is no longer halved by r_1 = 0.5, so a_n = 0.5 as in Cho
    h1 = (1 - Z[0]) * math.tanh(0.5) + Z[0] * 1.0
    assert n["gru_ex_bias_after_h1_1"] == pytest.approx(h1, abs=1e-15)
    assert n["gru_ex_bias_after_h1_2"] == pytest.approx(n["gru_after_h1_2"], abs=1e-15)


def test_gru_with_the_parameter_budget_of_a_large_lstm():
    best = ch4.numbers()["gru_ex_budget_H"]
    budget = 4 * 512 * (256 + 512 + 2)  # the LSTM at D = 256, H = 512
    assert 3 * best * (256 + best + 2) <= budget < 3 * (best + 1) * (256 + best + 3)
    # the positive root of 3H^2 + 3*258*H - budget = 0
    root = (-258 + math.sqrt(258**2 + 4 * budget / 3)) / 2
    assert best == math.floor(root)


# The backward pass of the worked step (torch's convention) by hand, L = h_{1,1} + h_{1,2}.
N_TORCH = (math.tanh(0.25), math.tanh(0.5 - R[1]))  # n_1, from test_torch_convention_by_hand
HN = (0.5, -1.0)  # W_hn h_0 + b_hn
DELTA_N = tuple((1 - Z[k]) * (1 - N_TORCH[k] ** 2) for k in range(2))  # ∂L/∂h_1 = (1, 1)
DELTA_Z = tuple((ch4.H0[k] - N_TORCH[k]) * Z[k] * (1 - Z[k]) for k in range(2))
DELTA_R = tuple(DELTA_N[k] * HN[k] * R[k] * (1 - R[k]) for k in range(2))
# (δ^n ⊙ r) W_hn, a row times W_hn = [[0, 1], [-1, 0]]: (v_1, v_2) -> (-v_2, v_1)
THROUGH = (-DELTA_N[1] * R[1], DELTA_N[0] * R[0])


def test_backward_step_follows_the_chain_rule_written_out_by_hand():
    n = ch4.numbers()
    for key, values in (
        ("delta_r", DELTA_R),
        ("delta_z", DELTA_Z),
        ("delta_n", DELTA_N),
        ("direct", Z),  # ∂L/∂h_1 ⊙ z_1 with ∂L/∂h_1 = (1, 1)
        ("through", THROUGH),
        ("d_h0", (Z[0] + THROUGH[0], Z[1] + THROUGH[1])),
    ):
        got = [n[f"gru_bp_{key}_{k}"] for k in (1, 2)]
        np.testing.assert_allclose(got, values, rtol=1e-12, atol=1e-15, err_msg=key)
    # four decimals worked out on paper
    assert [round(n[f"gru_bp_d_h0_{k}"], 4) for k in (1, 2)] == [0.1909, 0.5550]


@pytest.mark.torch
@pytest.mark.parametrize("kept", [False, True], ids=["worked", "update-bias-raised"])
def test_backward_step_matches_torch_autograd(kept):
    torch = pytest.importorskip("torch")
    import torch_reference as ref

    p = ch4.kept_params() if kept else ch4.params()
    net = ref.module(torch.nn.GRU, p)
    h0 = ref.tensor(ch4.h0()[None], grad=True)  # (layers, B, H)
    _, h_n = net(ref.tensor(ch4.x1()[None]), h0)
    h_n.sum().backward()  # L = h_{1,1} + h_{1,2}
    ours = ch4.backward_step(p)
    delta = np.concatenate([ours["delta_r"], ours["delta_z"], ours["delta_n"]])
    # b_ih is added to every pre-activation outside the reset gate: its gradient is δ
    np.testing.assert_allclose(net.bias_ih_l0.grad.numpy(), delta, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(h0.grad[0, 0].numpy(), ours["d_h0"], rtol=1e-12, atol=1e-16)


def test_a_kept_update_gate_passes_the_gradient_on_nearly_unchanged():
    n = ch4.numbers()
    # z = σ(W_iz x_1 + KEEP_BIAS) = (σ(5.5), σ(4.5))
    z = (sig(0.5 + ch4.KEEP_BIAS), sig(-0.5 + ch4.KEEP_BIAS))
    np.testing.assert_allclose([n["gru_bp_keep_z_1"], n["gru_bp_keep_z_2"]], z, rtol=1e-12)
    dh0 = np.array([n["gru_bp_keep_d_h0_1"], n["gru_bp_keep_d_h0_2"]])
    assert np.all(np.abs(dh0 - 1.0) < 0.02)  # "nearly the (1, 1) that arrived at h_1"
    assert np.all(np.abs(dh0 - np.array(z)) < 1e-2)  # the direct term dominates
    worked = np.array([n["gru_bp_d_h0_1"], n["gru_bp_d_h0_2"]])
    assert np.all(np.abs(worked - 1.0) > 0.4)  # ... unlike the worked example's


def test_the_exercise_in_chos_form_by_hand_and_by_finite_differences():
    n = ch4.numbers()
    # Cho's n_1 = (tanh(0.5), tanh(0)) (test_cho_convention_by_hand)
    n_cho = (math.tanh(0.5), 0.0)
    delta_n = tuple((1 - Z[k]) * (1 - n_cho[k] ** 2) for k in range(2))
    delta_z = tuple((ch4.H0[k] - n_cho[k]) * Z[k] * (1 - Z[k]) for k in range(2))
    d_rh = (-delta_n[1], delta_n[0])  # δ^n W_hn, W_hn = [[0, 1], [-1, 0]]
    delta_r = tuple(d_rh[k] * ch4.H0[k] * R[k] * (1 - R[k]) for k in range(2))
    d_h0 = tuple(Z[k] + d_rh[k] * R[k] for k in range(2))
    for key, values in (
        ("delta_r", delta_r),
        ("delta_z", delta_z),
        ("delta_n", delta_n),
        ("d_h0", d_h0),
    ):
        got = [n[f"gru_ex_cho_{key}_{k}"] for k in (1, 2)]
        np.testing.assert_allclose(got, values, rtol=1e-12, atol=1e-15, err_msg=key)
    assert (
        n["gru_ex_cho_delta_r_2"] == 0.0 and n["gru_ex_cho_delta_z_2"] == 0.0
    )  # the prose says so

    # finite differences of L through gru.cell alone (no backward code): h_0, and b_ih for δ
    def loss(h, p):
        return gru.cell(ch4.x1(), h, p, reset_after=False).sum()

    eps, p = 1e-6, ch4.params()
    for k in range(2):
        e = np.eye(2)[k][None]
        slope = (loss(ch4.h0() + eps * e, p) - loss(ch4.h0() - eps * e, p)) / (2 * eps)
        assert slope == pytest.approx(n[f"gru_ex_cho_d_h0_{k + 1}"], abs=1e-8)
    for j, key in enumerate(("delta_r", "delta_z", "delta_n")):
        for k in range(2):
            up, down = ch4.params(), ch4.params()
            up["b_ih"][j * ch4.H + k] += eps
            down["b_ih"][j * ch4.H + k] -= eps
            slope = (loss(ch4.h0(), up) - loss(ch4.h0(), down)) / (2 * eps)
            assert slope == pytest.approx(n[f"gru_ex_cho_{key}_{k + 1}"], abs=1e-8)
