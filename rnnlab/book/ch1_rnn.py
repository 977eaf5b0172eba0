"""Chapter 1's worked example: a two-step RNN by hand, its backward pass, and the
gradient norms of the vanishing/exploding plot.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,   h_t = tanh(a_t),   y_t = W_hy h_t + b_y

Sizes D = H = 2, K = 1 output, T = 2 steps, B = 1. The loss of the backward example is
the last output, L = y_T. Every number ``book/ch1_rnn.md`` cites comes from :func:`numbers`.
"""

from functools import cache

import numpy as np

from rnnlab import rnn
from rnnlab.book import bracketed, lm_numbers

Params = dict[str, np.ndarray]
SCALES = (0.5, 0.9, 1.0, 1.1, 1.5, 3.0)  # W_hh = s·Q in the gradient-norm plot
GRAD_T, GRAD_H, GRAD_K = 60, 32, 20  # steps, hidden size, distance the prose quotes
S_LOW, S_HIGH, S_BIG = 0.9, 1.1, 3.0


def params() -> Params:
    """The friendly RNN parameters, torch layout: W_ih (H, D), W_hh (H, H), b (H,)."""
    return {
        "W_ih": np.array([[1.0, 0.0], [0.5, -0.5]]),
        "W_hh": np.array([[0.5, 0.0], [-0.5, 1.0]]),
        "b_ih": np.array([0.0, 0.0]),
        "b_hh": np.array([0.0, -0.5]),
    }


def output_params() -> Params:
    """The output layer y_t = W_hy h_t + b_y: W_hy (K, H), b_y (K,)."""
    return {"W_hy": np.array([[1.0, -1.0]]), "b_y": np.array([0.0])}


def inputs() -> tuple[np.ndarray, np.ndarray]:
    """``xs (T, B, D) = (2, 1, 2)`` holding x_1 = [1, 0], x_2 = [0, 1], and ``h0 (1, 2)`` zeros."""
    return np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), np.zeros((1, 2))


def forward_steps() -> list[dict[str, np.ndarray]]:
    """Each step's intermediates (vectors for the single sequence of the batch):
    u = W_ih x + b_ih, v = W_hh h_prev + b_hh, a = u + v, which the chapter's table spells
    out, h = tanh(a) from ``rnnlab.rnn.step``, and y = W_hy h + b_y."""
    p, out = params(), output_params()
    xs, h0 = inputs()
    h, steps = h0[0], []
    for x in xs[:, 0]:
        u = p["W_ih"] @ x + p["b_ih"]  # (H,)
        v = p["W_hh"] @ h + p["b_hh"]  # (H,)
        a = u + v  # pre-activation
        h = rnn.step(u[None], h[None], p)[0]  # tanh(a), by rnnlab's own step
        y = out["W_hy"] @ h + out["b_y"]  # (K,)
        steps.append({"x": x, "u": u, "v": v, "a": a, "h": h, "y": y})
    return steps


def backward_steps() -> list[dict[str, np.ndarray]]:
    """Backpropagation through time of L = y_T, from t = T down to 1, in the names of
    ``rnnlab.rnn.backward``: ``d_h`` = ∂L/∂h_t, ``slope`` = 1 − h_t², ``delta`` = δ_t =
    ∂L/∂a_t = d_h ⊙ slope, ``d_h_prev`` = ∂L/∂h_{t-1} = δ_t W_hh. Only y_T enters L, so
    ∂L/∂h_T = W_hy and every earlier d_h comes through the recurrence."""
    W_hh, W_hy = params()["W_hh"], output_params()["W_hy"]
    d_h, rows = W_hy[0], []
    for step in reversed(forward_steps()):
        slope = 1.0 - step["h"] ** 2
        delta = d_h * slope
        d_h_prev = delta @ W_hh
        rows.append({"d_h": d_h, "slope": slope, "delta": delta, "d_h_prev": d_h_prev})
        d_h = d_h_prev
    return rows


def gradient_setup(s: float, input_scale: float) -> tuple[np.ndarray, Params, np.ndarray]:
    """The plot's tanh RNN: ``xs (T, 1, H)`` ~ N(0, 1), W_ih = input_scale·I (D = H),
    W_hh = s·Q with Q orthogonal, zero biases, and the unit vector ``v (H,)`` of L = v·h_T."""
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(GRAD_H, GRAD_H)))
    xs = rng.normal(size=(GRAD_T, 1, GRAD_H))  # (T, B, D)
    v = rng.normal(size=GRAD_H)
    p = {"W_ih": input_scale * np.eye(GRAD_H), "W_hh": s * Q}
    p |= {"b_ih": np.zeros(GRAD_H), "b_hh": np.zeros(GRAD_H)}
    return xs, p, v / np.linalg.norm(v)


@cache
def gradient_norms(s: float, input_scale: float) -> np.ndarray:
    """‖∂L/∂h_{T−k}‖ for k = 0..T in the RNN of :func:`gradient_setup`; ``(T + 1,)``.

    The loop is the chain of Jacobians ∂h_t/∂h_{t−1} = diag(1 − h_t²) W_hh; its last
    entry is the norm of what ``rnn.backward`` returns as the gradient of h0.
    """
    xs, p, g = gradient_setup(s, input_scale)  # g = ∂L/∂h_T = v
    hs, _ = rnn.forward(xs, p)
    norms = [np.linalg.norm(g)]
    for t in reversed(range(GRAD_T)):
        g = (g * (1.0 - hs[t, 0] ** 2)) @ p["W_hh"]  # ∂L/∂h_{t-1} (0-based hs[t] is h_{t+1})
        norms.append(np.linalg.norm(g))
    return np.array(norms)


