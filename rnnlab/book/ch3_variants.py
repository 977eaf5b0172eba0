"""Chapter 3's worked examples: peepholes, CIFG, Greff et al.'s eight variants, forget bias.

Everything here is small and deterministic. The worked step uses H = D = 1, so every
vector is one number and every weight matrix one weight, with friendly values (0, ±0.5,
1): a reader can redo it with a pocket calculator. The cell already holds a memory,
``c_0 = 1``, so that the peepholes have something to look at in the very first step.

``intermediates`` writes the step out one equation per line (the tables of the chapter);
the chapter checks its ``h_1`` and ``c_1`` against ``rnnlab.variants.cell``, and the test
``tests/book/test_ch3_variants.py`` checks the values against arithmetic done by hand.
"""

import functools

import numpy as np

from rnnlab import init, lstm, variants
from rnnlab.activations import sigmoid, tanh

D, H = 1, 1
X1 = 1.0  # the input of the worked step
H0, C0 = 0.0, 1.0  # the state before it: nothing shown yet, one unit of memory in the cell
XS = (1.0, 0.0, -1.0, 0.5)  # the sequence every variant runs on (T = 4)

# Weights per gate block (i, f, g, o); b is the total bias b_ih + b_hh (b_hh = 0 here).
W_X = {"i": 0.0, "f": 0.0, "g": 1.0, "o": 0.0}  # W_ii, W_if, W_ig, W_io
W_H = {"i": 0.5, "f": 0.0, "g": 0.0, "o": -0.5}  # W_hi, W_hf, W_hg, W_ho
BIAS = {"i": 0.0, "f": 1.0, "g": 0.0, "o": 0.0}  # b_i, b_f (forget bias 1), b_g, b_o
PEEP = {"i": -0.5, "f": 0.5, "o": 1.0}  # p_i, p_f, p_o
W_GG_DIAG = 0.5  # FGR: each gate sees its own value of the step before, times 0.5

# The peephole configurations of the first table: label -> the gates that have one.
PEEPHOLE_CONFIGS = {"np": "", "i": "i", "f": "f", "o": "o", "all": "ifo"}

COUNT_D, COUNT_H = 32, 64  # the sizes of the parameter-count table
RETENTION_D, RETENTION_H, RETENTION_T = 8, 32, 20  # the forget-bias experiment
RETENTION_SEED = 3
KEEP_PCT = 1  # exercise: after how many steps does less than 1 % of the cell remain?


def params() -> dict[str, np.ndarray]:
    """The worked example's parameters in torch's layout, with peepholes and FGR's W_gg."""
    gates = "ifgo"
    return {
        "W_ih": np.array([[W_X[k]] for k in gates]),  # (4H, D)
        "W_hh": np.array([[W_H[k]] for k in gates]),  # (4H, H)
        "b_ih": np.array([BIAS[k] for k in gates]),  # (4H,)
        "b_hh": np.zeros(4 * H),  # (4H,)
        "p_i": np.array([PEEP["i"]]),  # (H,)
        "p_f": np.array([PEEP["f"]]),
        "p_o": np.array([PEEP["o"]]),
        "W_gg": W_GG_DIAG * np.eye(3 * H),  # (3H, 3H)
    }


def state0() -> tuple[np.ndarray, np.ndarray]:
    """``(h_0, c_0)``, each of shape (B, H) = (1, 1)."""
    return np.array([[H0]]), np.array([[C0]])


def xs() -> np.ndarray:
    """The input sequence of the variant comparison, shape (T, B, D) = (4, 1, 1)."""
    return np.array(XS).reshape(len(XS), 1, 1)


def intermediates(peepholes: str = "ifo", coupled: bool = False) -> dict[str, float]:
    """Every quantity of the worked step, for peepholes on ``peepholes`` (CIFG if coupled).

    Keys: ``a_i, a_f, a_g, a_o`` (pre-activations without peepholes) and ``pc_i, pc_f,
    pc_o`` (the peephole terms p ⊙ c, 0 for a gate without one), which the chapter's table
    spells out, then from ``rnnlab.variants.step``: ``i, f, g, c1, o, tanh_c1, h1``.
    """
    x, h, c0 = X1, H0, C0
    a = {k: W_X[k] * x + W_H[k] * h + BIAS[k] for k in "ifgo"}
    pc_i = PEEP["i"] * c0 if "i" in peepholes else 0.0
    pc_f = PEEP["f"] * c0 if "f" in peepholes and not coupled else 0.0
    variant = variants.spec(
        "CIFG" if coupled else "peephole", peepholes.replace("f", "") if coupled else peepholes
    )
    p = params()
    s = variants.step(np.array([[x]]) @ p["W_ih"].T + p["b_ih"], state0(), p, variant)
    pc_o = PEEP["o"] * s.c_t if "o" in peepholes else 0.0  # o looks at the new cell
    values = {f"a_{k}": a[k] for k in "ifgo"}
    values |= {"pc_i": pc_i, "pc_f": pc_f, "pc_o": pc_o}
    values |= {"i": s.i_t, "f": s.f_t, "g": s.g_t, "c1": s.c_t, "o": s.o_t}
    values |= {"tanh_c1": tanh(s.c_t), "h1": s.h_t}
    return {k: float(np.squeeze(v)) for k, v in values.items()}


def variant_outputs() -> dict[str, np.ndarray]:
    """``h_t`` for t = 1..T (shape (T,)) of each of the nine variants, from ``rnnlab``."""
    p, s0, x = params(), state0(), xs()
    return {
        name: variants.forward(x, p, s0, variant=name)[0][:, 0, 0] for name in variants.VARIANTS
    }


