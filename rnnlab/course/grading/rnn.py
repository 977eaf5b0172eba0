"""Checks of the RNN exercise (ex01): one step, the loop over time, and BPTT.

h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
"""

from collections.abc import Callable

import numpy as np

from rnnlab import rnn
from rnnlab.course.grading import _backward, _core, _probes, _recurrent, _sequence

LAYOUT = (
    "With a batch of rows x (B, D) and h (B, H), the products are x @ W_ih.T and "
    "h @ W_hh.T: W_ih has shape (H, D) and W_hh (H, H), as in torch."
)


def _shapes(D: int, H: int, options) -> dict[str, tuple[int, ...]]:
    return {"W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}


def _forward(xs, state0, params, options):
    hs, h = rnn.forward(xs, params, None if state0 is None else state0[0])
    return hs, (h,)


def _mutants(options) -> list[_recurrent.Mutant]:
    return [
        (
            "your h looks like relu(...) instead of tanh(...)",
            lambda x, s, p: (rnn.cell(x, s[0], p, nonlinearity="relu"),),
        ),
        (
            "your h ignores h_{t-1}: add the recurrent term W_hh h_{t-1} + b_hh",
            lambda x, s, p: (rnn.cell(x, np.zeros_like(s[0]), p),),
        ),
    ]


def _probe(student, options) -> str | None:
    """With only b_ih nonzero (= a) and x = h = 0 the new state is the activation of a."""
    params = _probes.probe_params(FAMILY, options, {"h": _probes.PROBE[0]})
    x, h = np.zeros((1, 1)), np.zeros_like(_probes.PROBE)
    got = student(x, (h,), params)
    return _probes.activation_problem("h", got and got[0], "tanh")


FAMILY = _recurrent.Family(
    name="RNN",
    gates="h",
    state=("h",),
    shapes=_shapes,
    cell=lambda x, s, p, options: (rnn.cell(x, s[0], p),),
    forward=_forward,
    hints={
        "W_ih": "check the input term W_ih x_t (with x as rows: x @ W_ih.T)",
        "W_hh": "check the recurrent term W_hh h_{t-1} (with h as rows: h @ W_hh.T)",
        "b_ih": "check the input bias b_ih (H,): it is added inside the tanh",
        "b_hh": "check the recurrent bias b_hh (H,): it is added inside the tanh, next to b_ih",
    },
    layout=LAYOUT,
    mutants=_mutants,
    probe=_probe,
    zero_hint="with W and b zero every pre-activation is 0, and h = tanh(0) = 0",
)


def check_rnn_cell(fn, hidden: bool = False) -> None:
    """Check ``fn(x (B, D), h (B, H), params) -> h (B, H)``, one step of the RNN."""
    __tracebackhide__ = True
    _core.passed(_core.name_of(fn), _recurrent.check_cell(fn, FAMILY, {}, hidden), hidden)


def check_rnn_forward(fn, hidden: bool = False, cell=None) -> None:
    """Check ``fn(xs (T, B, D), params, h0=None) -> (hs (T, B, H), h_T (B, H))``;
    with the student's ``cell``, the loop over time of a known mistake it makes
    is accepted too."""
    __tracebackhide__ = True
    count = _sequence.check_forward(fn, FAMILY, {}, hidden, cell)
    _core.passed(_core.name_of(fn), count, hidden)


# ---------------------------------------------------------------- BPTT

GRADIENTS = {  # checked in this order: the simplest sum first
    "b_hh": ("H", "db_hh = Σ_t Σ_b dA_t: the sum of dA_t over time and batch"),
    "b_ih": ("H", "db_ih = Σ_t Σ_b dA_t, the same sum as db_hh"),
    "W_ih": ("H, D", "dW_ih = Σ_t dA_tᵀ x_t"),
    "W_hh": ("H, H", "dW_hh = Σ_t dA_tᵀ h_{t-1}, with h_{t-1} the state step t started from"),
    "xs": ("T, B, D", "dxs[t] = dA_t W_ih"),
    "h0": ("B, H", "dh0 = dA_0 W_hh: what flows out of the first step"),
}
D_A = "dA_t = (d_hs[t] + dh_t) ⊙ (1 - h_t²), where dh_t = dA_{t+1} W_hh comes from step t + 1"


def check_rnn_backward(fn, hidden: bool = False, cell=None) -> None:
    """Check ``fn(xs, params, d_hs (T, B, H), h0=None) -> dict of gradients``.

    The dict holds the gradients of ``W_ih, W_hh, b_ih, b_hh, xs, h0``, each of the
    shape of what it is the gradient of. Given the student's ``cell``, a wrong gradient
    that comes from a wrong cell says to fix the cell first.
    """
    __tracebackhide__ = True
    count = _backward.check(fn, FAMILY, hidden, cell, rnn.backward, GRADIENTS, _diagnose, "h0")
    _core.passed(_core.name_of(fn), count, hidden)


def _diagnose(fn, got: dict, key: str, args: tuple, hint: str) -> str:
    """Why the student's gradient of ``key`` is wrong: a usual mistake, else its formula."""
    found = _core.first_match(got[key], _mistakes(key, *args))
    if found:
        return found
    if key.startswith("b_"):
        return f"the sum of dA_t is already off, so check dA_t itself: {D_A}"
    return f"{hint}; {D_A}"


def _mistakes(key: str, xs, params, d_hs, h0) -> list[tuple[str, Callable]]:
    """The usual mistakes of BPTT, each as the gradient of ``key`` it gives."""
    only_last = np.zeros_like(d_hs)
    only_last[-1] = d_hs[-1]
    shared = key in ("W_ih", "W_hh", "b_ih", "b_hh")
    return [
        (
            "your gradients leave out what flows back from later steps: the gradient "
            "of h_t is d_hs[t] plus dA_{t+1} W_hh from step t + 1 (backpropagation "
            "*through time*)",
            lambda: _bptt(xs, params, d_hs, h0, through_time=False)[key],
        ),
        (
            "you use only d_hs[T-1]: every step's output h_t has its gradient d_hs[t], "
            "added to what flows back from step t + 1",
            lambda: rnn.backward(xs, params, only_last, h0)[key],
        ),
        (
            "your dA_t leaves out the derivative of tanh: h_t = tanh(a_t), so "
            "dA_t = (d_hs[t] + dh_t) ⊙ (1 - h_t²)",
            lambda: _bptt(xs, params, d_hs, h0, factor=False)[key],
        ),
        (
            f"your d{key} holds the last step's term only (t = 0, the last one a backward "
            "loop reaches): every step uses the same parameters, so their gradients add up "
            f"over t (d{key} += ..., starting from zeros)",
            lambda: _bptt(xs, params, d_hs, h0, summed=False)[key] if shared else None,
        ),
    ]


def _bptt(xs, params, d_hs, h0, through_time=True, factor=True, summed=True) -> dict:
    """BPTT of the RNN with one usual mistake switched on: no gradient from later steps,
    no tanh factor, or each parameter's gradient overwritten at every step."""
    hs, _ = rnn.forward(xs, params, h0)
    starts = np.concatenate([np.zeros_like(hs[:1]) if h0 is None else h0[None], hs[:-1]])
    grads = {key: np.zeros_like(value) for key, value in params.items()}
    d_xs, d_h = np.zeros_like(xs), np.zeros_like(hs[0])  # d_h: ∂L/∂h_t through step t + 1
    for t in reversed(range(len(xs))):
        delta = (d_hs[t] + (d_h if through_time else 0)) * ((1 - hs[t] ** 2) if factor else 1)
        terms = {"W_ih": delta.T @ xs[t], "W_hh": delta.T @ starts[t], "b_ih": delta.sum(0)}
        for key, term in {**terms, "b_hh": terms["b_ih"]}.items():
            grads[key] = grads[key] + term if summed else term
        d_xs[t], d_h = delta @ params["W_ih"], delta @ params["W_hh"]
    return {**grads, "xs": d_xs, "h0": d_h}
