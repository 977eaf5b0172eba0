"""Chapter 2's backward pass by hand: the worked example's gradients, step 2 then step 1,
and the cell state's "gradient highway" over many steps.

The loss is the last output, L = h_T (``d_hs`` is 0 at every step but the last, where it
is 1). Going back through step t, with ∂L/∂h_t and the part of ∂L/∂c_t that comes from
c_{t+1}:

    ∂L/∂c_t     = ∂L/∂h_t ⊙ o_t ⊙ (1 − tanh²(c_t))  +  ∂L/∂c_{t+1} ⊙ f_{t+1}
    δ^i_t = ∂L/∂c_t ⊙ g_t ⊙ σ'(a^i_t),   δ^f_t = ∂L/∂c_t ⊙ c_{t-1} ⊙ σ'(a^f_t)
    δ^g_t = ∂L/∂c_t ⊙ i_t ⊙ tanh'(a^g_t), δ^o_t = ∂L/∂h_t ⊙ tanh(c_t) ⊙ σ'(a^o_t)
    ∂L/∂c_{t-1} (along the cell) = ∂L/∂c_t ⊙ f_t,   ∂L/∂h_{t-1} = δ_t W_hh

Every number comes from ``rnnlab.lstm.step_backward``, and :func:`numbers` checks that
the loop over it gives what ``rnnlab.lstm.backward`` returns. The functions take the
worked example's ``params``, ``xs`` and ``state0`` (``rnnlab.book.ch2_lstm`` owns them).
"""

import numpy as np

from rnnlab import lstm
from rnnlab.activations import d_tanh, tanh
from rnnlab.book import ch1_rnn

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, np.ndarray]
GATES = ("i", "f", "g", "o")  # torch's order of the four blocks of δ_t
HIGHWAY_SCALE = 1.0  # chapter 1's RNN compared with it: W_hh = s·Q with s = 1, random inputs


def last_output_loss(xs: np.ndarray, H: int) -> np.ndarray:
    """``d_hs (T, B, H)`` of the loss L = sum of the entries of h_T: 1 at the last step."""
    d_hs = np.zeros((*xs.shape[:2], H))
    d_hs[-1] = 1.0
    return d_hs


def forward_steps(xs: np.ndarray, p: Params, state0: State) -> list[lstm.Step]:
    """Every step of ``xs (T, B, D)`` from ``state0 = (h_0, c_0)``, by ``rnnlab.lstm.step``."""
    steps, (h, c) = [], state0
    for x in xs:  # x (B, D)
        steps.append(lstm.step(x @ p["W_ih"].T + p["b_ih"], h, c, p))
        h, c = steps[-1].h_t, steps[-1].c_t
    return steps


def backward_steps(xs, p: Params, state0: State, d_hs) -> list[dict[str, np.ndarray]]:
    """Step T back to step 1, each step's gradients (B, H), or (B, 4H) for ``delta``:
    ``d_h`` (∂L/∂h_t), ``d_c_h`` and ``d_c_next`` (the two terms of ∂L/∂c_t), ``d_c``,
    ``delta`` (δ_t), ``d_c_prev`` (∂L/∂c_{t-1} along the cell) and ``d_h_prev`` (δ_t W_hh).
    Returned in time order, step 1 first."""
    steps = forward_steps(xs, p, state0)
    c_prevs = [state0[1], *(s.c_t for s in steps[:-1])]
    rows, d_h_next, d_c_next = [], np.zeros_like(state0[0]), np.zeros_like(state0[1])
    for t in reversed(range(len(steps))):
        s, d_h = steps[t], d_hs[t] + d_h_next
        delta, d_c_prev = lstm.step_backward(s, c_prevs[t], d_h, d_c_next)
        d_c_h = d_h * s.o_t * d_tanh(tanh(s.c_t))  # the term through h_t = o_t tanh(c_t)
        rows.append({"d_h": d_h, "d_c_h": d_c_h, "d_c_next": d_c_next, "d_c": d_c_h + d_c_next})
        rows[-1] |= {"delta": delta, "d_c_prev": d_c_prev, "d_h_prev": delta @ p["W_hh"]}
        d_h_next, d_c_next = rows[-1]["d_h_prev"], d_c_prev
    return rows[::-1]


