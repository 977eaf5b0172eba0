"""Chapter 2's worked numbers against arithmetic done by hand, rnnlab and torch."""

import math

import numpy as np
import pytest

from rnnlab import init, lstm, rnn
from rnnlab.book import ch1_rnn, ch2_backprop, ch2_lstm


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# Step 1 by hand. h_0 = c_0 = 0, x_1 = [1, 0] picks column 0 of W_ih, i.e. (0, 0, 1, 0)
# for the rows i, f, g, o; the biases add (0, 0.5 + 0.5, 0, 0).
Z1 = (0.0, 1.0, 1.0, 0.0)
I1, F1, G1, O1 = sigmoid(0.0), sigmoid(1.0), math.tanh(1.0), sigmoid(0.0)
C1 = F1 * 0.0 + I1 * G1  # = 0.5 tanh(1)
H1 = O1 * math.tanh(C1)
# Step 2 by hand. x_2 = [0, 1] picks column 1 of W_ih: (1, -0.5, 0, 1); the biases add
# (0, 1, 0, 0); W_hh h_1 = (0, 1 * h_1, 0, 0): only the forget gate reads h.
Z2 = (1.0, -0.5 + 1.0 + H1, 0.0, 1.0)
I2, F2, G2, O2 = sigmoid(1.0), sigmoid(0.5 + H1), math.tanh(0.0), sigmoid(1.0)
C2 = F2 * C1 + I2 * G2  # g_2 = tanh(0) = 0: the cell only forgets
H2 = O2 * math.tanh(C2)


def d_sigmoid(y: float) -> float:
    """σ'(a) written through y = σ(a)."""
    return y * (1.0 - y)


# The backward pass by hand, L = h_2: ∂L/∂h_2 = 1, ∂L/∂h_1 gets only what step 2 sends back.
# W_hh = (0, 1, 0, 0) for the rows i, f, g, o: δ_t W_hh is δ^f_t.
DC2 = 1.0 * O2 * (1.0 - math.tanh(C2) ** 2)  # nothing after step 2: only the term through h_2
DELTA2 = (  # i, f, g, o
    DC2 * G2 * d_sigmoid(I2),  # g_2 = 0: exactly 0
    DC2 * C1 * d_sigmoid(F2),
    DC2 * I2 * (1.0 - G2**2),
    1.0 * math.tanh(C2) * d_sigmoid(O2),
)
DH1 = DELTA2[1] * 1.0  # δ_2 W_hh
DC1_H, DC1_NEXT = DH1 * O1 * (1.0 - math.tanh(C1) ** 2), DC2 * F2  # the two terms
DC1 = DC1_H + DC1_NEXT
DELTA1 = (
    DC1 * G1 * d_sigmoid(I1),
    DC1 * 0.0 * d_sigmoid(F1),  # c_0 = 0: exactly 0
    DC1 * I1 * (1.0 - G1**2),
    DH1 * math.tanh(C1) * d_sigmoid(O1),
)
DC0, DH0 = DC1 * F1, DELTA1[1] * 1.0


def test_worked_steps_match_hand_arithmetic():
    step1, step2 = ch2_lstm.steps()
    for step, z, gates, c, h in (
        (step1, Z1, (I1, F1, G1, O1), C1, H1),
        (step2, Z2, (I2, F2, G2, O2), C2, H2),
    ):
        np.testing.assert_allclose([step[k][0] for k in ("a_i", "a_f", "a_g", "a_o")], z)
        np.testing.assert_allclose([step[k][0] for k in "ifgo"], gates)
        np.testing.assert_allclose([step["c"][0], step["h"][0]], [c, h])
        assert step["tanh_c"][0] == pytest.approx(math.tanh(c))
    assert step1["i"][0] == 0.5 and step1["o"][0] == 0.5  # sigma(0) = 0.5 appears
    assert step2["g"][0] == 0.0  # tanh(0) = 0 appears
    # four decimals worked out on paper (as the chapter's table shows them)
    assert [round(v, 4) for v in (C1, H1, F2, C2, H2)] == [0.3808, 0.1817, 0.6641, 0.2529, 0.1810]


