"""Checks of the LSTM's backpropagation through time (ex02).

Going back from the last step, with ``dh_t`` and ``dc_t`` the whole gradients of h_t and
c_t (what the loss gives them directly and what comes back from step t + 1)::

    dh_t = d_hs[t] + δ_{t+1} W_hh
    dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o_t ⊙ (1 - tanh²(c_t))
    δi_t = dc_t ⊙ g_t ⊙ i_t (1 - i_t)        δf_t = dc_t ⊙ c_{t-1} ⊙ f_t (1 - f_t)
    δg_t = dc_t ⊙ i_t ⊙ (1 - g_t²)           δo_t = dh_t ⊙ tanh(c_t) ⊙ o_t (1 - o_t)

A wrong gradient is compared with BPTT computed with one usual mistake (a path back left
out, a derivative missed, the blocks of δ_t stacked in another order, ...). If none
matches, the student's function is run on the first step alone (T = 1, where nothing
comes back from a later step), and the gate blocks of its gradients say which gate's δ
is off, or that one step is right and what comes back from step t + 1 is not.
"""

import itertools

import numpy as np

from rnnlab import lstm
from rnnlab.activations import sigmoid
from rnnlab.course.grading import _backward, _core
from rnnlab.course.grading.lstm import FAMILY, GATE_NAMES

GRADIENTS = {  # checked in this order: the simplest sum first
    "b_hh": ("4H", "db_hh = Σ_t Σ_b δ_t, the blocks i, f, g, o side by side"),
    "b_ih": ("4H", "db_ih = Σ_t Σ_b δ_t, the same sum as db_hh"),
    "W_ih": ("4H, D", "dW_ih = Σ_t δ_tᵀ x_t"),
    "W_hh": ("4H, H", "dW_hh = Σ_t δ_tᵀ h_{t-1}, with h_{t-1} the state step t started from"),
    "xs": ("T, B, D", "dxs[t] = δ_t W_ih"),
    "h0": ("B, H", "dh0 = δ_1 W_hh: what flows out of the first step into h_0"),
    "c0": ("B, H", "dc0 = dc_1 ⊙ f_1: what flows out of the first step into c_0"),
}
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
    "only the last d_hs": "you use only d_hs[T-1]: every step's output h_t has its own "
    f"gradient d_hs[t], added to what comes back from step t + 1 ({D_H})",
    "no tanh derivative": "the part of your dc_t that comes through h_t leaves out the "
    "derivative of tanh: h_t = o_t ⊙ tanh(c_t), so it is dh_t ⊙ o_t ⊙ (1 - tanh²(c_t))",
    "no path through h": "your dc_t leaves out the path through h_t: c_t also makes "
    f"h_t = o_t ⊙ tanh(c_t), so {D_C}",
    "no forget factor": "what your dc passes back to step t - 1 leaves out the forget gate: "
    "c_t = f_t ⊙ c_{t-1} + ..., so ∂L/∂c_{t-1} = dc_t ⊙ f_t",
    "f with c_t": "your δf_t multiplies c_t: the forget gate multiplies c_{t-1}, so "
    + DELTAS["f"],
    "o with c_t": "your δo_t multiplies c_t instead of tanh(c_t): " + DELTAS["o"],
    "sigmoid derivative for g": "your δg_t uses the sigmoid's derivative g_t (1 - g_t): "
    "g_t = tanh(a^g_t), whose derivative is 1 - g_t²",
    "tanh derivative for the gates": "your δ of the gates i, f and o uses tanh's derivative "
    "1 - x²: they are sigmoids, and σ' = σ (1 - σ), for example i_t (1 - i_t)",
    "sigma of the gate": "you apply σ again to a gate's value: with i_t = σ(a^i_t) already "
    "computed, σ'(a^i_t) = i_t (1 - i_t), not σ(i_t) (1 - σ(i_t))",
    "not summed": "your d{key} holds the first step's term only (the last one a backward "
    "loop reaches): every step uses the same parameters, so their gradients add up over "
    "t (d{key} += ..., starting from zeros)",
}
SHARED = ("W_ih", "W_hh", "b_ih", "b_hh")


def check_lstm_backward(fn, hidden: bool = False, cell=None) -> None:
    """Check ``fn(xs, params, d_hs (T, B, H), state0=None) -> dict of gradients``.

    The dict holds the gradients of ``W_ih, W_hh, b_ih, b_hh, xs, h0, c0``, each of the
    shape of what it is the gradient of. Given the student's ``cell``, a wrong gradient
    that comes from a wrong cell says to fix the cell first.
    """
    __tracebackhide__ = True
    count = _backward.check(
        fn, FAMILY, hidden, cell, lstm.backward, GRADIENTS, _diagnose, "state0"
    )
    _core.passed(_core.name_of(fn), count, hidden)


