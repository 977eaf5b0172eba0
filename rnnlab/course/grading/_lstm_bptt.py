"""The LSTM's backpropagation through time with one usual mistake switched on: the
gradients a student who makes that mistake returns, and the words that name it.

The right pass, going back from the last step (``dh_t`` and ``dc_t`` are the whole
gradients of h_t and c_t)::

    dh_t = d_hs[t] + δ_{t+1} W_hh
    dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o_t ⊙ (1 - tanh²(c_t))
    δi_t = dc_t ⊙ g_t ⊙ i_t (1 - i_t)        δf_t = dc_t ⊙ c_{t-1} ⊙ f_t (1 - f_t)
    δg_t = dc_t ⊙ i_t ⊙ (1 - g_t²)           δo_t = dh_t ⊙ tanh(c_t) ⊙ o_t (1 - o_t)
"""

import numpy as np

from rnnlab import lstm
from rnnlab.activations import sigmoid

DELTAS = {
    "i": "δi_t = dc_t ⊙ g_t ⊙ i_t (1 - i_t)",
    "f": "δf_t = dc_t ⊙ c_{t-1} ⊙ f_t (1 - f_t)",
    "g": "δg_t = dc_t ⊙ i_t ⊙ (1 - g_t²)",
    "o": "δo_t = dh_t ⊙ tanh(c_t) ⊙ o_t (1 - o_t)",
}
D_C = "dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o_t ⊙ (1 - tanh²(c_t))"
D_H = "dh_t = d_hs[t] + δ_{t+1} W_hh"
MISTAKES = {  # a usual mistake -> what the student reads when their gradient matches it
    "no cell path": "your dc_t leaves out what comes back along the cell state from step "
    f"t + 1, dc_{{t+1}} ⊙ f_{{t+1}}: {D_C}; that path is the LSTM's gradient highway",
    "no hidden path": f"your dh_t leaves out what comes back from step t + 1: {D_H}",
    "no d_hs": "your gradients are all zero: dh_t must hold d_hs[t], what the loss gives h_t "
    f"directly ({D_H}), and the backward loop must reach every step, down to index 0",
    "only the last d_hs": "you use only d_hs[T-1]: every step's output h_t has its own "
    f"gradient d_hs[t], added to what comes back from step t + 1 ({D_H})",
    "no tanh derivative": "the part of your dc_t that comes through h_t leaves out the "
    "derivative of tanh: h_t = o_t ⊙ tanh(c_t), so it is dh_t ⊙ o_t ⊙ (1 - tanh²(c_t))",
    "no path through h": "your dc_t leaves out the path through h_t: c_t also makes "
    f"h_t = o_t ⊙ tanh(c_t), so {D_C}",
    "tanh of c_{t-1}": "your dc_t and δo_t use tanh(c_{t-1}): h_t = o_t ⊙ tanh(c_t) is made "
    "from the new cell state c_t, so both need tanh(c_t)",
    "no forget factor": "what your dc passes back to step t - 1 is not multiplied by the "
    "forget gate of the step it leaves: c_t = f_t ⊙ c_{t-1} + ..., so ∂L/∂c_{t-1} = dc_t ⊙ "
    "f_t, with f_t of step t (multiply as you pass it back)",
    "f with c_t": "your δf_t multiplies c_t: the forget gate multiplies c_{t-1}, so "
    + DELTAS["f"],
    "o with c_t": "your δo_t multiplies c_t instead of tanh(c_t): " + DELTAS["o"],
    "sigmoid derivative for g": "your δg_t uses the sigmoid's derivative g_t (1 - g_t): "
    "g_t = tanh(a^g_t), whose derivative is 1 - g_t²",
    "tanh derivative for the gates": "your δ of the gates i, f and o uses tanh's derivative "
    "1 - x²: they are sigmoids, and σ' = σ (1 - σ), for example i_t (1 - i_t)",
    "sigma of the gate": "you apply σ again to a gate's value: with i_t = σ(a^i_t) already "
    "computed, σ'(a^i_t) = i_t (1 - i_t), not σ(i_t) (1 - σ(i_t))",
    "skips the first step": "your backward loop stops before the first step (index 0): "
    "reversed(range(T)) visits every step, from T - 1 down to 0",
    "zero start": "the forward pass inside your lstm_backward starts from zeros although "
    "state0 is given: start from state0 = (h_0, c_0) when it is not None",
    "not summed": "your d{key} holds the first step's term only (the last one a backward "
    "loop reaches): every step uses the same parameters, so their gradients add up over "
    "t (d{key} += ..., starting from zeros)",
}
PARAMETERS = ("W_ih", "W_hh", "b_ih", "b_hh")


