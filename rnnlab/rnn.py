"""The plain (Elman) recurrent network, as ``torch.nn.RNN`` computes it.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Shapes: x_t (B, D), h_t (B, H), W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,).
``nonlinearity="relu"`` replaces tanh by max(·, 0), as torch allows.
"""

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import NONLINEARITIES

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


def _step(u: np.ndarray, h: np.ndarray, p: Params, act) -> np.ndarray:
    """One step from the precomputed input projection ``u = W_ih x_t + b_ih`` (B, H)."""
    return act(u + h @ p["W_hh"].T + p["b_hh"])  # (B, H)


def cell(x, h, params: Params, nonlinearity: str = "tanh") -> np.ndarray:
    """One time step: ``x (B, D)``, ``h (B, H)`` -> the next ``h (B, H)``."""
    act, _ = _activation(nonlinearity)
    x = _validate.step_input(x)
    p, h = _prepare(x, params, h, "h")
    return _step(x @ p["W_ih"].T + p["b_ih"], h, p, act)


def forward(
    xs, params: Params, h0=None, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, np.ndarray]:
    """Run the whole sequence ``xs (T, B, D)``; returns ``hs (T, B, H)`` and ``h_T (B, H)``."""
    act, _ = _activation(nonlinearity)
    xs = _validate.sequence(xs)
    p, h = _prepare(xs, params, h0, "h0")
    U = _unroll.input_projection(
        xs, p["W_ih"], p["b_ih"]
    )  # (T, B, H): every step's input projection at once
    hs = np.empty_like(U)
    for t in range(len(xs)):
        h = hs[t] = _step(U[t], h, p, act)
    return hs, h


def backward(
    xs, params: Params, d_hs, h0=None, nonlinearity: str = "tanh"
) -> dict[str, np.ndarray]:
    """Backpropagation through time.

    ``d_hs (T, B, H)`` is the gradient of the loss with respect to every output ``h_t``.
    Returns the gradients of ``W_ih, W_hh, b_ih, b_hh`` and of ``xs`` and ``h0``.
    """
    _, d_act = _activation(nonlinearity)
    xs = _validate.sequence(xs)
    p, h0 = _prepare(xs, params, h0, "h0")
    hs, _ = forward(xs, p, h0, nonlinearity)
    d_hs = _validate.gradient(d_hs, "d_hs", hs.shape, xs.dtype)
    dA = np.empty_like(hs)  # (T, B, H): gradient of each step's pre-activation
    dh = np.zeros_like(h0)  # gradient flowing back into h_t from step t + 1
    for t in reversed(range(len(xs))):
        dA[t] = (d_hs[t] + dh) * d_act(hs[t])
        dh = dA[t] @ p["W_hh"]
    return {
        **_unroll.input_gradients(dA, xs, p["W_ih"]),
        **_unroll.recurrent_gradients(dA, _unroll.previous_states(h0, hs)),
        "h0": dh,
    }
