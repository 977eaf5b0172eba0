"""Checks of the LSTM exercise (ex02): one step and the loop over time.

    i, f, o = σ(...), g = tanh(...),  c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)

Besides the shared diagnoses (gate order, biases, isolation), a wrong result is compared
with Greff et al.'s one-change variants computed by ``rnnlab.variants`` without peepholes
(no input gate, no forget gate, ...), and the probe reads each gate off the output.
"""

import numpy as np

from rnnlab import lstm, variants
from rnnlab.activations import sigmoid
from rnnlab.course.grading import _core, _probes, _recurrent, _sequence
from rnnlab.course.grading._probes import BIG, PROBE

LAYOUT = (
    "x (B, D) @ W_ih.T gives the four pre-activations side by side (B, 4H): W_ih has "
    "shape (4H, D) and W_hh (4H, H), with gate blocks of H rows in torch's order i, f, g, o."
)
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o"}
ONE_CHANGE = {  # Greff et al.'s variant -> what the student's result then lacks
    "NIG": "your c ignores the input gate: c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t",
    "NFG": "your c ignores the forget gate: c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t",
    "NOG": "your h ignores the output gate: h_t = o_t ⊙ tanh(c_t)",
    "NIAF": "your candidate g has no tanh: g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)",
    "NOAF": "your h has no tanh on the cell state: h_t = o_t ⊙ tanh(c_t)",
    "CIFG": "your forget gate is 1 - i (the coupled variant): in the LSTM f_t = σ(...) "
    "has its own block of rows H:2H",
}
HINTS = {
    "W_ih": "check the input term W_ih x_t of the gates (x @ W_ih.T is (B, 4H): split it into "
    "the blocks i, f, g, o)",
    "W_hh": "check the recurrent term W_hh h_{t-1} of the gates (h @ W_hh.T is (B, 4H))",
    "b_ih": "check the input bias b_ih (4H,): it goes into every gate's pre-activation",
    "b_hh": "check the recurrent bias b_hh (4H,): torch adds it too, next to b_ih",
}
ZERO_HINT = (
    "with W and b zero every pre-activation is 0, so i = f = o = σ(0) = 0.5 and "
    "g = tanh(0) = 0: c_t = 0.5 c_{t-1} and h_t = 0.5 tanh(c_t)"
)


def _shapes(D: int, H: int, options) -> dict[str, tuple[int, ...]]:
    return {"W_ih": (4 * H, D), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}


def _forward(xs, state0, params, options):
    hs, (h, c) = lstm.forward(xs, params, state0)
    return hs, (h, c)


def _mutants(options) -> list[_recurrent.Mutant]:
    found = [
        (
            message,
            lambda x, s, p, v=name: variants.cell(x, s, p, variant=v, peepholes=""),
        )
        for name, message in ONE_CHANGE.items()
    ]
    found += [
        (
            f"your {GATE_NAMES[gate]} looks like it uses {other} instead of {usual}",
            _on_the_other_activation(gate),
        )
        for gate, usual, other in (("i", *SIGMOID), ("f", *SIGMOID), ("g", *TANH), ("o", *SIGMOID))
    ]
    return found + state_order_mutants(lambda x, s, p: lstm.cell(x, s, p))


SIGMOID, TANH = ("sigmoid", "tanh"), ("tanh", "sigmoid")  # (the gate's activation, the other)


def _on_the_other_activation(gate: str) -> _recurrent.Step:
    """The LSTM step with ``gate`` on the other activation (tanh for σ, σ for tanh): a
    mistake that can be computed, so that a forward looping over it can be checked."""

    def step(x, state, p):
        h_prev, c_prev = state
        a_t = x @ p["W_ih"].T + p["b_ih"] + h_prev @ p["W_hh"].T + p["b_hh"]  # (B, 4H)
        act = {name: np.tanh if name == "g" else sigmoid for name in "ifgo"}
        act[gate] = sigmoid if gate == "g" else np.tanh
        blocks = zip("ifgo", np.split(a_t, 4, axis=1), strict=True)  # each (B, H)
        i_t, f_t, g_t, o_t = (act[name](block) for name, block in blocks)
        c_t = f_t * c_prev + i_t * g_t
        return o_t * np.tanh(c_t), c_t

    return step


def state_order_mutants(cell) -> list[_recurrent.Mutant]:
    """The state ``(h, c)`` taken or returned the other way round."""
    return [
        (
            "you return (c, h): return the state as (h, c)",
            lambda x, s, p: tuple(cell(x, s, p))[::-1],
        ),
        (
            "you unpack the state as (c, h): it is (h, c)",
            lambda x, s, p: tuple(cell(x, s[::-1], p)),
        ),
    ]


def probe_gates(student, family: _recurrent.Family, options, gates: str = "igof") -> str | None:
    """Read each gate of a (peephole-free) LSTM step off its output, at pre-activations
    ``PROBE``, while the other gates are saturated at 1 (σ(BIG) = tanh(BIG) = 1):

    i: c_{t-1} = 0, g = o = 1        ->  c_t = i
    g: c_{t-1} = 0, i = o = 1        ->  c_t = g
    o: c_{t-1} = 0, i = g = 1        ->  h_t = o tanh(1)
    f: c_{t-1} = 1, i = g = o = 1    ->  c_t = f + 1
    """
    x, h = np.zeros((1, 1)), np.zeros_like(PROBE)
    for gate in gates:
        biases = {other: BIG for other in "igo" if other != gate}
        biases[gate] = PROBE[0]
        c = np.ones_like(PROBE) if gate == "f" else np.zeros_like(PROBE)
        got = student(x, (h, c), _probes.probe_params(family, options, biases))
        if got is None:
            return None
        read = {"i": got[1], "g": got[1], "o": got[0] / np.tanh(1.0), "f": got[1] - 1}[gate]
        expected = "tanh" if gate == "g" else "sigmoid"
        problem = _probes.activation_problem(GATE_NAMES[gate], read, expected)
        if problem:
            return problem
    return None


FAMILY = _recurrent.Family(
    name="LSTM",
    gates="ifgo",
    state=("h", "c"),
    shapes=_shapes,
    cell=lambda x, s, p, options: lstm.cell(x, s, p),
    forward=_forward,
    hints=HINTS,
    layout=LAYOUT,
    mutants=_mutants,
    probe=lambda student, options: probe_gates(student, FAMILY, options),
    zero_hint=ZERO_HINT,
)


def check_lstm_cell(fn, hidden: bool = False) -> None:
    """Check ``fn(x (B, D), (h, c) each (B, H), params) -> (h, c)``, one LSTM step."""
    __tracebackhide__ = True
    _core.passed(_core.name_of(fn), _recurrent.check_cell(fn, FAMILY, {}, hidden), hidden)


def check_lstm_forward(fn, hidden: bool = False, cell=None) -> None:
    """Check ``fn(xs (T, B, D), params, state0=None) -> (hs (T, B, H), (h_T, c_T))``;
    with the student's ``cell``, the loop over time of a known mistake it makes
    is accepted too."""
    __tracebackhide__ = True
    count = _sequence.check_forward(fn, FAMILY, {}, hidden, cell)
    _core.passed(_core.name_of(fn), count, hidden)
