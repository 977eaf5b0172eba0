"""The long short-term memory network, as ``torch.nn.LSTM`` computes it.

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate (block input)
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

The four gate blocks are stacked in torch's order i, f, g, o: W_ih (4H, D),
W_hh (4H, H), b_ih and b_hh (4H,). States h_t and c_t are (B, H).
"""

import numpy as np

from rnnlab import _unroll, _validate
from rnnlab.activations import d_sigmoid, d_tanh, sigmoid, tanh

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, np.ndarray]


def _prepare(x: np.ndarray, params, state, name: str) -> tuple[Params, np.ndarray, np.ndarray]:
    """Check the parameters and the state ``(h, c)`` against an input ``(..., B, D)``."""
    p = _validate.recurrent_params(params, 4, x.shape[-1], x.dtype, "LSTM")
    H = p["W_hh"].shape[1]
    return p, *_validate.states(state, name, "hc", (("H", H), ("H", H)), x.shape[-2], x.dtype)


def _step(u: np.ndarray, h: np.ndarray, c: np.ndarray, W_hh: np.ndarray):
    """One step from ``u = W_ih x_t + b_ih + b_hh (B, 4H)``; returns h, c and the gates."""
    H = h.shape[1]
    z = u + h @ W_hh.T  # (B, 4H): the four pre-activations side by side
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H : 2 * H])
    g = tanh(z[:, 2 * H : 3 * H])
    o = sigmoid(z[:, 3 * H :])
    c = f * c + i * g
    h = o * tanh(c)
    return h, c, (i, f, g, o)


def cell(x, state: State, params: Params) -> State:
    """One time step: ``x (B, D)``, ``state = (h, c)`` each (B, H) -> the next ``(h, c)``."""
    x = _validate.step_input(x)
    p, h, c = _prepare(x, params, state, "state")
    h, c, _ = _step(x @ p["W_ih"].T + p["b_ih"] + p["b_hh"], h, c, p["W_hh"])
    return h, c


def _run(xs: np.ndarray, p: Params, h: np.ndarray, c: np.ndarray, record: bool):
    """The loop over time; with ``record`` also every c_t and the gates (T, B, 4H)."""
    U = _unroll.input_projection(
        xs, p["W_ih"], p["b_ih"] + p["b_hh"]
    )  # (T, B, 4H), all steps at once
    hs = np.empty(xs.shape[:2] + h.shape[1:], dtype=xs.dtype)  # (T, B, H)
    cs = np.empty_like(hs) if record else None
    gates = np.empty_like(U) if record else None
    for t in range(len(xs)):
        h, c, igfo = _step(U[t], h, c, p["W_hh"])
        hs[t] = h
        if record:
            cs[t] = c
            gates[t] = np.concatenate(igfo, axis=1)
    return hs, (h, c), cs, gates


def forward(xs, params: Params, state0: State | None = None):
    """Run ``xs (T, B, D)``; returns ``hs (T, B, H)`` and the final ``(h_T, c_T)``."""
    xs = _validate.sequence(xs)
    p, h, c = _prepare(xs, params, state0, "state0")
    hs, final, _, _ = _run(xs, p, h, c, record=False)
    return hs, final


def backward(xs, params: Params, d_hs, state0: State | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time.

    ``d_hs (T, B, H)`` is the gradient of the loss with respect to every output ``h_t``.
    Returns the gradients of ``W_ih, W_hh, b_ih, b_hh`` and of ``xs``, ``h0`` and ``c0``.
    """
    xs = _validate.sequence(xs)
    p, h0, c0 = _prepare(xs, params, state0, "state0")
    hs, _, cs, gates = _run(xs, p, h0, c0, record=True)
    d_hs = _validate.gradient(d_hs, "d_hs", hs.shape, xs.dtype)
    c_prev = _unroll.previous_states(c0, cs)
    dZ = np.empty_like(gates)  # (T, B, 4H): gradient of the four pre-activations
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)  # flowing back from step t + 1
    for t in reversed(range(len(xs))):
        i, f, g, o = np.split(gates[t], 4, axis=1)
        dh = d_hs[t] + dh
        tanh_c = tanh(cs[t])
        dc = dc + dh * o * d_tanh(tanh_c)
        dZ[t] = np.concatenate(
            [
                dc * g * d_sigmoid(i),
                dc * c_prev[t] * d_sigmoid(f),
                dc * i * d_tanh(g),
                dh * tanh_c * d_sigmoid(o),
            ],
            axis=1,
        )
        dh, dc = dZ[t] @ p["W_hh"], dc * f
    grads = {
        **_unroll.input_gradients(dZ, xs, p["W_ih"]),
        **_unroll.recurrent_gradients(dZ, _unroll.previous_states(h0, hs)),
    }
    return {**grads, "h0": dh, "c0": dc}