def test_worked_example_agrees_with_rnnlab_forward_and_cell():
    xs, state0 = ch2_lstm.inputs()
    p = ch2_lstm.params()
    hs, (h_T, c_T) = lstm.forward(xs, p, state0)
    np.testing.assert_allclose(hs[:, 0, 0], [H1, H2])
    np.testing.assert_allclose([h_T[0, 0], c_T[0, 0]], [H2, C2])
    h1, c1 = lstm.cell(xs[0], state0, p)
    np.testing.assert_allclose([h1[0, 0], c1[0, 0]], [H1, C1])


@pytest.mark.torch
def test_worked_example_matches_torch_lstm_step_by_step():
    torch = pytest.importorskip("torch")
    import torch_reference as ref

    xs, _ = ch2_lstm.inputs()
    net = ref.module(torch.nn.LSTM, ch2_lstm.params())
    with torch.no_grad():
        _, (h1, c1) = net(ref.tensor(xs[:1]))
        out, (h2, c2) = net(ref.tensor(xs[1:]), (h1, c1))
    np.testing.assert_allclose([h1.item(), c1.item(), h2.item(), c2.item()], [H1, C1, H2, C2])
    assert ch2_lstm.worked_vs_torch() < 1e-12


def test_forget_gates_and_cell_change_equal_the_product_computed_by_hand():
    bias = ch2_lstm.PATH_BIASES[1]
    xs, p = ch2_lstm.path_setup(bias)
    assert np.all(p["W_hh"] == 0)
    # H = 1: row 1 of W_ih and of the biases is the forget gate
    w, b = p["W_ih"][1, 0], p["b_ih"][1] + p["b_hh"][1]
    assert b == pytest.approx(bias)
    f = [sigmoid(w * x + b) for x in xs[:, 0, 0]]
    np.testing.assert_allclose(ch2_lstm.forget_gates(xs, p)[:, 0, 0], f)
    assert ch2_lstm.cell_change(xs, p) == pytest.approx(math.prod(f), rel=1e-8)


@pytest.mark.torch
def test_cell_change_is_the_autograd_derivative_of_the_last_cell_state():
    torch = pytest.importorskip("torch")
    import torch_reference as ref

    xs, p = ch2_lstm.path_setup(ch2_lstm.PATH_BIASES[1])
    c0 = ref.tensor(np.full((1, 1, 1), 0.3), grad=True)  # any c_0: c_T is affine in it
    _, (_, c_T) = ref.module(torch.nn.LSTM, p)(
        ref.tensor(xs), (ref.tensor(np.zeros((1, 1, 1))), c0)
    )
    c_T.sum().backward()
    assert c0.grad.item() == pytest.approx(ch2_lstm.cell_change(xs, p), rel=1e-8)


def test_forget_bias_controls_how_much_survives():
    kept = [np.prod(ch2_lstm.forget_gates(*ch2_lstm.path_setup(b))) for b in ch2_lstm.PATH_BIASES]
    assert kept[0] < 1e-20 < kept[1] < 1e-3 < 0.3 < kept[2] < 1.0  # sigma(0)^100 ~ 1e-30


@pytest.mark.torch
def test_torch_example_shapes_initialisation_and_outputs():
    ex = ch2_lstm.torch_example()
    D, H = 3, 4
    assert ex["shapes"] == {
        "weight_ih_l0": (4 * H, D),
        "weight_hh_l0": (4 * H, H),
        "bias_ih_l0": (4 * H,),
        "bias_hh_l0": (4 * H,),
    }
    assert ex["n_params"] == 4 * H * (D + H + 2) == 144
    assert 0.4 < ex["largest"] <= 1 / math.sqrt(H)  # U(-1/sqrt(H), 1/sqrt(H)), 144 draws
    assert ex["out_shapes"] == ((5, 2, H), (1, 2, H), (1, 2, H))
    assert ex["last_vs_hn"] == 0.0  # output[-1] is h_n[0]
    assert ex["last_vs_cn"] > 0.01  # ... and not c_n[0]
    assert ex["diff"] < 1e-12


