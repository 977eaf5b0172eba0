"""rnnlab.variants against Greff et al.'s equations, written again here one gate at a time,
and against the special cases that each variant reduces to."""

import numpy as np
import pytest
import torch
import torch_reference as ref
from helpers import random_params

from rnnlab import lstm, variants

NAMES = ["peephole", "NIG", "NFG", "NOG", "NIAF", "NOAF", "NP", "CIFG", "FGR"]
# Greff et al.: a removed gate takes its peephole with it, CIFG's f has none of its own
# (f = 1 - i), and NP removes them all.
PEEPHOLES = {"NIG": "fo", "NFG": "io", "NOG": "if", "NP": "", "CIFG": "io"}
BIG = 60.0  # σ(±60) is exactly 1 or 0 in float64
T, B, D, H = 4, 3, 2, 3


def sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


def greff(xs, params, name, peepholes=None, state0=None):
    """Greff et al.'s vanilla LSTM with the one change ``name`` makes, one sequence at a
    time. Returns ``hs (T, B, H)`` and the final ``(h, c)``, plus ``a`` for FGR."""
    steps, batch, _ = xs.shape
    n = params["W_hh"].shape[1]
    W = dict(zip("ifgo", np.split(params["W_ih"], 4), strict=True))  # input weights
    R = dict(zip("ifgo", np.split(params["W_hh"], 4), strict=True))  # recurrent weights
    b = dict(zip("ifgo", np.split(params["b_ih"] + params["b_hh"], 4), strict=True))
    peep = PEEPHOLES.get(name, "ifo") if peepholes is None else peepholes
    p = {gate: params[f"p_{gate}"] if gate in peep else np.zeros(n) for gate in "ifo"}
    hs, finals = np.zeros((steps, batch, n)), []
    for k in range(batch):
        y = np.zeros(n) if state0 is None else state0[0][k]
        c = np.zeros(n) if state0 is None else state0[1][k]
        a = np.zeros(3 * n)  # the previous step's gates (i, f, o), read by FGR only
        for t in range(steps):
            x = xs[t, k]
            extra = params["W_gg"] @ a if name == "FGR" else np.zeros(3 * n)
            z_i = W["i"] @ x + R["i"] @ y + b["i"] + extra[:n]
            z_f = W["f"] @ x + R["f"] @ y + b["f"] + extra[n : 2 * n]
            z_g = W["g"] @ x + R["g"] @ y + b["g"]
            z_o = W["o"] @ x + R["o"] @ y + b["o"] + extra[2 * n :]
            i = np.ones(n) if name == "NIG" else sigma(z_i + p["i"] * c)  # peeks at c_{t-1}
            if name == "CIFG":
                f = 1.0 - i
            else:
                f = np.ones(n) if name == "NFG" else sigma(z_f + p["f"] * c)
            g = z_g if name == "NIAF" else np.tanh(z_g)
            c = g * i + c * f
            o = np.ones(n) if name == "NOG" else sigma(z_o + p["o"] * c)  # peeks at c_t
            y = o * (c if name == "NOAF" else np.tanh(c))
            a = np.concatenate([i, f, o])
            hs[t, k] = y
        finals.append((y, c, a) if name == "FGR" else (y, c))
    return hs, tuple(np.stack(parts) for parts in zip(*finals, strict=True))


def params_for(rng, name="peephole", peepholes=None):
    shapes = variants.parameter_shapes(variants.spec(name, peepholes), D, H)
    return random_params(rng, shapes)