def applies(mistake: str, key: str, state0) -> bool:
    """Whether ``mistake`` can show in the gradient of ``key`` from ``state0``."""
    if mistake == "not summed":
        return key in PARAMETERS
    return mistake != "zero start" or state0 is not None


def bptt(xs, params, d_hs, state0=None, mistake: str = "", order=tuple("ifgo")) -> dict:
    """BPTT of the LSTM with one usual ``mistake`` (a key of ``MISTAKES``) switched on,
    or the blocks of δ_t stacked in another ``order``: the gradients it gives."""
    p = params
    zeros = np.zeros((xs.shape[1], p["W_hh"].shape[1]), xs.dtype)
    h, c = (zeros, zeros) if state0 is None or mistake == "zero start" else state0
    steps, starts = [], []
    for x in xs:
        starts.append((h, c))
        steps.append(lstm.step(x @ p["W_ih"].T + p["b_ih"], h, c, p))
        h, c = steps[-1].h_t, steps[-1].c_t
    grads = {key: np.zeros_like(value) for key, value in p.items()}
    d_xs, d_h, d_c = np.zeros_like(xs), np.zeros_like(zeros), np.zeros_like(zeros)
    for t in reversed(range(1 if mistake == "skips the first step" else 0, len(xs))):
        d_h = _d_out(d_hs, t, mistake) + (0 if mistake == "no hidden path" else d_h)
        delta, d_c = _step_back(steps[t], starts[t][1], d_h, d_c, mistake)
        delta = np.concatenate([delta[gate] for gate in order], axis=1)
        terms = {"W_ih": delta.T @ xs[t], "W_hh": delta.T @ starts[t][0], "b_ih": delta.sum(0)}
        for key, term in {**terms, "b_hh": terms["b_ih"]}.items():
            grads[key] = term if mistake == "not summed" else grads[key] + term
        d_xs[t], d_h = delta @ p["W_ih"], delta @ p["W_hh"]
    return {**grads, "xs": d_xs, "h0": d_h, "c0": d_c}


def _d_out(d_hs, t: int, mistake: str):
    """What the loss gives h_t directly, as the ``mistake`` reads it."""
    if mistake == "no d_hs" or (mistake == "only the last d_hs" and t < len(d_hs) - 1):
        return np.zeros_like(d_hs[t])
    return d_hs[t]


def _step_back(s: lstm.Step, c_prev, d_h, d_c, mistake: str):
    """One step back with ``mistake``: δ of each gate, and the gradient of c_{t-1}."""
    tanh_c = np.tanh(c_prev if mistake == "tanh of c_{t-1}" else s.c_t)
    through_h = d_h * s.o_t * (1 if mistake == "no tanh derivative" else 1 - tanh_c**2)
    d_c = (0 if mistake == "no cell path" else d_c) + (
        0 if mistake == "no path through h" else through_h
    )
    slope = {gate: _slope(getattr(s, f"{gate}_t"), gate, mistake) for gate in "ifgo"}
    delta = {
        "i": d_c * s.g_t * slope["i"],
        "f": d_c * (s.c_t if mistake == "f with c_t" else c_prev) * slope["f"],
        "g": d_c * s.i_t * slope["g"],
        "o": d_h * (s.c_t if mistake == "o with c_t" else tanh_c) * slope["o"],
    }
    return delta, d_c * (1 if mistake == "no forget factor" else s.f_t)


def _slope(value: np.ndarray, gate: str, mistake: str) -> np.ndarray:
    """The activation's derivative at a gate's ``value``, as the ``mistake`` computes it."""
    if gate == "g":
        return value * (1 - value) if mistake == "sigmoid derivative for g" else 1 - value**2
    if mistake == "tanh derivative for the gates":
        return 1 - value**2
    if mistake == "sigma of the gate":
        return sigmoid(value) * (1 - sigmoid(value))
    return value * (1 - value)
