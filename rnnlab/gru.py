"""The gated recurrent unit, in both conventions (chapter 4).

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   reset_after=True (torch, cuDNN)
    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)   reset_after=False (Cho et al. 2014)
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Gate blocks in torch's order r, z, n: W_ih (3H, D), W_hh (3H, H), b_ih and b_hh (3H,).
The two conventions differ only in where the reset gate acts, and give different numbers.
The names follow the book's notation page; ``u_t = W_ih x_t + b_ih`` is the input's part of
every gate, computed for every step at once, and ``u_r, u_z, u_n`` are its three blocks.
"""

from typing import NamedTuple

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import d_sigmoid, d_tanh, sigmoid, tanh

Params = dict[str, np.ndarray]


class Step(NamedTuple):
    """What one step computes: the new state and the three gates, each (B, H)."""

    h_t: np.ndarray
    r_t: np.ndarray
    z_t: np.ndarray
    n_t: np.ndarray


def _prepare(x: np.ndarray, params, h, name: str) -> tuple[Params, np.ndarray]:
    """Check the parameters and the state against an input ``(..., B, D)``; cast both."""
    p = _validate.recurrent_params(params, 3, x.shape[-1], x.dtype, "GRU")
    return p, _validate.state(h, name, x.shape[-2], p["W_hh"].shape[1], x.dtype)


def _blocks(p: Params) -> tuple[np.ndarray, ...]:
    """``W_hr, W_hz, W_hn`` (H, H) and ``b_hr, b_hz, b_hn`` (H,): the blocks of W_hh, b_hh."""
    return (*p["W_hh"].reshape(3, -1, p["W_hh"].shape[1]), *_unroll.blocks(p["b_hh"], 3))


def step(u_t: np.ndarray, h_prev: np.ndarray, p: Params, reset_after: bool = True) -> Step:
    """One step: ``u_t = W_ih x_t + b_ih`` (B, 3H) and ``h_prev`` (B, H)."""
    u_r, u_z, u_n = _unroll.blocks(u_t, 3)
    W_hr, W_hz, W_hn, b_hr, b_hz, b_hn = _blocks(p)
    r_t = sigmoid(u_r + h_prev @ W_hr.T + b_hr)
    z_t = sigmoid(u_z + h_prev @ W_hz.T + b_hz)
    if reset_after:
        n_t = tanh(u_n + r_t * (h_prev @ W_hn.T + b_hn))
    else:
        n_t = tanh(u_n + (r_t * h_prev) @ W_hn.T + b_hn)
    h_t = (1 - z_t) * n_t + z_t * h_prev
    return Step(h_t, r_t, z_t, n_t)


def cell(x, h, params: Params, reset_after: bool = True) -> np.ndarray:
    """One time step: ``x (B, D)``, ``h (B, H)`` -> the next ``h (B, H)``."""
    x = _validate.step_input(x)
    p, h = _prepare(x, params, h, "h")
    return step(x @ p["W_ih"].T + p["b_ih"], h, p, reset_after).h_t


def _run(xs: np.ndarray, p: Params, h_t: np.ndarray, reset_after: bool) -> list[Step]:
    """Every step of the sequence ``xs (T, B, D)``, in order."""
    steps = []
    for u_t in _unroll.input_projection(xs, p["W_ih"], p["b_ih"]):  # (B, 3H) each
        steps.append(step(u_t, h_t, p, reset_after))
        h_t = steps[-1].h_t
    return steps


def forward(xs, params: Params, h0=None, reset_after: bool = True):
    """Run ``xs (T, B, D)``; returns ``hs (T, B, H)`` and ``h_T (B, H)``."""
    xs = _validate.sequence(xs)
    p, h0 = _prepare(xs, params, h0, "h0")
    steps = _run(xs, p, h0, reset_after)
    return np.stack([s.h_t for s in steps]), steps[-1].h_t


def step_backward(s: Step, h_prev, d_h, p: Params, reset_after: bool):
    """Back through one step: ``d_h`` = ∂L/∂h_t (B, H) gives δ_t, the gradient of the
    pre-activations ``(δ_r, δ_z, δ_n)`` (B, 3H); ε_t, that of the recurrent products
    ``W_hr h, W_hz h`` and of ``W_hn h`` (or ``W_hn (r ⊙ h)``) (B, 3H); and ∂L/∂h_{t-1}."""
    W_hr, W_hz, W_hn, _, _, b_hn = _blocks(p)
    delta_n = d_h * (1 - s.z_t) * d_tanh(s.n_t)
    delta_z = d_h * (h_prev - s.n_t) * d_sigmoid(s.z_t)
    if reset_after:
        delta_r = delta_n * (h_prev @ W_hn.T + b_hn) * d_sigmoid(s.r_t)
        epsilon_n = delta_n * s.r_t
        d_h_prev = epsilon_n @ W_hn
    else:
        d_rh = delta_n @ W_hn  # ∂L/∂(r_t ⊙ h_{t-1})
        delta_r = d_rh * h_prev * d_sigmoid(s.r_t)
        epsilon_n = delta_n
        d_h_prev = d_rh * s.r_t
    d_h_prev = d_h_prev + d_h * s.z_t + delta_r @ W_hr + delta_z @ W_hz
    delta = np.concatenate([delta_r, delta_z, delta_n], axis=1)
    return delta, np.concatenate([delta_r, delta_z, epsilon_n], axis=1), d_h_prev


def backward(xs, params: Params, d_hs, h0=None, reset_after: bool = True) -> dict:
    """Backpropagation through time.

    ``d_hs (T, B, H)`` is the gradient of the loss with respect to every output ``h_t``.
    Returns the gradients of ``W_ih, W_hh, b_ih, b_hh`` and of ``xs`` and ``h0``.
    """
    xs = _validate.sequence(xs)
    p, h0 = _prepare(xs, params, h0, "h0")
    steps = _run(xs, p, h0, reset_after)
    d_hs = _validate.gradient(d_hs, "d_hs", (len(xs), *h0.shape), xs.dtype)
    h_prevs = [h0, *(s.h_t for s in steps[:-1])]
    deltas, epsilons = np.empty((2, len(xs), h0.shape[0], 3 * h0.shape[1]), dtype=xs.dtype)
    d_h = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        deltas[t], epsilons[t], d_h = step_backward(
            steps[t], h_prevs[t], d_hs[t] + d_h, p, reset_after
        )
    n_inputs = h_prevs if reset_after else [s.r_t * h for s, h in zip(steps, h_prevs, strict=True)]
    grads = _unroll.input_gradients(deltas, xs, p["W_ih"])
    return {
        **grads,
        **_recurrent_gradients(epsilons, np.stack(h_prevs), np.stack(n_inputs)),
        "h0": d_h,
    }


def _recurrent_gradients(epsilons, h_prevs, n_inputs) -> dict[str, np.ndarray]:
    """∂L/∂W_hh and ∂L/∂b_hh from ε_t (T, B, 3H): W_hr and W_hz multiplied h_{t-1}, W_hn
    multiplied ``n_inputs``, h_{t-1} (torch) or r_t ⊙ h_{t-1} (Cho)."""
    H = h_prevs.shape[-1]
    rz = _unroll.recurrent_gradients(epsilons[..., : 2 * H], h_prevs)
    n = _unroll.recurrent_gradients(epsilons[..., 2 * H :], n_inputs)
    return {key: np.concatenate([rz[key], n[key]]) for key in ("W_hh", "b_hh")}
