"""Chapter 4's worked examples: one GRU step in both conventions, and parameter counts.

The worked step uses D = 1 and H = 2 (the smallest size at which the two conventions
can disagree through the matrix W_hn, not only through the bias b_hn) with friendly
values (0, ±0.5, 1). The reset and update gates read the input only (W_hr = W_hz = 0),
which keeps the arithmetic short: the two conventions differ in the candidate n alone.

``intermediates`` writes the step out one equation per line (the chapter's table); the
chapter checks its ``h_1`` against ``rnnlab.gru.cell`` and torch, and
``tests/book/test_ch4_gru.py`` checks the values against arithmetic done by hand.
``backward_step`` takes the same step backwards (``rnnlab.gru.step_backward``).
"""

import functools

import numpy as np

from rnnlab import gru, init
from rnnlab.book import lm_numbers

D, H = 1, 2
X1 = 1.0
H0 = (1.0, 0.0)
W_IR = (0.0, 1.0)  # (H, D) = (2, 1), one weight per unit
W_IZ = (0.5, -0.5)
W_IN = (0.0, 0.5)
W_HN = ((0.0, 1.0), (-1.0, 0.0))  # (H, H): unit 1 reads +h_2, unit 2 reads -h_1
B_HN = (0.5, 0.0)  # every other bias is 0
TORCH_TOL = 1e-12  # how closely rnnlab (reset_after=True) and torch.nn.GRU must agree

KEEP_BIAS = 5.0  # added to the update gate's bias: z ≈ 1 passes the gradient on
COUNT_SIZES = ((1, 2), (32, 64), (256, 512))  # (D, H) pairs of the parameter-count table
GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}

SWAP_D, SWAP_H, SWAP_T, SWAP_SEED = 4, 16, 50, 7  # the "swap the convention" experiment


def params() -> dict[str, np.ndarray]:
    """The worked example's parameters in torch's layout (blocks r, z, n)."""
    W_hh = np.zeros((3 * H, H))
    W_hh[2 * H :] = W_HN  # W_hr = W_hz = 0
    return {
        "W_ih": np.array([*W_IR, *W_IZ, *W_IN]).reshape(3 * H, D),  # (3H, D)
        "W_hh": W_hh,  # (3H, H)
        "b_ih": np.zeros(3 * H),  # (3H,)
        "b_hh": np.array([0.0] * (2 * H) + list(B_HN)),  # (3H,)
    }


def x1() -> np.ndarray:
    """The input of the worked step, shape (B, D) = (1, 1)."""
    return np.array([[X1]])


def h0() -> np.ndarray:
    """The state before the worked step, shape (B, H) = (1, 2)."""
    return np.array([H0])


def intermediates(reset_after: bool) -> dict[str, np.ndarray]:
    """Every quantity of the worked step, each of shape (H,).

    Keys: ``a_r, a_z`` (the gates' pre-activations), ``u_n = W_in x + b_in``, ``rh``
    (r ⊙ h, Cho only), ``hn`` (W_hn h + b_hn, torch only), ``rec`` (the recurrent part of
    the candidate's pre-activation: ``r ⊙ (W_hn h + b_hn)`` for torch, ``W_hn (r ⊙ h) +
    b_hn`` for Cho) and ``a_n = u_n + rec``, which the chapter's tables spell out; then
    from ``rnnlab.gru.step``: ``r, z, n, h1``.
    """
    p = params()
    s = gru.step(x1() @ p["W_ih"].T + p["b_ih"], h0(), p, reset_after)
    r, z, n, h1 = (value[0] for value in (s.r_t, s.z_t, s.n_t, s.h_t))
    h, W_hn, b_hn = np.array(H0), np.array(W_HN), np.array(B_HN)
    u_n = np.array(W_IN) * X1  # b_in = 0
    out = {"a_r": np.array(W_IR) * X1, "r": r, "a_z": np.array(W_IZ) * X1, "z": z}
    if reset_after:  # torch, cuDNN: the reset gate scales W_hn h + b_hn
        hn = W_hn @ h + b_hn
        out |= {"hn": hn, "rec": r * hn}
    else:  # Cho et al. 2014: the reset gate scales h before W_hn
        out |= {"rh": r * h, "rec": W_hn @ (r * h) + b_hn}
    return out | {"u_n": u_n, "a_n": u_n + out["rec"], "n": n, "h1": h1}


def backward_step(p: dict | None = None, reset_after: bool = True) -> dict[str, np.ndarray]:
    """The worked step backwards under L = h_{1,1} + h_{1,2}: the pre-activations'
    gradients ``delta_r, delta_z, delta_n``, ``z``, the direct term ``direct`` = ∂L/∂h_1 ⊙
    z_1, the rest ``through`` (via the candidate and the gates) and their sum ``d_h0`` =
    ∂L/∂h_0, each (H,), from ``rnnlab.gru.step_backward`` (torch's convention by default)."""
    p = params() if p is None else p
    s = gru.step(x1() @ p["W_ih"].T + p["b_ih"], h0(), p, reset_after)
    d_h = np.ones((1, H))  # ∂L/∂h_1 (B, H)
    delta, _, d_h0 = gru.step_backward(s, h0(), d_h, p, reset_after)
    delta_r, delta_z, delta_n = (block[0] for block in np.split(delta, 3, axis=1))
    direct = (d_h * s.z_t)[0]
    out = {"delta_r": delta_r, "delta_z": delta_z, "delta_n": delta_n, "z": s.z_t[0]}
    return out | {"direct": direct, "through": d_h0[0] - direct, "d_h0": d_h0[0]}


