"""Reading a gate's activation off a cell's output.

A probe sets every parameter to zero except the biases, so that each gate's
pre-activation is a known number: the gate being read gets the values ``PROBE``, the
others ``BIG`` (σ(BIG) = tanh(BIG) = 1, so they are 1 whatever activation the student
used). The output then shows the gate's value, which is compared with the usual
activations to say "your forget gate looks like it uses tanh instead of sigmoid".
"""

import numpy as np

ACTIVATIONS = {
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "tanh": np.tanh,
    "no activation at all": lambda a: a,
    "relu": lambda a: np.maximum(a, 0),
}
PROBE = np.array([[-1.5, 0.5]])  # (B, H) = (1, 2): pre-activations a gate is read at
BIG = 30.0  # saturates sigmoid and tanh alike: σ(30) = tanh(30) = 1 to 1e-13


def probe_params(family, options: dict, biases: dict[str, np.ndarray]) -> dict:
    """Parameters for D = 1, H = 2, all zero except the bias blocks given per gate."""
    H = PROBE.shape[1]
    params = {k: np.zeros(s) for k, s in family.shapes(1, H, options).items()}
    for gate, value in biases.items():
        j = family.gates.index(gate)
        params["b_ih"][j * H : (j + 1) * H] = value
    return params


def activation_problem(gate: str, read: np.ndarray | None, expected: str) -> str | None:
    """What the student's ``gate``, read at the pre-activations ``PROBE``, looks like.

    None when it is the expected activation or matches none of the usual ones.
    """
    if read is None or not np.all(np.isfinite(read)):
        return None
    for name, activation in ACTIVATIONS.items():
        if np.allclose(read, activation(PROBE), atol=1e-6):
            if name == expected:
                return None
            return f"your {gate} looks like it uses {name} instead of {expected}"
    return None