@pytest.mark.torch
def test_stacked_example_matches_torch_two_layers():
    ex = ch2_lstm.stacked_example()
    assert ex["shapes"]["weight_ih_l1"] == (16, 4)  # layer 2 reads h of length H = 4
    assert ex["shapes"]["weight_ih_l0"] == (16, 3)
    assert ex["hn_shape"] == (2, 2, 4)
    assert ex["diff"] < 1e-12


@pytest.mark.slow
@pytest.mark.torch
def test_numbers_are_plain_prefixed_values_with_the_hand_computed_entries():
    n = ch2_lstm.numbers()
    assert all(type(v) in (int, float, str) for v in n.values())
    assert all(k.startswith("lstm_") for k in n)
    assert n == ch2_lstm.numbers()
    assert (n["lstm_T"], n["lstm_D"], n["lstm_H"], n["lstm_4H"]) == (2, 2, 1, 4)
    assert n["lstm_n_params"] == 4 * 1 * (2 + 1 + 2) == 20
    assert n["lstm_W_ih"] == "[[0, 1], [0, -0.5], [1, 0], [0, 1]]"
    assert n["lstm_b_f"] == 1.0 and n["lstm_t1_x"] == "[1, 0]"
    assert (n["lstm_t1_i"], n["lstm_t1_f"], n["lstm_t1_c"], n["lstm_t1_h"]) == pytest.approx(
        (I1, F1, C1, H1)
    )
    assert (n["lstm_t2_af"], n["lstm_t2_g"], n["lstm_t2_c"], n["lstm_t2_h"]) == pytest.approx(
        (Z2[1], 0.0, C2, H2)
    )
    assert (n["lstm_t2_af_x"], n["lstm_t2_af_h"]) == pytest.approx((-0.5, H1))
    assert n["lstm_path_change_mid"] == pytest.approx(n["lstm_path_prod_mid"], rel=1e-8)
    assert n["lstm_torch_weight_ih_l0"] == "(16, 3)" and n["lstm_torch_bias_ih_l0"] == "(16,)"
    assert n["lstm_torch_bound"] == 0.5  # 1 / sqrt(4)
    assert n["lstm_stack_weight_ih_l1"] == "(16, 4)"
    assert n["lstm_agree"] == 1e-12  # the bound the prose cites; numbers() checks it holds
    assert n["lstm_add_lstm_mse"] < n["lstm_add_last_only"] < n["lstm_add_rnn_mse"]


def test_the_cited_agreement_bound_is_checked():
    assert ch2_lstm._agreed(1e-16, 0.0) == ch2_lstm.AGREE
    with pytest.raises(RuntimeError, match="rnnlab and torch differ"):
        ch2_lstm._agreed(1e-16, 1e-6)


def test_the_exercise_solutions_agree_with_a_hand_computation():
    n = ch2_lstm.exercise_numbers()
    # x_1 = [0, 1] first: g_1 = tanh(W_ig x_1) = tanh(0) = 0, nothing is written
    assert (n["lstm_ex_swap_g1"], n["lstm_ex_swap_c1"], n["lstm_ex_swap_h1"]) == (0, 0, 0)
    # x_2 = [1, 0]: a^i = a^o = 0, so i_2 = o_2 = 1/2; g_2 = tanh(1); c_2 = tanh(1) / 2
    assert n["lstm_ex_swap_half"] == "i_2 and o_2"
    assert n["lstm_ex_swap_c2"] == pytest.approx(math.tanh(1) / 2)
    assert n["lstm_ex_swap_h2"] == pytest.approx(0.5 * math.tanh(math.tanh(1) / 2))
    # the other roads take from the cell path here (the prose says so)
    assert 0 < n["lstm_ex_roads_change"] < n["lstm_ex_roads_product"]
    # 4H(D + H + 2) with D = 3, H = 4, and a second layer of input size H
    assert n["lstm_ex_count_lstm"] == 144 and n["lstm_ex_count_two_layers"] == 144 + 160
    assert (n["lstm_ex_count_gru"], n["lstm_ex_count_rnn"]) == (108, 36)


