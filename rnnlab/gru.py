"""The gated recurrent unit, in both conventions.

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   reset_after=True (torch, cuDNN)
    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)   reset_after=False (Cho et al. 2014)
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Gate blocks in torch's order r, z, n: W_ih (3H, D), W_hh (3H, H), b_ih and b_hh (3H,).
The two conventions differ only in where the reset gate acts, and give different numbers.
"""

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import d_sigmoid, d_tanh, sigmoid, tanh

Params = dict[str, np.ndarray]


def _prepare(x: np.ndarray, params, h, name: str) -> tuple[Params, np.ndarray]:
    """Check the parameters and the state against an input ``(..., B, D)``; cast both."""
    p = _validate.recurrent_params(params, 3, x.shape[-1], x.dtype, "GRU")
    return p, _validate.state(h, name, x.shape[-2], p["W_hh"].shape[1], x.dtype)


def _step(u: np.ndarray, h: np.ndarray, p: Params, reset_after: bool):
    """One step from ``u = W_ih x_t + b_ih (B, 3H)``; returns h and (r, z, n, m), where
    m is what the reset gate multiplied: ``W_hn h + b_hn``, or ``h`` itself (Cho)."""
    H = h.shape[1]
    W_hrz, W_hn = p["W_hh"][: 2 * H], p["W_hh"][2 * H :]
    b_hrz, b_hn = p["b_hh"][: 2 * H], p["b_hh"][2 * H :]
    rz = sigmoid(u[:, : 2 * H] + h @ W_hrz.T + b_hrz)  # (B, 2H)
    r, z = rz[:, :H], rz[:, H:]
    if reset_after:
        m = h @ W_hn.T + b_hn  # (B, H)
        n = tanh(u[:, 2 * H :] + r * m)
    else:
        m = h
        n = tanh(u[:, 2 * H :] + (r * h) @ W_hn.T + b_hn)
    h = (1 - z) * n + z * h
    return h, (r, z, n, m)


def cell(x, h, params: Params, reset_after: bool = True) -> np.ndarray:
    """One time step: ``x (B, D)``, ``h (B, H)`` -> the next ``h (B, H)``."""
    x = _validate.step_input(x)
    p, h = _prepare(x, params, h, "h")
    return _step(x @ p["W_ih"].T + p["b_ih"], h, p, reset_after)[0]


def _run(xs: np.ndarray, p: Params, h: np.ndarray, reset_after: bool, record: bool):
    """The loop over time; with ``record`` also every step's (r, z, n, m)."""
    U = _unroll.input_projection(xs, p["W_ih"], p["b_ih"])  # (T, B, 3H), all steps at once
    hs = np.empty(xs.shape[:2] + h.shape[1:], dtype=xs.dtype)  # (T, B, H)
    cache = []
    for t in range(len(xs)):
        h, rznm = _step(U[t], h, p, reset_after)
        hs[t] = h
        if record:
            cache.append(rznm)
    return hs, h, cache


def forward(xs, params: Params, h0=None, reset_after: bool = True):
    """Run ``xs (T, B, D)``; returns ``hs (T, B, H)`` and ``h_T (B, H)``."""
    xs = _validate.sequence(xs)
    p, h = _prepare(xs, params, h0, "h0")
    hs, h, _ = _run(xs, p, h, reset_after, record=False)
    return hs, h


def backward(xs, params: Params, d_hs, h0=None, reset_after: bool = True) -> dict:
    """Backpropagation through time.

    ``d_hs (T, B, H)`` is the gradient of the loss with respect to every output ``h_t``.
    Returns the gradients of ``W_ih, W_hh, b_ih, b_hh`` and of ``xs`` and ``h0``.
    """
    xs = _validate.sequence(xs)
    p, h0 = _prepare(xs, params, h0, "h0")
    hs, _, cache = _run(xs, p, h0, reset_after, record=True)
    d_hs = _validate.gradient(d_hs, "d_hs", hs.shape, xs.dtype)
    H = h0.shape[1]
    W_hrz, W_hn = p["W_hh"][: 2 * H], p["W_hh"][2 * H :]
    h_prev = _unroll.previous_states(h0, hs)
    dU = np.empty(xs.shape[:2] + (3 * H,), dtype=xs.dtype)  # gradient of W_ih x + b_ih
    dV = np.empty_like(dU)  # gradient of the recurrent product, per gate block
    m_all = np.empty_like(hs)  # what W_hn multiplied (Cho) or what r multiplied (torch)
    dh = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        r, z, n, m = cache[t]
        dh = d_hs[t] + dh
        dn = dh * (1 - z) * d_tanh(n)  # gradient of n's pre-activation
        dz = dh * (h_prev[t] - n) * d_sigmoid(z)
        if reset_after:
            dr = dn * m * d_sigmoid(r)
            dV[t, :, 2 * H :] = dn * r
            m_all[t] = h_prev[t]
        else:
            d_rh = dn @ W_hn  # gradient of r ⊙ h
            dr = d_rh * h_prev[t] * d_sigmoid(r)
            dV[t, :, 2 * H :] = dn
            m_all[t] = r * h_prev[t]
        dU[t] = np.concatenate([dr, dz, dn], axis=1)
        dV[t, :, : 2 * H] = dU[t, :, : 2 * H]
        dh = dh * z + dU[t, :, : 2 * H] @ W_hrz
        dh = dh + (dV[t, :, 2 * H :] @ W_hn if reset_after else d_rh * r)
    grads = _unroll.input_gradients(dU, xs, p["W_ih"])
    rz = _unroll.recurrent_gradients(dV[..., : 2 * H], h_prev)
    n_block = _unroll.recurrent_gradients(dV[..., 2 * H :], m_all)
    grads["W_hh"] = np.concatenate([rz["W_hh"], n_block["W_hh"]])
    grads["b_hh"] = np.concatenate([rz["b_hh"], n_block["b_hh"]])
    return {**grads, "h0": dh}