def kept_params() -> dict[str, np.ndarray]:
    """The worked example with ``KEEP_BIAS`` added to the update block of ``b_hh``."""
    p = params()
    p["b_hh"][H : 2 * H] += KEEP_BIAS
    return p


def parameter_count(family: str, D: int, H: int) -> int:
    """Parameters of one layer of ``torch.nn.RNN``/``GRU``/``LSTM``: G·H·(D + H + 2)."""
    return GATE_BLOCKS[family] * H * (D + H + 2)


def budget_hidden_size(family: str, budget: int, D: int) -> int:
    """The largest H whose ``family`` layer on input size D has at most ``budget`` parameters."""
    H = 1
    while parameter_count(family, D, H + 1) <= budget:
        H += 1
    return H


@functools.cache
def convention_gap() -> np.ndarray:
    """``max |h_t(torch) - h_t(Cho)|`` over the units, for t = 1..T, shape (T,).

    The same freshly initialised GRU (``rnnlab.init.gru``) runs a standard-normal
    sequence under both conventions.
    """
    p = init.gru(SWAP_D, SWAP_H, seed=SWAP_SEED)
    xs = np.random.default_rng(SWAP_SEED).standard_normal((SWAP_T, 1, SWAP_D))  # (T, B, D)
    after, _ = gru.forward(xs, p, reset_after=True)
    before, _ = gru.forward(xs, p, reset_after=False)
    return np.abs(after - before).max(axis=(1, 2))


def numbers() -> dict[str, int | float | str]:
    """Every number the chapter's prose cites, keyed by its glue name (prefix ``gru_``)."""
    out: dict[str, int | float | str] = {"gru_D": D, "gru_H": H, "gru_x1": X1}
    vectors = {"h0": H0, "W_ir": W_IR, "W_iz": W_IZ, "W_in": W_IN, "b_hn": B_HN}
    for name, values in vectors.items():
        out |= {f"gru_{name}_{k}": float(v) for k, v in enumerate(values, start=1)}
    for j, row in enumerate(W_HN, start=1):
        out |= {f"gru_W_hn_{j}{k}": float(v) for k, v in enumerate(row, start=1)}

    after, before = intermediates(True), intermediates(False)
    for key in ("a_r", "r", "a_z", "z", "u_n"):
        out |= {f"gru_{key}_{k}": float(v) for k, v in enumerate(after[key], start=1)}
    for label, values in (("after", after), ("before", before)):
        for key in ("rh", "hn", "rec", "a_n", "n", "h1"):
            if key in values:
                pairs = enumerate(values[key], start=1)
                out |= {f"gru_{label}_{key}_{k}": float(v) for k, v in pairs}
    out["gru_h1_gap"] = float(np.abs(after["h1"] - before["h1"]).max())
    step = backward_step()  # L = h_{1,1} + h_{1,2}
    for key in ("delta_r", "delta_z", "delta_n", "direct", "through", "d_h0"):
        out |= {f"gru_bp_{key}_{k}": float(v) for k, v in enumerate(step[key], start=1)}
    out["gru_bp_keep_bias"] = KEEP_BIAS
    kept = backward_step(kept_params())
    for key in ("z", "d_h0"):
        out |= {f"gru_bp_keep_{key}_{k}": float(v) for k, v in enumerate(kept[key], start=1)}
    cho = backward_step(reset_after=False)  # the exercise
    for key in ("delta_r", "delta_z", "delta_n", "d_h0"):
        out |= {f"gru_ex_cho_{key}_{k}": float(v) for k, v in enumerate(cho[key], start=1)}
    out["gru_torch_tol"] = TORCH_TOL

    for k, (D_, H_) in enumerate(COUNT_SIZES, start=1):
        out |= {f"gru_count_{k}_D": D_, f"gru_count_{k}_H": H_}
        for family in GATE_BLOCKS:
            out[f"gru_count_{k}_{family}"] = parameter_count(family, D_, H_)
    D_, H_ = COUNT_SIZES[-1]
    out["gru_count_saving"] = parameter_count("lstm", D_, H_) - parameter_count("gru", D_, H_)

    moved = params()  # exercise: move b_hn into b_in
    moved["b_ih"][2 * H :], moved["b_hh"][2 * H :] = B_HN, 0.0
    for label, reset_after in (("after", True), ("before", False)):
        h1 = gru.cell(x1(), h0(), moved, reset_after=reset_after)[0]
        out |= {f"gru_ex_bias_{label}_h1_{k}": float(v) for k, v in enumerate(h1, start=1)}
    D_, H_ = COUNT_SIZES[-1]
    out["gru_ex_budget_H"] = budget_hidden_size("gru", parameter_count("lstm", D_, H_), D_)

    gap = convention_gap()
    out |= {"gru_swap_D": SWAP_D, "gru_swap_H": SWAP_H, "gru_swap_T": SWAP_T}
    out |= {"gru_swap_max": float(gap.max()), "gru_swap_mean": float(gap.mean())}
    return out | lm_numbers.ch4()  # the language model with all three kinds