def cell_path_gradient(xs: np.ndarray, p: Params) -> float:
    """∂c_T/∂c_0 from ``lstm.step_backward`` run back from ∂L/∂c_T = 1 (L = c_T), starting
    at zero states; B = H = 1. With ``W_hh = 0`` only the cell path is left: ∏ f_t."""
    zero = np.zeros((1, 1))
    steps = forward_steps(xs, p, (zero, zero))
    c_prevs = [zero, *(s.c_t for s in steps[:-1])]
    d_h, d_c = zero, np.ones((1, 1))
    for s, c_prev in zip(reversed(steps), reversed(c_prevs), strict=True):
        delta, d_c = lstm.step_backward(s, c_prev, d_h, d_c)
        d_h = delta @ p["W_hh"]  # (B, H): the roads through h_{t-1}
    return float(d_c[0, 0])


def highway_numbers(xs: np.ndarray, p: Params) -> dict[str, float | int]:
    """Over the first T steps of ``xs (≥ T, 1, 1)``, T being chapter 1's: the mean forget
    gate and ∂c_T/∂c_0 of the LSTM ``p`` (D = H = 1, ``W_hh = 0``: the cell path alone),
    and what chapter 1's RNN keeps of ‖∂L/∂h_T‖ after as many steps."""
    T = ch1_rnn.GRAD_T
    xs, zero = xs[:T], np.zeros((1, 1))
    forget = [s.f_t for s in forward_steps(xs, p, (zero, zero))]
    return {
        "lstm_bp_highway_T": T,
        "lstm_bp_highway_fmean": float(np.mean(forget)),
        "lstm_bp_highway_cell": cell_path_gradient(xs, p),
        "lstm_bp_highway_rnn_s": HIGHWAY_SCALE,
        "lstm_bp_highway_rnn": float(ch1_rnn.gradient_norms(HIGHWAY_SCALE, 1.0)[T]),
    }


def _check_against_backward(xs, p: Params, state0: State, d_hs, rows) -> None:
    """The loop of :func:`backward_steps` must give ``lstm.backward``'s gradients."""
    grads = lstm.backward(xs, p, d_hs, state0)
    ours = (sum(row["delta"] for row in rows)[0], rows[0]["d_h_prev"], rows[0]["d_c_prev"])
    for mine, theirs in zip(ours, (grads["b_ih"], grads["h0"], grads["c0"]), strict=True):
        if not np.allclose(mine, theirs, rtol=1e-12, atol=1e-15):
            raise RuntimeError(f"the step-by-step backward gives {mine}, lstm.backward {theirs}")


def numbers(p: Params, xs: np.ndarray, state0: State) -> dict[str, int | float]:
    """The backward pass of the worked example (B = H = 1) under L = h_T, keyed
    ``lstm_bp_t{t}_{what}``, and the exercise's (``lstm_bp_ex_``)."""
    d_hs = last_output_loss(xs, p["W_hh"].shape[1])
    rows = backward_steps(xs, p, state0, d_hs)
    _check_against_backward(xs, p, state0, d_hs, rows)
    steps = forward_steps(xs, p, state0)
    out: dict[str, int | float] = {}
    for t, (row, s) in enumerate(zip(rows, steps, strict=True), start=1):
        for name in ("d_h", "d_c_h", "d_c_next", "d_c", "d_c_prev", "d_h_prev"):
            out[f"lstm_bp_t{t}_{name.replace('_', '')}"] = float(row[name][0, 0])
        for k, gate in enumerate(GATES):
            out[f"lstm_bp_t{t}_delta{gate}"] = float(row["delta"][0, k])
        out[f"lstm_bp_t{t}_slopec"] = float(d_tanh(tanh(s.c_t))[0, 0])  # 1 − tanh²(c_t)
    return out | exercise_numbers(p, xs, state0)


def exercise_numbers(p: Params, xs: np.ndarray, state0: State) -> dict[str, float]:
    """The exercise's loss L = h_1 + h_2 (a loss on every output): step 1's gradients."""
    d_hs = np.ones((*xs.shape[:2], p["W_hh"].shape[1]))  # (T, B, H)
    step_1 = backward_steps(xs, p, state0, d_hs)[0]
    names = ("d_h", "d_c_h", "d_c_next", "d_c", "d_c_prev")
    out = {f"lstm_bp_ex_{name.replace('_', '')}": float(step_1[name][0, 0]) for name in names}
    for k, gate in enumerate(GATES):
        out[f"lstm_bp_ex_delta{gate}"] = float(step_1["delta"][0, k])
    return out