def loss_gradients(xs: np.ndarray) -> dict[str, np.ndarray]:
    """``rnn.backward`` of the worked example's loss L = y_T for the inputs ``xs``: only the
    last output enters L, so the gradient given for h_T is W_hy and the others are zero."""
    d_hs = np.zeros(xs.shape[:2] + (params()["W_hh"].shape[0],))
    d_hs[-1, 0] = output_params()["W_hy"][0]
    return rnn.backward(xs, params(), d_hs, inputs()[1])


VANISH_GRID = 0.05  # the step of the scales vanishing_ends tries
VANISH_SCALES = np.arange(1.0, 4.0, VANISH_GRID)


def vanishing_ends(input_scale: float) -> float:
    """The smallest scale s of :data:`VANISH_SCALES` for which the gradient norm at
    distance T is at least 1: the gradient no longer vanishes over the whole sequence."""
    ends = next(s for s in VANISH_SCALES if gradient_norms(round(s, 2), input_scale)[-1] >= 1)
    return round(float(ends), 2)


def exercise_numbers() -> dict[str, int | float | str]:
    """The values the solutions of the chapter's exercises cite."""
    xs, h0 = inputs()
    swapped = xs[::-1].copy()  # x_1 and x_2 exchanged
    hs, _ = rnn.forward(swapped, params(), h0)
    a1 = swapped[0, 0] @ params()["W_ih"].T + params()["b_ih"] + params()["b_hh"]  # h_0 = 0
    grads = loss_gradients(xs)
    return {
        "rnn_ex_swap_a1": bracketed(a1),
        "rnn_ex_swap_h1": bracketed(hs[0, 0]),
        "rnn_ex_swap_h2": bracketed(hs[1, 0]),
        "rnn_ex_swap_dh0": bracketed(loss_gradients(swapped)["h0"][0]),
        "rnn_ex_dWih": bracketed(grads["W_ih"]),
        "rnn_ex_db": bracketed(grads["b_ih"]),
        "rnn_ex_vanish_s": vanishing_ends(1.0),
        "rnn_ex_vanish_s_small": vanishing_ends(0.5),
        "rnn_ex_vanish_small_scale": 0.5,
        "rnn_ex_vanish_grid": VANISH_GRID,
    }


def _flat(prefix: str, vector: np.ndarray, out: dict) -> None:
    for j, value in enumerate(np.ravel(vector), start=1):
        out[f"{prefix}{j}"] = float(value)


def numbers() -> dict[str, int | float | str]:
    """Every value the chapter cites, as plain ``int``, ``float`` or ``str``."""
    p, out_p = params(), output_params()
    xs, h0 = inputs()
    T, _, D = xs.shape
    H, K = p["W_hh"].shape[0], out_p["W_hy"].shape[0]
    out: dict[str, int | float | str] = {"rnn_T": T, "rnn_D": D, "rnn_H": H, "rnn_K": K}
    out |= {f"rnn_{name}": bracketed(value) for name, value in {**p, **out_p}.items()}
    out |= {"rnn_h0": bracketed(h0[0]), "rnn_n_params": sum(v.size for v in p.values())}
    out["rnn_n_out_params"] = sum(v.size for v in out_p.values())
    for t, step in enumerate(forward_steps(), start=1):
        out[f"rnn_t{t}_x"] = bracketed(step["x"])
        for name in ("u", "v", "a", "h", "y"):
            _flat(f"rnn_t{t}_{name}", step[name], out)
    for t, row in zip(range(T, 0, -1), backward_steps(), strict=True):
        for name in ("d_h", "slope", "delta", "d_h_prev"):
            _flat(f"rnn_b{t}_{name.replace('_', '')}", row[name], out)
    h1, delta2 = forward_steps()[0]["h"], backward_steps()[0]["delta"]
    dW_hh = np.outer(delta2, h1) + 0.0  # h_0 = 0, so only step 2 adds; + 0.0 turns -0 into 0
    for (i, j), value in np.ndenumerate(dW_hh):
        out[f"rnn_dWhh_{i + 1}{j + 1}"] = float(value)
    out |= {"rnn_grad_T": GRAD_T, "rnn_grad_H": GRAD_H, "rnn_grad_k": GRAD_K}
    out |= {"rnn_grad_s_low": S_LOW, "rnn_grad_s_high": S_HIGH, "rnn_grad_s_big": S_BIG}
    for tag, scale in (("zero", 0.0), ("input", 1.0)):
        for which, s in (("low", S_LOW), ("high", S_HIGH), ("big", S_BIG)):
            out[f"rnn_grad_{tag}_{which}"] = float(gradient_norms(s, scale)[GRAD_K])
    out["rnn_grad_input_big_T"] = float(gradient_norms(S_BIG, 1.0)[GRAD_T])
    out |= lm_numbers.ch1()  # the language model
    out |= exercise_numbers()
    return out
