"""The plain (Elman) recurrent network, as ``torch.nn.RNN`` computes it (chapter 1).

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = tanh(a_t)

Shapes: x_t (B, D), h_t (B, H), W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,).
``nonlinearity="relu"`` replaces tanh by max(·, 0), as torch allows. The names follow the
book's notation page: ``u_t`` is the input's part of the pre-activation, W_ih x_t + b_ih,
which does not depend on the state, so ``forward`` computes it for every step at once.
"""

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import NONLINEARITIES, tanh

Params = dict[str, np.ndarray]


def _activation(nonlinearity: str):
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"nonlinearity must be one of {sorted(NONLINEARITIES)}, got {nonlinearity!r}"
        )
    return NONLINEARITIES[nonlinearity]


def _prepare(x: np.ndarray, params, h, h_name: str) -> tuple[Params, np.ndarray]:
    """Check the parameters and the state against an input ``(..., B, D)``; cast both."""
    p = _validate.recurrent_params(params, 1, x.shape[-1], x.dtype, "RNN")
    return p, _validate.state(h, h_name, x.shape[-2], p["W_hh"].shape[1], x.dtype)


def step(u_t: np.ndarray, h_prev: np.ndarray, p: Params, phi=tanh) -> np.ndarray:
    """One step: ``u_t = W_ih x_t + b_ih`` (B, H) and ``h_prev`` (B, H) -> ``h_t`` (B, H)."""
    a_t = u_t + h_prev @ p["W_hh"].T + p["b_hh"]
    h_t = phi(a_t)
    return h_t


def cell(x, h, params: Params, nonlinearity: str = "tanh") -> np.ndarray:
    """One time step: ``x (B, D)``, ``h (B, H)`` -> the next ``h (B, H)``."""
    phi, _ = _activation(nonlinearity)
    x = _validate.step_input(x)
    p, h = _prepare(x, params, h, "h")
    return step(x @ p["W_ih"].T + p["b_ih"], h, p, phi)


def forward(
    xs, params: Params, h0=None, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, np.ndarray]:
    """Run the whole sequence ``xs (T, B, D)``; returns ``hs (T, B, H)`` and ``h_T (B, H)``."""
    phi, _ = _activation(nonlinearity)
    xs = _validate.sequence(xs)
    p, h_t = _prepare(xs, params, h0, "h0")
    us = _unroll.input_projection(xs, p["W_ih"], p["b_ih"])  # (T, B, H): every u_t
    hs = np.empty_like(us)
    for t, u_t in enumerate(us):
        h_t = hs[t] = step(u_t, h_t, p, phi)
    return hs, h_t


def backward(
    xs, params: Params, d_hs, h0=None, nonlinearity: str = "tanh"
) -> dict[str, np.ndarray]:
    """Backpropagation through time (chapter 1).

    ``d_hs (T, B, H)`` is the gradient of the loss with respect to every output ``h_t``.
    Returns the gradients of ``W_ih, W_hh, b_ih, b_hh`` and of ``xs`` and ``h0``.
    """
    _, phi_prime = _activation(nonlinearity)
    xs = _validate.sequence(xs)
    p, h0 = _prepare(xs, params, h0, "h0")
    hs, _ = forward(xs, p, h0, nonlinearity)
    d_hs = _validate.gradient(d_hs, "d_hs", hs.shape, xs.dtype)
    deltas = np.empty_like(hs)  # (T, B, H): δ_t = ∂L/∂a_t
    d_h = np.zeros_like(h0)  # ∂L/∂h_t through step t + 1
    for t in reversed(range(len(xs))):
        delta = deltas[t] = (d_hs[t] + d_h) * phi_prime(hs[t])
        d_h = delta @ p["W_hh"]
    return {
        **_unroll.input_gradients(deltas, xs, p["W_ih"]),
        **_unroll.recurrent_gradients(deltas, _unroll.previous_states(h0, hs)),
        "h0": d_h,
    }
