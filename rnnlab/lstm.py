"""The long short-term memory network, as ``torch.nn.LSTM`` computes it (chapter 2).

    i_t = σ(a^i_t),  f_t = σ(a^f_t),  g_t = tanh(a^g_t),  o_t = σ(a^o_t)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

where the four pre-activations are the blocks of ``a_t = W_ih x_t + b_ih + W_hh h_{t-1} +
b_hh`` (B, 4H), stacked in torch's order i, f, g, o: W_ih (4H, D), W_hh (4H, H), b_ih and
b_hh (4H,). States h_t and c_t are (B, H). The names follow the book's notation page;
``u_t = W_ih x_t + b_ih`` is the input's part of a_t, computed for every step at once.
"""

from typing import NamedTuple

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import d_sigmoid, d_tanh, sigmoid, tanh

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, np.ndarray]


class Step(NamedTuple):
    """What one step computes: the new state and the four gates, each (B, H)."""

    h_t: np.ndarray
    c_t: np.ndarray
    i_t: np.ndarray
    f_t: np.ndarray
    g_t: np.ndarray
    o_t: np.ndarray


def _prepare(x: np.ndarray, params, state, name: str) -> tuple[Params, np.ndarray, np.ndarray]:
    """Check the parameters and the state ``(h, c)`` against an input ``(..., B, D)``."""
    p = _validate.recurrent_params(params, 4, x.shape[-1], x.dtype, "LSTM")
    H = p["W_hh"].shape[1]
    return p, *_validate.states(state, name, "hc", (("H", H), ("H", H)), x.shape[-2], x.dtype)


def step(u_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, p: Params) -> Step:
    """One step: ``u_t = W_ih x_t + b_ih`` (B, 4H), ``h_prev`` and ``c_prev`` (B, H)."""
    a_t = u_t + h_prev @ p["W_hh"].T + p["b_hh"]  # (B, 4H)
    a_i, a_f, a_g, a_o = _unroll.blocks(a_t, 4)  # torch's order: i, f, g, o
    i_t = sigmoid(a_i)
    f_t = sigmoid(a_f)
    g_t = tanh(a_g)
    o_t = sigmoid(a_o)
    c_t = f_t * c_prev + i_t * g_t
    h_t = o_t * tanh(c_t)
    return Step(h_t, c_t, i_t, f_t, g_t, o_t)


def cell(x, state: State, params: Params) -> State:
    """One time step: ``x (B, D)``, ``state = (h, c)`` each (B, H) -> the next ``(h, c)``."""
    x = _validate.step_input(x)
    p, h, c = _prepare(x, params, state, "state")
    return step(x @ p["W_ih"].T + p["b_ih"], h, c, p)[:2]


def _run(xs: np.ndarray, p: Params, h_t: np.ndarray, c_t: np.ndarray) -> list[Step]:
    """Every step of the sequence ``xs (T, B, D)``, in order."""
    steps = []
    for u_t in _unroll.input_projection(xs, p["W_ih"], p["b_ih"]):  # (B, 4H) each
        steps.append(step(u_t, h_t, c_t, p))
        h_t, c_t = steps[-1][:2]
    return steps


def forward(xs, params: Params, state0: State | None = None):
    """Run ``xs (T, B, D)``; returns ``hs (T, B, H)`` and the final ``(h_T, c_T)``."""
    xs = _validate.sequence(xs)
    p, h_t, c_t = _prepare(xs, params, state0, "state0")
    us = _unroll.input_projection(xs, p["W_ih"], p["b_ih"])  # (T, B, 4H): every u_t
    hs = np.empty(xs.shape[:2] + h_t.shape[1:], dtype=xs.dtype)  # (T, B, H)
    for t, u_t in enumerate(us):
        h_t, c_t, *_ = step(u_t, h_t, c_t, p)
        hs[t] = h_t
    return hs, (h_t, c_t)


def step_backward(s: Step, c_prev: np.ndarray, d_h: np.ndarray, d_c: np.ndarray):
    """Back through one step: ``d_h`` and ``d_c``, ∂L/∂h_t and ∂L/∂c_t (B, H), give
    δ_t = ∂L/∂a_t (B, 4H), blocks i, f, g, o, and ∂L/∂c_{t-1} (through the cell only)."""
    d_c = d_c + d_h * s.o_t * d_tanh(tanh(s.c_t))
    delta_i = d_c * s.g_t * d_sigmoid(s.i_t)
    delta_f = d_c * c_prev * d_sigmoid(s.f_t)
    delta_g = d_c * s.i_t * d_tanh(s.g_t)
    delta_o = d_h * tanh(s.c_t) * d_sigmoid(s.o_t)
    delta = np.concatenate([delta_i, delta_f, delta_g, delta_o], axis=1)
    return delta, d_c * s.f_t


def backward(xs, params: Params, d_hs, state0: State | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time.

    ``d_hs (T, B, H)`` is the gradient of the loss with respect to every output ``h_t``.
    Returns the gradients of ``W_ih, W_hh, b_ih, b_hh`` and of ``xs``, ``h0`` and ``c0``.
    """
    xs = _validate.sequence(xs)
    p, h0, c0 = _prepare(xs, params, state0, "state0")
    steps = _run(xs, p, h0, c0)
    d_hs = _validate.gradient(d_hs, "d_hs", (len(xs), *h0.shape), xs.dtype)
    c_prevs = [c0, *(s.c_t for s in steps[:-1])]
    deltas = np.empty((len(xs), *h0.shape[:1], 4 * h0.shape[1]), dtype=xs.dtype)
    d_h, d_c = np.zeros_like(h0), np.zeros_like(c0)  # through step t + 1
    for t in reversed(range(len(xs))):
        deltas[t], d_c = step_backward(steps[t], c_prevs[t], d_hs[t] + d_h, d_c)
        d_h = deltas[t] @ p["W_hh"]
    h_prevs = np.stack([h0, *(s.h_t for s in steps[:-1])])
    grads = _unroll.input_gradients(deltas, xs, p["W_ih"])
    return {**grads, **_unroll.recurrent_gradients(deltas, h_prevs), "h0": d_h, "c0": d_c}
