"""Checks of the RNN exercise (ex01): one step, the loop over time, and BPTT.

h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
"""

import numpy as np

from rnnlab import rnn
from rnnlab.course.grading import _core, _probes, _recurrent, _sequence

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


def check_rnn_backward(fn, hidden: bool = False) -> None:
    """Check ``fn(xs, params, d_hs (T, B, H), h0=None) -> dict of gradients``.

    The dict holds the gradients of ``W_ih, W_hh, b_ih, b_hh, xs, h0``, each of the
    shape of what it is the gradient of.
    """
    __tracebackhide__ = True
    name = _core.name_of(fn)
    count = 0
    for case in _core.cases(hidden):
        xs, (h0,), params = _recurrent.inputs(case, FAMILY, {})
        d_hs = case.normal(np.random.default_rng(case.seed + 1000), case.T, case.B, case.H)
        for start in (h0, None):
            count += 1
            label = case.label() + (", h0=None" if start is None else "")
            expected = rnn.backward(xs, params, d_hs, start)
            got = _core.call(fn, name, xs, params, d_hs, start, layout=LAYOUT, case=label)
            if not isinstance(got, dict):
                _core.fail(name, f"your result is {_core.describe(got)}; expected a dict", label)
            missing = [key for key in GRADIENTS if key not in got]
            if missing:
                _core.fail(
                    name,
                    f"your dict has no gradient for {', '.join(missing)}; expected the keys "
                    "W_ih, W_hh, b_ih, b_hh, xs, h0",
                    label,
                )
            for key, (labels, hint) in GRADIENTS.items():
                problem = _core.compare(got[key], expected[key], f"gradient of {key}", labels)
                if problem:
                    diagnosis = None
                    if "differ" in problem:
                        diagnosis = _diagnose(got, key, xs, params, d_hs, start, hint)
                    _core.fail(name, problem, label, diagnosis)
    _core.passed(name, count, hidden)


def _diagnose(got: dict, key: str, xs, params, d_hs, h0, hint: str) -> str:
    T = len(xs)
    hs, _ = rnn.forward(xs, params, h0)
    starts = np.concatenate([np.zeros_like(hs[:1]) if h0 is None else h0[None], hs[:-1]])

    def truncated():
        """Each step's gradient on its own: nothing flows back from later steps."""
        steps = [rnn.backward(xs[t : t + 1], params, d_hs[t : t + 1], starts[t]) for t in range(T)]
        if key == "xs":
            return np.concatenate([step["xs"] for step in steps])
        if key == "h0":
            return steps[0]["h0"]
        return sum(step[key] for step in steps)

    def last_only():
        only_last = np.zeros_like(d_hs)
        only_last[-1] = d_hs[-1]
        return rnn.backward(xs, params, only_last, h0)[key]

    found = _core.first_match(
        got[key],
        [
            (
                "your gradients leave out what flows back from later steps: the gradient "
                "of h_t is d_hs[t] plus dA_{t+1} W_hh from step t + 1 (backpropagation "
                "*through time*)",
                truncated,
            ),
            (
                "you use only d_hs[T-1]: every step's output h_t has its gradient d_hs[t], "
                "added to what flows back from step t + 1",
                last_only,
            ),
        ],
    )
    if found:
        return found
    advice = f"{hint}; {D_A}"
    if key.startswith("b_"):
        return f"the sum of dA_t is already off, so check dA_t itself: {D_A}"
    return advice