@pytest.mark.torch
def test_the_counted_parameters_are_torchs():
    import torch

    n = ch2_lstm.exercise_numbers()

    def count(module) -> int:
        return sum(w.numel() for w in module.parameters())

    assert count(torch.nn.LSTM(3, 4)) == n["lstm_ex_count_lstm"]
    assert count(torch.nn.LSTM(3, 4, num_layers=2)) == n["lstm_ex_count_two_layers"]
    assert count(torch.nn.GRU(3, 4)) == n["lstm_ex_count_gru"]
    assert count(torch.nn.RNN(3, 4)) == n["lstm_ex_count_rnn"]


@pytest.mark.torch
def test_a_bidirectional_stacked_lstm_is_two_rnnlab_lstms_per_layer():
    both = ch2_lstm.bidirectional_example()
    assert both["diff"] < 1e-12
    D, H, L = ch2_lstm.TORCH_SIZES["D"], ch2_lstm.TORCH_SIZES["H"], ch2_lstm.LAYERS
    T, B = ch2_lstm.TORCH_SIZES["T"], ch2_lstm.TORCH_SIZES["B"]
    assert both["shapes"] == {"output": (T, B, 2 * H), "h_n": (2 * L, B, H)}
    assert both["weight_ih_l1"] == (4 * H, 2 * H)  # layer 2 reads both directions
    assert D != 2 * H  # so a wrong input size for layer 2 would show


def backprop_numbers() -> dict:
    return ch2_backprop.numbers(ch2_lstm.params(), *ch2_lstm.inputs())


def deltas(n: dict, tag: str) -> list[float]:
    return [n[f"lstm_bp_{tag}_delta{gate}"] for gate in "ifgo"]


def test_backward_numbers_follow_the_chain_rule_written_out_by_hand():
    n = backprop_numbers()
    expected = {
        "t2_dh": 1.0, "t2_dch": DC2, "t2_dcnext": 0.0, "t2_dc": DC2, "t2_dcprev": DC2 * F2,
        "t2_dhprev": DH1, "t1_dh": DH1, "t1_dch": DC1_H, "t1_dcnext": DC1_NEXT, "t1_dc": DC1,
        "t1_dcprev": DC0, "t1_dhprev": DH0,
        "t2_slopec": 1.0 - math.tanh(C2) ** 2, "t1_slopec": 1.0 - math.tanh(C1) ** 2,
    }  # fmt: skip
    for key, value in expected.items():
        assert n[f"lstm_bp_{key}"] == pytest.approx(value, rel=1e-12, abs=1e-15), key
    np.testing.assert_allclose(deltas(n, "t2"), DELTA2, rtol=1e-12, atol=0)
    np.testing.assert_allclose(deltas(n, "t1"), DELTA1, rtol=1e-12, atol=0)
    # the exact zeros the prose explains: nothing written at step 2, nothing to forget at 1
    assert n["lstm_bp_t2_deltai"] == 0.0 and n["lstm_bp_t1_deltaf"] == 0.0
    assert n["lstm_bp_t1_dhprev"] == 0.0
    assert n["lstm_bp_t1_dcnext"] > 10 * n["lstm_bp_t1_dch"]  # "most of it came along the cell"
    # four decimals worked out on paper
    assert [round(n[f"lstm_bp_{k}"], 4) for k in ("t2_dc", "t1_dc", "t1_dcprev")] == [
        0.6862, 0.4810, 0.3517,
    ]  # fmt: skip