def _diagnose(fn, got: dict, key: str, args: tuple, hint: str) -> str:
    """Why the student's gradient of ``key`` is wrong: a usual mistake, else which gate."""
    mistakes = [
        (MISTAKES[mistake].replace("{key}", key), lambda m=mistake: bptt(*args, mistake=m)[key])
        for mistake in MISTAKES
        if mistake != "not summed" or key in SHARED
    ]
    mistakes += [
        (
            f"your δ_t stacks the gates' blocks in the order {', '.join(order)}: torch's "
            "order is i, f, g, o, the order of W_ih's and W_hh's rows",
            lambda o=order: bptt(*args, order=o)[key],
        )
        for order in itertools.permutations("ifgo")
        if order != tuple("ifgo")
    ]
    found = _core.first_match(got[key], mistakes) or _one_step(fn, args, key)
    return found or (f"{hint}; with " + "; ".join(DELTAS.values()) if key in SHARED else hint)


def _one_step(fn, args: tuple, key: str) -> str | None:
    """Which gate's δ is off on the first step alone (T = 1), from the gate blocks of the
    student's parameter gradients; or that one step is right and later ones are not."""
    xs, params, d_hs, state0 = args
    one = (xs[:1], params, d_hs[:1], state0)
    expected = lstm.backward(*one)
    try:
        got = _core.call(fn, _core.name_of(fn), *one)
        wrong = [gate for gate in "ifgo" if not _block_right(got, expected, gate)]
        key_right = _core.close(np.asarray(got[key]), expected[key])
    except (AssertionError, KeyError, TypeError, ValueError, IndexError):
        return None  # the student's function fails on one step: inconclusive
    if wrong:
        return _wrong_gates(wrong)
    if key_right and len(xs) > 1:
        return (
            "on one step alone (T = 1) your δ_t is right, so what comes back from step "
            f"t + 1 is off: {D_H} and {D_C}"
        )
    return None


def _wrong_gates(wrong: list[str]) -> str:
    """The gates whose δ is off on one step, in words, with their formulas."""
    if wrong == list("ifg"):
        return (
            "on one step alone (T = 1) δo_t is right and δi, δf, δg are off: all three are "
            f"made from dc_t, so check it: {D_C}"
        )
    right = [GATE_NAMES[gate] for gate in "ifgo" if gate not in wrong]
    return (
        f"on one step alone (T = 1) your δ of the {', '.join(GATE_NAMES[g] for g in wrong)} "
        f"{'is' if len(wrong) == 1 else 'are'} off"
        + (f" ({', '.join(right)} right)" if right else "")
        + ": "
        + "; ".join(DELTAS[gate] for gate in wrong)
    )


def _block_right(got: dict, expected: dict, gate: str) -> bool:
    """Whether the rows of ``gate``'s block agree in every parameter's gradient."""
    k = "ifgo".index(gate)
    for key in SHARED:
        H = expected[key].shape[0] // 4
        rows = slice(k * H, (k + 1) * H)
        if not _core.close(np.asarray(got[key])[rows], expected[key][rows]):
            return False
    return True


def bptt(xs, params, d_hs, state0=None, mistake: str = "", order=tuple("ifgo")) -> dict:
    """BPTT of the LSTM with one usual ``mistake`` (a key of ``MISTAKES``) switched on,
    or the blocks of δ_t stacked in another ``order``: the gradients it gives."""
    p = params
    zeros = np.zeros((xs.shape[1], p["W_hh"].shape[1]), xs.dtype)
    h, c = (zeros, zeros) if state0 is None else state0
    steps, starts = [], []
    for x in xs:
        starts.append((h, c))
        steps.append(lstm.step(x @ p["W_ih"].T + p["b_ih"], h, c, p))
        h, c = steps[-1].h_t, steps[-1].c_t
    grads = {key: np.zeros_like(value) for key, value in p.items()}
    d_xs, d_h, d_c = np.zeros_like(xs), np.zeros_like(zeros), np.zeros_like(zeros)
    for t in reversed(range(len(xs))):
        d_out = d_hs[t] if mistake != "only the last d_hs" or t == len(xs) - 1 else 0 * d_h
        d_h = d_out + (0 if mistake == "no hidden path" else d_h)
        delta, d_c = _step_back(steps[t], starts[t][1], d_h, d_c, mistake)
        delta = np.concatenate([delta[gate] for gate in order], axis=1)
        terms = {"W_ih": delta.T @ xs[t], "W_hh": delta.T @ starts[t][0], "b_ih": delta.sum(0)}
        for key, term in {**terms, "b_hh": terms["b_ih"]}.items():
            grads[key] = term if mistake == "not summed" else grads[key] + term
        d_xs[t], d_h = delta @ p["W_ih"], delta @ p["W_hh"]
    return {**grads, "xs": d_xs, "h0": d_h, "c0": d_c}


def _step_back(s: lstm.Step, c_prev, d_h, d_c, mistake: str):
    """One step back with ``mistake``: δ of each gate, and the gradient of c_{t-1}."""
    tanh_c = np.tanh(s.c_t)
    through_h = d_h * s.o_t * (1 if mistake == "no tanh derivative" else 1 - tanh_c**2)
    d_c = (0 if mistake == "no cell path" else d_c) + (
        0 if mistake == "no path through h" else through_h
    )
    gate_value = {gate: getattr(s, f"{gate}_t") for gate in "ifgo"}
    slope = {gate: _slope(value, gate, mistake) for gate, value in gate_value.items()}
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