def parameter_count(name: str, D: int, H: int) -> int:
    """How many parameters variant ``name`` uses, in torch's layout (two bias vectors).

    A gate that the variant drops (NIG, NFG, NOG, CIFG's forget gate) costs nothing: its
    rows of ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` are never read.
    """
    v = variants.spec(name)
    blocks = 1 + v.input_gate + (v.forget_gate and not v.coupled) + v.output_gate
    count = blocks * H * (D + H + 2) + len(v.peepholes) * H
    return count + (3 * H) ** 2 if v.gate_recurrence else count


@functools.cache
def forget_retention(forget_bias: float | None) -> np.ndarray:
    """The product of the forget gates f_1 ⊙ ... ⊙ f_t, averaged over the H units.

    A freshly initialised LSTM (``rnnlab.init.lstm``, with or without ``forget_bias``)
    runs on a standard-normal sequence; returns shape (T,): how much of ``c_0`` would
    survive t steps if nothing were written.
    """
    p = init.lstm(RETENTION_D, RETENTION_H, seed=RETENTION_SEED, forget_bias=forget_bias)
    rng = np.random.default_rng(RETENTION_SEED)
    x = rng.standard_normal((RETENTION_T, 1, RETENTION_D))  # (T, B, D)
    hs, _ = lstm.forward(x, p)  # (T, B, H)
    h_prev = np.concatenate([np.zeros((1, 1, RETENTION_H)), hs[:-1]])  # (T, B, H)
    rows = slice(RETENTION_H, 2 * RETENTION_H)  # the f block
    a_f = x @ p["W_ih"][rows].T + h_prev @ p["W_hh"][rows].T + p["b_ih"][rows] + p["b_hh"][rows]
    return np.cumprod(sigmoid(a_f[:, 0, :]), axis=0).mean(axis=1)  # (T,)


def steps_until(f: float, fraction: float) -> int:
    """The fewest steps k with f**k < fraction: how long a constant forget gate f keeps
    more than ``fraction`` of the cell."""
    k = 1
    while f**k >= fraction:
        k += 1
    return k


def numbers() -> dict[str, int | float | str]:
    """Every number the chapter's prose cites, keyed by its glue name (prefix ``var_``)."""
    out: dict[str, int | float | str] = {
        "var_D": D,
        "var_H": H,
        "var_x1": X1,
        "var_h0": H0,
        "var_c0": C0,
        "var_xs": ", ".join(f"{x:g}" for x in XS),
        "var_T": len(XS),
        "var_W_gg_diag": W_GG_DIAG,
    }
    for k in "ifgo":
        out |= {f"var_W_i{k}": W_X[k], f"var_W_h{k}": W_H[k], f"var_b_{k}": BIAS[k]}
    out |= {f"var_p_{k}": v for k, v in PEEP.items()}

    step = intermediates("ifo")
    out |= {f"var_{k}": step[k] for k in ("a_i", "a_f", "a_g", "a_o", "g")}
    out |= {"var_pc_i": step["pc_i"], "var_pc_f": step["pc_f"]}
    for label, on in PEEPHOLE_CONFIGS.items():
        step = intermediates(on)
        for k in ("i", "f", "c1", "pc_o", "o", "tanh_c1", "h1"):
            out[f"var_peep_{label}_{k}"] = step[k]
    vanilla_step = intermediates("ifo")  # exercise: an output peephole that reads c_0
    out["var_oprev_o"] = float(sigmoid(vanilla_step["a_o"] + PEEP["o"] * C0))
    out["var_oprev_h1"] = out["var_oprev_o"] * vanilla_step["tanh_c1"]
    cifg = intermediates("io", coupled=True)
    for k in ("i", "f", "c1", "pc_o", "o", "h1"):
        out[f"var_cifg_{k}"] = cifg[k]

    runs = variant_outputs()
    vanilla = runs["peephole"]
    for name, hs in runs.items():
        for t, h in enumerate(hs, start=1):
            out[f"var_run_{name}_h{t}"] = float(h)
        out[f"var_run_{name}_dev"] = float(np.abs(hs - vanilla).max())
    moved = {name: out[f"var_run_{name}_dev"] for name in runs if name != "peephole"}
    out["var_run_most"] = max(moved, key=moved.get)
    out["var_run_least"] = min(moved, key=moved.get)

    out |= {"var_count_D": COUNT_D, "var_count_H": COUNT_H}
    base = parameter_count("peephole", COUNT_D, COUNT_H)
    for name in variants.VARIANTS:
        n = parameter_count(name, COUNT_D, COUNT_H)
        out[f"var_count_{name}"] = n
        if name != "peephole":  # the change relative to vanilla, in percent
            out[f"var_count_{name}_pct"] = 100.0 * (n - base) / base

    steps = 10
    out |= {
        "var_sigma0": float(sigmoid(0.0)),
        "var_sigma1": float(sigmoid(1.0)),
        "var_keep_steps": steps,
        "var_keep_bias0": float(sigmoid(0.0) ** steps),
        "var_keep_bias1": float(sigmoid(1.0) ** steps),
        "var_keep_ratio": float((sigmoid(1.0) / sigmoid(0.0)) ** steps),
        "var_keep_pct": KEEP_PCT,
        "var_keep_pct_steps_bias0": steps_until(float(sigmoid(0.0)), KEEP_PCT / 100),
        "var_keep_pct_steps_bias1": steps_until(float(sigmoid(1.0)), KEEP_PCT / 100),
        "var_ret_D": RETENTION_D,
        "var_ret_H": RETENTION_H,
        "var_ret_T": RETENTION_T,
        "var_ret_bound": float(1.0 / np.sqrt(RETENTION_H)),
        "var_ret_default": float(forget_retention(None)[-1]),
        "var_ret_one": float(forget_retention(1.0)[-1]),
    }
    return out