@pytest.mark.torch
def test_backward_numbers_match_torch_autograd_step_by_step():
    torch = pytest.importorskip("torch")
    import torch_reference as ref

    p, (xs, _) = ch2_lstm.params(), ch2_lstm.inputs()
    # one module per step, so that each one's bias gradient is its own step's δ_t
    net_1, net_2 = ref.module(torch.nn.LSTM, p), ref.module(torch.nn.LSTM, p)
    h0, c0 = ref.tensor(np.zeros((1, 1, 1)), grad=True), ref.tensor(np.zeros((1, 1, 1)), grad=True)
    _, (h1, c1) = net_1(ref.tensor(xs[:1]), (h0, c0))
    h1.retain_grad()
    c1.retain_grad()
    out, _ = net_2(ref.tensor(xs[1:]), (h1, c1))
    out[-1].sum().backward()  # L = h_2
    n = backprop_numbers()
    np.testing.assert_allclose(
        net_2.bias_ih_l0.grad.numpy(), deltas(n, "t2"), rtol=1e-12, atol=1e-16
    )
    np.testing.assert_allclose(
        net_1.bias_ih_l0.grad.numpy(), deltas(n, "t1"), rtol=1e-12, atol=1e-16
    )
    assert h1.grad.item() == pytest.approx(n["lstm_bp_t1_dh"], rel=1e-12)
    assert h1.grad.item() == pytest.approx(n["lstm_bp_t2_dhprev"], rel=1e-12)
    # c_1 as the input of step 2: its gradient is the term along the cell alone
    assert c1.grad.item() == pytest.approx(n["lstm_bp_t1_dcnext"], rel=1e-12)
    assert c1.grad.item() == pytest.approx(n["lstm_bp_t2_dcprev"], rel=1e-12)
    assert c0.grad.item() == pytest.approx(n["lstm_bp_t1_dcprev"], rel=1e-12)
    assert h0.grad.item() == pytest.approx(n["lstm_bp_t1_dhprev"], abs=1e-16)
    # the whole ∂L/∂c_t, read back from torch's δ^g_t = ∂L/∂c_t · i_t (1 - g_t²)
    for t, (i, g) in ((1, (I1, G1)), (2, (I2, G2))):
        delta_g = (net_1 if t == 1 else net_2).bias_ih_l0.grad[2].item()
        assert n[f"lstm_bp_t{t}_dc"] * i * (1 - g**2) == pytest.approx(delta_g, rel=1e-12)
        assert n[f"lstm_bp_t{t}_dch"] + n[f"lstm_bp_t{t}_dcnext"] == n[f"lstm_bp_t{t}_dc"]


def _torch_backward_of_worked_example(loss):
    """torch's nn.LSTM with the worked example's parameters, run on its inputs from zero
    states and taken back from ``loss(output)``: the module and c_0, with their gradients."""
    import torch
    import torch_reference as ref

    p, (xs, _) = ch2_lstm.params(), ch2_lstm.inputs()
    net = ref.module(torch.nn.LSTM, p)
    c0 = ref.tensor(np.zeros((1, 1, 1)), grad=True)
    out, _ = net(ref.tensor(xs), (ref.tensor(np.zeros((1, 1, 1))), c0))
    loss(out).backward()
    return net, c0


@pytest.mark.torch
def test_the_worked_backward_matches_torch_on_the_whole_sequence():
    net, c0 = _torch_backward_of_worked_example(lambda out: out[-1].sum())  # L = h_2
    n = backprop_numbers()
    summed = np.add(deltas(n, "t1"), deltas(n, "t2"))  # ∂L/∂b_ih = δ_1 + δ_2
    np.testing.assert_allclose(net.bias_ih_l0.grad.numpy(), summed, rtol=1e-12, atol=1e-16)
    assert c0.grad.item() == pytest.approx(n["lstm_bp_t1_dcprev"], rel=1e-12)


def test_the_step_by_step_backward_must_agree_with_lstm_backward():
    p, (xs, state0) = ch2_lstm.params(), ch2_lstm.inputs()
    d_hs = ch2_backprop.last_output_loss(xs, 1)
    rows = ch2_backprop.backward_steps(xs, p, state0, d_hs)
    ch2_backprop._check_against_backward(xs, p, state0, d_hs, rows)  # agrees: no error
    rows[0]["d_c_prev"] = rows[0]["d_c_prev"] + 1e-6
    with pytest.raises(RuntimeError, match="lstm.backward"):
        ch2_backprop._check_against_backward(xs, p, state0, d_hs, rows)


