"""Checks of the GRU exercise (ex04): one step in both conventions, and the loop.

r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))    reset_after=True (torch)
n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)    reset_after=False (Cho)
h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
"""

import numpy as np

from rnnlab import gru
from rnnlab.course.grading import _core, _probes, _recurrent, _sequence
from rnnlab.course.grading._probes import BIG, PROBE

LAYOUT = (
    "x (B, D) @ W_ih.T gives the three pre-activations side by side (B, 3H): W_ih has "
    "shape (3H, D) and W_hh (3H, H), with gate blocks of H rows in torch's order r, z, n."
)
CONVENTIONS = {
    True: "torch's convention, r_t ⊙ (W_hn h_{t-1} + b_hn)",
    False: "Cho et al.'s convention, W_hn (r_t ⊙ h_{t-1}) + b_hn",
}


def _shapes(D: int, H: int, options) -> dict[str, tuple[int, ...]]:
    return {"W_ih": (3 * H, D), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)}


def _cell(x, state, params, options):
    return (gru.cell(x, state[0], params, reset_after=options["reset_after"]),)


def _forward(xs, state0, params, options):
    h0 = None if state0 is None else state0[0]
    hs, h = gru.forward(xs, params, h0, reset_after=options["reset_after"])
    return hs, (h,)


def _block(params: dict, j: int) -> slice:
    H = params["W_hh"].shape[1]
    return slice(j * H, (j + 1) * H)


def _update_reversed(params: dict) -> dict:
    """z -> 1 - z: σ(-a) = 1 - σ(a), so negate every parameter's z block."""
    flipped = {k: v.copy() for k, v in params.items()}
    for v in flipped.values():
        v[_block(params, 1)] *= -1
    return flipped


def _b_hn_outside(params: dict) -> dict:
    """b_hn moved out of r ⊙ (...): added to b_in instead."""
    moved = {k: v.copy() for k, v in params.items()}
    n = _block(params, 2)
    moved["b_ih"][n] += moved["b_hh"][n]
    moved["b_hh"][n] = 0
    return moved


def _mutants(options) -> list[_recurrent.Mutant]:
    after = options["reset_after"]
    found = [
        (
            f"your n follows {CONVENTIONS[not after]}; reset_after={after} asks for "
            f"{CONVENTIONS[after]}",
            lambda x, s, p: (gru.cell(x, s[0], p, reset_after=not after),),
        ),
        (
            "you mix the other way round: h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1} "
            "(z close to 1 keeps the old state)",
            lambda x, s, p: (gru.cell(x, s[0], _update_reversed(p), reset_after=after),),
        ),
    ]
    if after:
        found.append(
            (
                "your b_hn is added outside r_t ⊙ (...): in torch's convention the reset "
                "gate multiplies W_hn h_{t-1} + b_hn, bias included",
                lambda x, s, p: (gru.cell(x, s[0], _b_hn_outside(p), reset_after=True),),
            )
        )
    return found


def _probe(student, options) -> str | None:
    """Read z, n and r off the output while the other gates are saturated:

    z: n = 1 (b_in = BIG), h_{t-1} = -1  ->  h_t = 1 - 2 z
    n: z = 0 (b_iz = -BIG)               ->  h_t = n
    r: z = 0, W_in = 0, and r's product gives tanh(r):
       torch: b_hn = 1, W_hn = 0  ->  n = tanh(r · 1);  Cho: W_hn = I, h_{t-1} = 1
    """
    x = np.zeros((1, 1))
    ones = np.ones_like(PROBE)
    after = options["reset_after"]
    probes = {
        "update gate z": ({"z": PROBE[0], "n": BIG}, -ones, lambda h: (1 - h) / 2, "sigmoid"),
        "candidate n": ({"z": -BIG, "n": PROBE[0]}, ones, lambda h: h, "tanh"),
        "reset gate r": ({"z": -BIG, "r": PROBE[0]}, ones, np.arctanh, "sigmoid"),
    }
    for gate, (biases, h, read, expected) in probes.items():
        params = _probes.probe_params(FAMILY, options, biases)
        if gate.startswith("reset"):
            n = _block(params, 2)
            if after:
                params["b_hh"][n] = 1.0
            else:
                params["W_hh"][n] = np.eye(PROBE.shape[1])
        got = student(x, (h,), params)
        if got is None:
            return None
        with np.errstate(all="ignore"):
            problem = _probes.activation_problem(gate, read(got[0]), expected)
        if problem:
            return problem
    return None


FAMILY = _recurrent.Family(
    name="GRU",
    gates="rzn",
    state=("h",),
    shapes=_shapes,
    cell=_cell,
    forward=_forward,
    hints={
        "W_ih": "check the input term W_ih x_t of r, z and n (x @ W_ih.T is (B, 3H))",
        "W_hh": "check the recurrent term: h @ W_hh.T for r and z; for n it is where the "
        "reset gate acts, which depends on reset_after",
        "b_ih": "check the input bias b_ih (3H,): it goes into every gate's pre-activation",
        "b_hh": "check the recurrent bias b_hh (3H,): its n block b_hn sits inside "
        "r ⊙ (...) when reset_after=True and outside when reset_after=False",
    },
    layout=LAYOUT,
    mutants=_mutants,
    probe=_probe,
    zero_hint="with W and b zero, r = z = σ(0) = 0.5 and n = tanh(0) = 0, so h_t = 0.5 h_{t-1}",
)


def check_gru_cell(fn, reset_after: bool = True, hidden: bool = False) -> None:
    """Check ``fn(x (B, D), h (B, H), params, reset_after=...) -> h (B, H)`` in the
    convention ``reset_after`` asks for."""
    __tracebackhide__ = True
    count = _recurrent.check_cell(fn, FAMILY, {"reset_after": reset_after}, hidden)
    _core.passed(_core.name_of(fn), count, hidden)


def check_gru_forward(fn, hidden: bool = False, cell=None) -> None:
    """Check ``fn(xs (T, B, D), params, h0=None, reset_after=True) -> (hs, h_T)`` in both
    conventions; with the student's ``cell``, the loop over time of a known mistake it makes
    is accepted too."""
    __tracebackhide__ = True
    count = sum(
        _sequence.check_forward(fn, FAMILY, {"reset_after": after}, hidden, cell)
        for after in (True, False)
    )
    _core.passed(_core.name_of(fn), count, hidden)