def assert_same_run(actual, expected, tol=1e-12):
    (hs, state), (expected_hs, expected_state) = actual, expected
    np.testing.assert_allclose(hs, expected_hs, rtol=tol, atol=tol)
    assert len(state) == len(expected_state)
    for part, expected_part in zip(state, expected_state, strict=True):
        np.testing.assert_allclose(part, expected_part, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", NAMES)
def test_each_variant_follows_greffs_equations(rng, name):
    params = params_for(rng, name)
    xs = rng.normal(size=(T, B, D))
    state0 = (rng.normal(size=(B, H)), rng.normal(size=(B, H)))
    actual = variants.forward(xs, params, state0, variant=name)
    assert_same_run(actual, greff(xs, params, name, state0=state0))


@pytest.mark.parametrize("peepholes", ["", "i", "f", "o", "if", "fo", "io", "ifo"])
def test_peepholes_on_any_subset_of_gates_follow_the_equations(rng, peepholes):
    params = params_for(rng, "peephole", peepholes)
    xs = rng.normal(size=(T, B, D))
    actual = variants.forward(xs, params, peepholes=peepholes)
    assert_same_run(actual, greff(xs, params, "peephole", peepholes))


@pytest.mark.parametrize("name", NAMES)
def test_variant_cell_is_one_step_of_forward(rng, name):
    params = params_for(rng, name)
    xs = rng.normal(size=(2, B, D))
    hs, final = variants.forward(xs, params, variant=name)
    state = (np.zeros((B, H)), np.zeros((B, H)))
    for t in range(2):
        state = variants.cell(xs[t], state, params, variant=name)
        np.testing.assert_allclose(state[0], hs[t], rtol=1e-14, atol=1e-15)
    assert len(state) == len(final) == (3 if name == "FGR" else 2)


def test_zero_peepholes_give_the_plain_lstm(rng):
    params = params_for(rng, "peephole")
    params.update(p_i=np.zeros(H), p_f=np.zeros(H), p_o=np.zeros(H))
    xs, state0 = rng.normal(size=(T, B, D)), (rng.normal(size=(B, H)), rng.normal(size=(B, H)))
    assert_same_run(variants.forward(xs, params, state0), lstm.forward(xs, params, state0))


def test_np_is_the_plain_lstm(rng):
    params = params_for(rng, "NP")
    assert set(params) == {"W_ih", "W_hh", "b_ih", "b_hh"}
    xs = rng.normal(size=(T, B, D))
    assert_same_run(variants.forward(xs, params, variant="NP"), lstm.forward(xs, params))


@pytest.mark.torch
def test_np_matches_torch_lstm(rng):
    params, xs = params_for(rng, "NP"), rng.normal(size=(T, B, D))
    expected = ref.run(ref.module(torch.nn.LSTM, params), xs)
    assert_same_run(variants.forward(xs, params, variant="NP"), expected, tol=1e-10)


def test_a_peephole_subset_is_the_full_set_with_the_others_zero(rng):
    params = params_for(rng, "peephole")
    xs = rng.normal(size=(T, B, D))
    only_f = variants.forward(xs, params, peepholes="f")
    params.update(p_i=np.zeros(H), p_o=np.zeros(H))
    assert_same_run(only_f, variants.forward(xs, params, peepholes="ifo"))


def test_cifg_forget_gate_is_one_minus_the_input_gate(rng):
    params = params_for(rng, "CIFG")
    params["W_hh"][:] = 0.0  # no h-dependence: i and g follow from x_t and c_{t-1} alone
    xs = rng.normal(size=(T, B, D))
    W_i, _, W_g, _ = np.split(params["W_ih"], 4)
    b_i, _, b_g, _ = np.split(params["b_ih"] + params["b_hh"], 4)
    state, c = None, np.zeros((B, H))
    for x in xs:
        state = variants.cell(x, state, params, variant="CIFG")
        i = sigma(x @ W_i.T + b_i + params["p_i"] * c)
        g = np.tanh(x @ W_g.T + b_g)
        c = (1 - i) * c + i * g  # f = 1 - i
        np.testing.assert_allclose(state[1], c, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "block"), [("NIG", 0), ("NFG", 1), ("NOG", 3)])
def test_dropping_a_gate_is_the_vanilla_lstm_with_that_gate_open(rng, name, block):
    params = params_for(rng, "peephole")
    xs, state0 = rng.normal(size=(T, B, D)), (rng.normal(size=(B, H)), rng.normal(size=(B, H)))
    dropped = variants.forward(xs, params, state0, variant=name)
    params["b_ih"][block * H : (block + 1) * H] = BIG  # σ(60 + ...) = 1
    assert_same_run(dropped, variants.forward(xs, params, state0), tol=1e-13)


def open_gates(params, input_=BIG, forget=BIG, output=BIG):
    params["b_ih"][:H], params["b_ih"][H : 2 * H] = input_, forget
    params["b_ih"][3 * H :] = output


def test_niaf_writes_the_candidates_pre_activation_itself(rng):
    params = params_for(rng, "NIAF")
    open_gates(params, forget=-BIG)  # i = 1, f = 0: c_t = g_t
    params["W_hh"][2 * H : 3 * H] = 0.0  # so g_t = W_g x_t + b_g, from x alone
    xs = 2 * rng.normal(size=(T, B, D))
    _, (_, c_T) = variants.forward(xs, params, variant="NIAF")
    W_g, b_g = params["W_ih"][2 * H : 3 * H], (params["b_ih"] + params["b_hh"])[2 * H : 3 * H]
    expected = xs[-1] @ W_g.T + b_g  # no tanh
    np.testing.assert_allclose(c_T, expected, rtol=1e-12, atol=1e-13)
    assert np.abs(expected).max() > 1  # beyond tanh's range: a tanh would show


def test_noaf_outputs_the_cell_itself(rng):
    params = params_for(rng, "NOAF")
    open_gates(params)  # i = f = o = 1: h_t = c_t
    state0 = (rng.normal(size=(B, H)), 3 * rng.normal(size=(B, H)))
    _, (h_T, c_T) = variants.forward(rng.normal(size=(T, B, D)), params, state0, variant="NOAF")
    np.testing.assert_array_equal(h_T, c_T)
    assert np.abs(c_T).max() > 1  # beyond tanh's range


def test_fgr_without_gate_recurrence_is_the_vanilla_lstm(rng):
    params = params_for(rng, "FGR")
    params["W_gg"][:] = 0.0
    xs = rng.normal(size=(T, B, D))
    hs, (h, c, gamma) = variants.forward(xs, params, variant="FGR")
    assert_same_run((hs, (h, c)), variants.forward(xs, params, variant="peephole"))
    assert gamma.shape == (B, 3 * H)


def test_fgr_state_carries_the_previous_gates(rng):
    params = params_for(rng, "FGR")
    xs = rng.normal(size=(T, B, D))
    hs, final = variants.forward(xs, params, variant="FGR")
    first, (h, c, gamma) = variants.forward(xs[:2], params, variant="FGR")
    rest, rest_final = variants.forward(xs[2:], params, (h, c, gamma), variant="FGR")
    assert_same_run((np.concatenate([first, rest]), rest_final), (hs, final), tol=1e-14)
    forgotten, _ = variants.forward(xs[2:], params, (h, c), variant="FGR")  # γ = 0 instead
    assert np.abs(forgotten - rest).max() > 1e-3