def test_the_exercise_loss_on_both_outputs_by_hand():
    n = backprop_numbers()
    # L = h_1 + h_2: step 2 is unchanged; step 1 gets ∂ℓ_1/∂h_1 = 1 on top of δ_2 W_hh
    dh1 = 1.0 + DH1
    dc1_h = dh1 * O1 * (1.0 - math.tanh(C1) ** 2)
    dc1 = dc1_h + DC1_NEXT
    expected = {"dh": dh1, "dch": dc1_h, "dcnext": DC1_NEXT, "dc": dc1, "dcprev": dc1 * F1}
    for key, value in expected.items():
        assert n[f"lstm_bp_ex_{key}"] == pytest.approx(value, rel=1e-12), key
    delta1 = (
        dc1 * G1 * d_sigmoid(I1),
        0.0,
        dc1 * I1 * (1 - G1**2),
        dh1 * math.tanh(C1) * d_sigmoid(O1),
    )
    np.testing.assert_allclose(deltas(n, "ex"), delta1, rtol=1e-12, atol=0)


@pytest.mark.torch
def test_the_exercise_numbers_match_torch_autograd():
    net, c0 = _torch_backward_of_worked_example(lambda out: out.sum())  # L = h_1 + h_2
    n = backprop_numbers()
    summed = np.add(deltas(n, "ex"), deltas(n, "t2"))  # step 2's δ is unchanged
    np.testing.assert_allclose(net.bias_ih_l0.grad.numpy(), summed, rtol=1e-12, atol=1e-16)
    assert c0.grad.item() == pytest.approx(n["lstm_bp_ex_dcprev"], rel=1e-12)


def test_the_highway_is_the_product_of_the_forget_gates_and_the_rnn_vanishes():
    xs, p = ch2_lstm.path_setup(ch2_lstm.PATH_BIASES[2])
    n = ch2_backprop.highway_numbers(xs, p)
    T = n["lstm_bp_highway_T"]
    assert T == ch1_rnn.GRAD_T and len(xs) > T
    f = ch2_lstm.forget_gates(xs[:T], p)  # W_hh = 0: σ(W_if x_t + b_if + b_hf)
    assert n["lstm_bp_highway_cell"] == pytest.approx(np.prod(f), rel=1e-12)
    assert n["lstm_bp_highway_fmean"] == pytest.approx(f.mean(), rel=1e-12)
    assert 0.99 < n["lstm_bp_highway_fmean"] < 1.0  # "gates near 0.99"
    # the RNN: the norm of what rnn.backward gives h_0 under L = v · h_T, ‖v‖ = 1
    xs_r, p_r, v = ch1_rnn.gradient_setup(n["lstm_bp_highway_rnn_s"], 1.0)
    d_hs = np.zeros((len(xs_r), 1, len(v)))
    d_hs[-1, 0] = v
    norm = np.linalg.norm(rnn.backward(xs_r, p_r, d_hs)["h0"])
    assert n["lstm_bp_highway_rnn"] == pytest.approx(norm, rel=1e-9)
    assert n["lstm_bp_highway_rnn"] < 1e-10 < 0.5 < n["lstm_bp_highway_cell"] < 1.0


@pytest.mark.torch
@pytest.mark.parametrize("with_w_hh", [False, True])
def test_the_cell_path_gradient_is_torchs_derivative_of_the_last_cell(with_w_hh):
    torch = pytest.importorskip("torch")
    import torch_reference as ref

    xs, p = ch2_lstm.path_setup(ch2_lstm.PATH_BIASES[2])
    if with_w_hh:  # every road from c_0 to c_T, not only the cell's
        p = {**p, "W_hh": init.lstm(1, 1, seed=5)["W_hh"]}
    c0 = ref.tensor(np.zeros((1, 1, 1)), grad=True)
    _, (_, c_T) = ref.module(torch.nn.LSTM, p)(
        ref.tensor(xs), (ref.tensor(np.zeros((1, 1, 1))), c0)
    )
    c_T.sum().backward()
    assert ch2_backprop.cell_path_gradient(xs, p) == pytest.approx(c0.grad.item(), rel=1e-10)
