"""LSTM variants: peepholes, the coupled input-forget gate, and Greff et al.'s eight.

Greff et al. (2017, "LSTM: A Search Space Odyssey") start from a *vanilla* LSTM with
peepholes and change one thing at a time:

    i_t = σ(W_i x_t + R_i h_{t-1} + p_i ⊙ c_{t-1} + b_i)
    f_t = σ(W_f x_t + R_f h_{t-1} + p_f ⊙ c_{t-1} + b_f)
    g_t = tanh(W_g x_t + R_g h_{t-1} + b_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(W_o x_t + R_o h_{t-1} + p_o ⊙ c_t + b_o)      (o looks at the *new* cell)
    h_t = o_t ⊙ tanh(c_t)

    NIG  no input gate (i = 1)          NFG  no forget gate (f = 1)
    NOG  no output gate (o = 1)         NIAF no input activation (g = W_g x + ... linear)
    NOAF no output activation (h = o ⊙ c)   NP   no peepholes (= torch.nn.LSTM)
    CIFG coupled input and forget gate (f = 1 - i)
    FGR  full gate recurrence: i, f, o also see all three gates of step t-1

Every variant reads the LSTM's parameters in torch's layout (W_ih (4H, D), W_hh (4H, H),
b_ih, b_hh (4H,), blocks i, f, g, o), so one set of parameters runs under each of them;
a gate that a variant drops ignores its rows. Peepholes add ``p_i, p_f, p_o (H,)`` for
the gates that have one, and FGR adds ``W_gg (3H, 3H)``: rows (i, f, o) at step t,
columns (i, f, o) at step t-1. FGR's state is ``(h, c, a)`` with ``a (B, 3H)`` the
previous gates (zeros at the start); every other variant's state is ``(h, c)``.
"""

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import identity, sigmoid, tanh

# The description of each variant lives apart from the model (see variant_spec); it is
# part of this module's interface too.
from rnnlab.variant_spec import GATES as GATES
from rnnlab.variant_spec import VARIANTS as VARIANTS
from rnnlab.variant_spec import Variant, parameter_shapes, spec

Params = dict[str, np.ndarray]


def _prepare(x: np.ndarray, params, state, variant: Variant, name: str):
    """Check ``params`` and ``state`` against an input ``(..., B, D)``; returns both cast."""
    H = _validate.hidden_size(params, 4, f"{variant.name} LSTM")
    shapes = parameter_shapes(variant, x.shape[-1], H)
    labels = {
        "W_ih": ("4·H", "D"),
        "W_hh": ("4·H", "H"),
        "b_ih": ("4·H",),
        "b_hh": ("4·H",),
        "W_gg": ("3·H", "3·H"),
    }
    dims = {k: tuple(zip(labels.get(k, ("H",)), s, strict=True)) for k, s in shapes.items()}
    p = _validate.parameters(params, dims, x.dtype, f"{variant.name} LSTM")
    sizes = (("H", H), ("H", H), ("3·H", 3 * H))[: variant.state_size]
    return p, _validate.states(
        state, name, "hca"[: variant.state_size], sizes, x.shape[-2], x.dtype, required=2
    )


def _step(u: np.ndarray, state: tuple, p: Params, v: Variant) -> tuple:
    """One step from ``u = W_ih x_t + b_ih + b_hh (B, 4H)``; returns the next state."""
    h, c = state[:2]
    z = u + h @ p["W_hh"].T  # (B, 4H)
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    if v.gate_recurrence:  # the previous gates feed i, f and o
        ri, rf, ro = np.split(state[2] @ p["W_gg"].T, 3, axis=1)
        zi, zf, zo = zi + ri, zf + rf, zo + ro
    one = np.ones_like(c)
    i = sigmoid(zi + _peep(p, v, "i", c)) if v.input_gate else one
    f = 1 - i if v.coupled else sigmoid(zf + _peep(p, v, "f", c)) if v.forget_gate else one
    g = tanh(zg) if v.input_activation else identity(zg)
    c = f * c + i * g
    o = sigmoid(zo + _peep(p, v, "o", c)) if v.output_gate else one
    h = o * (tanh(c) if v.output_activation else identity(c))
    return (h, c, np.concatenate([i, f, o], axis=1)) if v.gate_recurrence else (h, c)


def _peep(p: Params, v: Variant, gate: str, c: np.ndarray) -> np.ndarray | float:
    """The peephole term ``p_gate ⊙ c`` (B, H), or 0 when that gate has none."""
    return p[f"p_{gate}"] * c if gate in v.peepholes else 0.0


def cell(
    x, state, params: Params, variant: str | Variant = "peephole", peepholes: str | None = None
) -> tuple:
    """One time step: ``x (B, D)``, ``state = (h, c)`` (FGR: ``(h, c, a)``) -> next state."""
    v = spec(variant, peepholes)
    x = _validate.step_input(x)
    p, state = _prepare(x, params, state, v, "state")
    return _step(x @ p["W_ih"].T + p["b_ih"] + p["b_hh"], state, p, v)


def forward(
    xs,
    params: Params,
    state0=None,
    variant: str | Variant = "peephole",
    peepholes: str | None = None,
) -> tuple[np.ndarray, tuple]:
    """Run ``xs (T, B, D)``; returns ``hs (T, B, H)`` and the final state."""
    v = spec(variant, peepholes)
    xs = _validate.sequence(xs)
    p, state = _prepare(xs, params, state0, v, "state0")
    U = _unroll.input_projection(
        xs, p["W_ih"], p["b_ih"] + p["b_hh"]
    )  # (T, B, 4H), all steps at once
    hs = np.empty(xs.shape[:2] + state[0].shape[1:], dtype=xs.dtype)
    for t in range(len(xs)):
        state = _step(U[t], state, p, v)
        hs[t] = state[0]
    return hs, state
