"""LSTM variants: peepholes, the coupled input-forget gate, and Greff et al.'s eight (chapter 3).

Greff et al. (2017, "LSTM: A Search Space Odyssey") start from a *vanilla* LSTM with
peepholes and change one thing at a time. In the book's letters (Greff writes R_i for
W_hi, and one bias b_i for b_ii + b_hi), with a^i_t the block i of
a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh:

    i_t = σ(a^i_t + p_i ⊙ c_{t-1})
    f_t = σ(a^f_t + p_f ⊙ c_{t-1})
    g_t = tanh(a^g_t)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(a^o_t + p_o ⊙ c_t)      (o looks at the *new* cell)
    h_t = o_t ⊙ tanh(c_t)

    NIG  no input gate (i = 1)          NFG  no forget gate (f = 1)
    NOG  no output gate (o = 1)         NIAF no input activation (g_t = a^g_t)
    NOAF no output activation (h = o ⊙ c)   NP   no peepholes (= torch.nn.LSTM)
    CIFG coupled input and forget gate (f = 1 - i)
    FGR  full gate recurrence: i, f, o also see all three gates of step t-1

Every variant reads the LSTM's parameters in torch's layout (W_ih (4H, D), W_hh (4H, H),
b_ih, b_hh (4H,), blocks i, f, g, o), so one set of parameters runs under each of them;
a gate that a variant drops ignores its rows. Peepholes add ``p_i, p_f, p_o (H,)`` for
the gates that have one, and FGR adds ``W_gg (3H, 3H)``: rows (i, f, o) at step t,
columns (i, f, o) at step t-1. FGR's state is ``(h, c, γ)`` with ``γ (B, 3H)`` the
previous gates [i, f, o] (zeros at the start); every other variant's state is ``(h, c)``.
"""

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import sigmoid, tanh
from rnnlab.lstm import Step

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
        state, name, "hcγ"[: variant.state_size], sizes, x.shape[-2], x.dtype, required=2
    )


def step(u_t: np.ndarray, state: tuple, p: Params, v: Variant) -> Step:
    """One step of variant ``v``: ``u_t = W_ih x_t + b_ih`` (B, 4H) and the state
    ``(h_prev, c_prev)``, FGR's ``(h_prev, c_prev, γ_{t-1})``; the gates of a variant
    without them are ones."""
    h_prev, c_prev = state[:2]
    a_t = u_t + h_prev @ p["W_hh"].T + p["b_hh"]  # (B, 4H)
    a_i, a_f, a_g, a_o = _unroll.blocks(a_t, 4)
    if v.gate_recurrence:  # FGR: the previous gates γ_{t-1} = [i, f, o] feed i, f and o
        a_i, a_f, a_o = _plus_gate_recurrence((a_i, a_f, a_o), state[2], p)
    one = np.ones_like(c_prev)
    i_t = sigmoid(a_i + _peep(p, v, "i", c_prev)) if v.input_gate else one
    f_t = sigmoid(a_f + _peep(p, v, "f", c_prev)) if v.forget_gate else one
    f_t = 1 - i_t if v.coupled else f_t  # CIFG couples the forget gate to the input gate
    g_t = tanh(a_g) if v.input_activation else a_g
    c_t = f_t * c_prev + i_t * g_t
    o_t = sigmoid(a_o + _peep(p, v, "o", c_t)) if v.output_gate else one
    h_t = o_t * (tanh(c_t) if v.output_activation else c_t)
    return Step(h_t, c_t, i_t, f_t, g_t, o_t)


def next_state(s: Step, v: Variant) -> tuple:
    """The state the next step starts from: ``(h_t, c_t)``, for FGR with γ_t, the gates."""
    if v.gate_recurrence:
        return s.h_t, s.c_t, np.concatenate([s.i_t, s.f_t, s.o_t], axis=1)
    return s.h_t, s.c_t


def _plus_gate_recurrence(blocks: tuple, gamma: np.ndarray, p: Params) -> list[np.ndarray]:
    """FGR: the pre-activations of i, f and o (B, H) each, plus their parts of W_gg γ_{t-1}."""
    terms = _unroll.blocks(gamma @ p["W_gg"].T, 3)
    return [block + term for block, term in zip(blocks, terms, strict=True)]


def _peep(p: Params, v: Variant, gate: str, c: np.ndarray) -> np.ndarray | float:
    """The peephole term ``p_gate ⊙ c`` (B, H), or 0 when that gate has none."""
    return p[f"p_{gate}"] * c if gate in v.peepholes else 0.0


def cell(
    x, state, params: Params, variant: str | Variant = "peephole", peepholes: str | None = None
) -> tuple:
    """One time step: ``x (B, D)``, ``state = (h, c)`` (FGR: ``(h, c, γ)``) -> next state."""
    v = spec(variant, peepholes)
    x = _validate.step_input(x)
    p, state = _prepare(x, params, state, v, "state")
    return next_state(step(x @ p["W_ih"].T + p["b_ih"], state, p, v), v)


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
    us = _unroll.input_projection(xs, p["W_ih"], p["b_ih"])  # (T, B, 4H): every u_t
    hs = np.empty(xs.shape[:2] + state[0].shape[1:], dtype=xs.dtype)
    for t, u_t in enumerate(us):
        state = next_state(step(u_t, state, p, v), v)
        hs[t] = state[0]
    return hs, state
