"""Chapter 2's worked example: a two-step LSTM by hand, the cell state's gradient path,
torch's ``nn.LSTM`` next to rnnlab, and the adding-problem comparison of RNN and LSTM.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh      (4H,) four blocks i, f, g, o
    i = σ(a^i), f = σ(a^f), g = tanh(a^g), o = σ(a^o)
    c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

Worked sizes D = 2, H = 1, T = 2 steps, B = 1, so x_t has two entries while h_t and c_t
have one. Every number ``book/ch2_lstm.md`` cites comes from :func:`numbers`; those of
its backward pass are computed in ``rnnlab.book.ch2_backprop``.
"""

from functools import cache

import numpy as np

from rnnlab import init, lstm, torch_bridge
from rnnlab.activations import sigmoid, tanh
from rnnlab.book import bracketed, ch2_backprop, lm_numbers, long_memory
from rnnlab.book.ch4_gru import GATE_BLOCKS, parameter_count

Params = dict[str, np.ndarray]
GATES = ("i", "f", "g", "o")  # torch's order of the four blocks
PATH_T = 100  # steps of the cell-state gradient path (as long as the adding problem)
PATH_BIASES = (0.0, 2.0, 5.0)  # forget-gate biases of the path plot; the middle one is checked
TORCH_SIZES = {"T": 5, "B": 2, "D": 3, "H": 4}  # the torch section's example
LAYERS = 2  # the stacked example
SMOOTH = 50  # the loss plot's running mean, in training steps
# rnnlab and torch agree to rounding (~1e-16), but the last digits of a difference change
# from run to run (memory alignment picks the SIMD path), so the book cites this bound,
# which numbers() checks, instead of the differences themselves.
AGREE = 1e-12


def params() -> Params:
    """The friendly parameters, torch layout and order (i, f, g, o):
    ``W_ih (4H, D) = (4, 2)``, ``W_hh (4H, H) = (4, 1)``, ``b_ih``, ``b_hh (4,)``."""
    return {
        "W_ih": np.array([[0.0, 1.0], [0.0, -0.5], [1.0, 0.0], [0.0, 1.0]]),
        "W_hh": np.array([[0.0], [1.0], [0.0], [0.0]]),  # only the forget gate reads h
        "b_ih": np.array([0.0, 0.5, 0.0, 0.0]),
        "b_hh": np.array([0.0, 0.5, 0.0, 0.0]),  # f's total bias 0.5 + 0.5 = 1
    }


def inputs() -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """``xs (T, B, D) = (2, 1, 2)`` holding x_1 = [1, 0], x_2 = [0, 1], and zero ``(h0, c0)``
    of shape (1, 1) each, torch's default start."""
    return np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), (np.zeros((1, 1)), np.zeros((1, 1)))


def steps() -> list[dict[str, np.ndarray]]:
    """Each step's intermediates for the single sequence: the input and recurrent terms
    ``from_x = W_ih x``, ``from_h = W_hh h_prev`` (4H,) and the pre-activations ``a_i,
    a_f, a_g, a_o`` (H,) that the chapter's table shows, then what ``rnnlab.lstm.step``
    returns: the gates ``i, f, g, o``, ``c`` and ``h`` (H,), and ``tanh_c``."""
    p = params()
    xs, (h, c) = inputs()
    rows = []
    for x in xs:  # (B, D) = (1, D)
        s = lstm.step(x @ p["W_ih"].T + p["b_ih"], h, c, p)
        from_x, from_h = p["W_ih"] @ x[0], p["W_hh"] @ h[0]  # (4H,) each
        a = np.split(from_x + p["b_ih"] + from_h + p["b_hh"], 4)  # (H,) each: i, f, g, o
        gates = {"i": s.i_t, "f": s.f_t, "g": s.g_t, "o": s.o_t, "c": s.c_t, "h": s.h_t}
        rows.append(
            {"x": x[0], "from_x": from_x, "from_h": from_h}
            | dict(zip(("a_i", "a_f", "a_g", "a_o"), a, strict=True))
            | {name: value[0] for name, value in gates.items()}
            | {"tanh_c": tanh(s.c_t[0])}
        )
        h, c = s.h_t, s.c_t
    return rows


def path_setup(forget_bias: float) -> tuple[np.ndarray, Params]:
    """An LSTM with D = H = 1 whose gates read x only (``W_hh = 0``), so the cell state is
    the only route from c_0 to c_T; ``xs (PATH_T, 1, 1)`` ~ N(0, 1). The forget gate's
    total bias is ``forget_bias``; the other weights are drawn as torch would."""
    p = init.lstm(1, 1, seed=2, forget_bias=forget_bias)
    p["W_hh"][:] = 0.0
    xs = np.random.default_rng(3).normal(size=(PATH_T, 1, 1))
    return xs, p


def forget_gates(xs: np.ndarray, p: Params) -> np.ndarray:
    """f_t for every step when ``W_hh = 0``: σ(W_if x_t + b_if + b_hf); ``(T, B, H)``."""
    H = p["W_hh"].shape[1]
    rows = slice(H, 2 * H)
    return sigmoid(xs @ p["W_ih"][rows].T + p["b_ih"][rows] + p["b_hh"][rows])


def cell_change(xs: np.ndarray, p: Params) -> float:
    """How much c_T moves when c_0 goes from 0 to 1 (h_0 = 0), by two runs of
    ``lstm.forward``. With ``W_hh = 0``, c_T is affine in c_0, so this is ∂c_T/∂c_0."""
    h0 = np.zeros((1, 1))
    _, (_, c_from_1) = lstm.forward(xs, p, (h0, np.ones((1, 1))))
    _, (_, c_from_0) = lstm.forward(xs, p, (h0, np.zeros((1, 1))))
    return float((c_from_1 - c_from_0)[0, 0])


@cache
def torch_example() -> dict[str, object]:
    """The torch section's numbers: ``nn.LSTM(D, H)`` built with ``torch.manual_seed(0)``,
    its parameter shapes and largest |weight|, and its outputs on ``xs (T, B, D)``
    compared with rnnlab holding the same parameters."""
    import torch

    T, B, D, H = TORCH_SIZES.values()
    with torch.random.fork_rng(devices=[]):  # the caller's generator is left alone
        torch.manual_seed(0)
        module = torch.nn.LSTM(D, H).double()
    xs = np.random.default_rng(0).normal(size=(T, B, D))
    with torch.no_grad():
        output, (h_n, c_n) = module(torch.from_numpy(xs))
    hs, (h_T, c_T) = lstm.forward(xs, torch_bridge.from_torch(module))
    largest = max(float(w.detach().abs().max()) for w in module.parameters())
    return {
        "shapes": {name: tuple(w.shape) for name, w in module.named_parameters()},
        "n_params": sum(w.numel() for w in module.parameters()),
        "largest": largest,
        "out_shapes": (tuple(output.shape), tuple(h_n.shape), tuple(c_n.shape)),
        "last_vs_hn": float((output[-1] - h_n[0]).abs().max()),
        "last_vs_cn": float((output[-1] - c_n[0]).abs().max()),
        "diff": max(
            float(np.abs(a - b.numpy()).max())
            for a, b in zip((hs, h_T, c_T), (output, h_n[0], c_n[0]), strict=True)
        ),
    }


@cache
def stacked_example() -> dict[str, object]:
    """Two layers by rnnlab, one after the other (layer 2 reads layer 1's ``hs``), against
    ``nn.LSTM(D, H, num_layers=2)`` holding the same parameters."""
    import torch

    T, B, D, H = TORCH_SIZES.values()
    layers = [init.lstm(D, H, seed=10), init.lstm(H, H, seed=11)]  # layer 2's input size is H
    xs = np.random.default_rng(1).normal(size=(T, B, D))
    hs1, (h1, c1) = lstm.forward(xs, layers[0])  # (T, B, H)
    hs2, (h2, c2) = lstm.forward(hs1, layers[1])  # (T, B, H)
    module = torch_bridge.to_torch("lstm", layers)
    with torch.no_grad():
        output, (h_n, c_n) = module(torch.from_numpy(xs))
    ours = (hs2, np.stack([h1, h2]), np.stack([c1, c2]))
    theirs = (output.numpy(), h_n.numpy(), c_n.numpy())
    return {
        "shapes": {name: tuple(w.shape) for name, w in module.named_parameters()},
        "diff": max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True)),
        "hn_shape": tuple(h_n.shape),
    }


def bidirectional(xs: np.ndarray, module) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``nn.LSTM(..., bidirectional=True)``'s ``(output, h_n, c_n)`` computed by rnnlab:
    in every layer one LSTM forwards, one on the reversed sequence (its states flipped
    back), their states side by side; the next layer reads those (T, B, 2H)."""
    finals = []
    for layer in range(module.num_layers):
        ahead, (h_a, c_a) = lstm.forward(xs, torch_bridge.from_torch(module, layer, "forward"))
        back, (h_b, c_b) = lstm.forward(
            xs[::-1], torch_bridge.from_torch(module, layer, "reverse")
        )
        xs = np.concatenate([ahead, back[::-1]], axis=2)  # (T, B, 2H)
        finals += [(h_a, c_a), (h_b, c_b)]
    h_n, c_n = (np.stack(states) for states in zip(*finals, strict=True))
    return xs, h_n, c_n


def bidirectional_example() -> dict[str, object]:
    """``nn.LSTM(D, H, num_layers=2, bidirectional=True)`` against :func:`bidirectional`."""
    import torch

    T, B, D, H = TORCH_SIZES.values()
    torch.manual_seed(0)
    module = torch.nn.LSTM(D, H, num_layers=LAYERS, bidirectional=True).double()
    xs = np.random.default_rng(2).normal(size=(T, B, D))
    with torch.no_grad():
        output, (h_n, c_n) = module(torch.from_numpy(xs))
    theirs = (output.numpy(), h_n.numpy(), c_n.numpy())
    ours = bidirectional(xs, module)
    return {
        "shapes": {"output": tuple(output.shape), "h_n": tuple(h_n.shape)},
        "weight_ih_l1": tuple(module.weight_ih_l1.shape),
        "diff": max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True)),
    }


def worked_vs_torch() -> float:
    """The largest difference between rnnlab and ``nn.LSTM`` on the worked example
    (every h_t and the last c)."""
    xs, state0 = inputs()
    hs, (_, c_T) = lstm.forward(xs, params(), state0)
    torch_hs, (_, torch_c) = torch_bridge.run("lstm", xs, params(), state0)
    return float(max(np.abs(hs - torch_hs).max(), np.abs(c_T - torch_c).max()))


def _agreed(*differences: float) -> float:
    """AGREE, after checking that every rnnlab-vs-torch difference is below it."""
    if not max(differences) < AGREE:
        raise RuntimeError(f"rnnlab and torch differ by {max(differences)} (bound {AGREE})")
    return AGREE


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def swapped_steps() -> list[lstm.Step]:
    """The worked example's two steps with x_1 and x_2 exchanged, by ``rnnlab.lstm.step``."""
    p = params()
    xs, (h, c) = inputs()
    steps = []
    for x in xs[::-1]:
        steps.append(lstm.step(x @ p["W_ih"].T + p["b_ih"], h, c, p))
        h, c = steps[-1].h_t, steps[-1].c_t
    return steps


def other_roads(bias: float = 2.0, seed: int = 5, eps: float = 1e-4) -> tuple[float, float]:
    """The path of :func:`path_setup` with a random ``W_hh``: (∂c_T/∂c_0 by a small change
    ``eps`` of c_0, the product of the run's forget gates)."""
    xs, p = path_setup(bias)
    p = {**p, "W_hh": init.lstm(1, 1, seed=seed)["W_hh"]}
    h0, c0 = np.zeros((1, 1)), np.zeros((1, 1))
    _, (_, c_T) = lstm.forward(xs, p, (h0, c0))
    _, (_, c_T_moved) = lstm.forward(xs, p, (h0, c0 + eps))
    f_product, h, c = 1.0, h0, c0
    for x in xs:
        s = lstm.step(x @ p["W_ih"].T + p["b_ih"], h, c, p)
        f_product, h, c = f_product * float(s.f_t[0, 0]), s.h_t, s.c_t
    return float((c_T_moved - c_T)[0, 0] / eps), f_product


def exercise_numbers() -> dict[str, int | float | str]:
    """The values the solutions of the chapter's exercises cite."""
    out: dict[str, int | float | str] = {}
    half = []
    for t, s in enumerate(swapped_steps(), start=1):
        for gate in "ifgo":
            value = float(getattr(s, f"{gate}_t")[0, 0])
            out[f"lstm_ex_swap_{gate}{t}"] = value
            half += [f"{gate}_{t}"] if value == 0.5 else []
        out |= {f"lstm_ex_swap_c{t}": float(s.c_t[0, 0]), f"lstm_ex_swap_h{t}": float(s.h_t[0, 0])}
    out["lstm_ex_swap_half"] = " and ".join(half)
    change, product = other_roads()
    out |= {"lstm_ex_roads_change": change, "lstm_ex_roads_product": product}
    D, H = TORCH_SIZES["D"], TORCH_SIZES["H"]
    out |= {f"lstm_ex_count_{family}": parameter_count(family, D, H) for family in GATE_BLOCKS}
    layer_2 = parameter_count("lstm", H, H)  # it reads layer 1's h: input size H
    out["lstm_ex_count_two_layers"] = parameter_count("lstm", D, H) + layer_2
    return out


def numbers() -> dict[str, int | float | str]:
    """Every value the chapter cites, as plain ``int``, ``float`` or ``str``."""
    p = params()
    xs, _ = inputs()
    T, _, D = xs.shape
    H = p["W_hh"].shape[1]
    out: dict[str, int | float | str] = {"lstm_T": T, "lstm_D": D, "lstm_H": H, "lstm_4H": 4 * H}
    out |= {f"lstm_{name}": bracketed(value) for name, value in p.items()}
    out["lstm_b_f"] = float(p["b_ih"][H] + p["b_hh"][H])
    out["lstm_n_params"] = sum(v.size for v in p.values())
    for t, row in enumerate(steps(), start=1):
        out[f"lstm_t{t}_x"] = bracketed(row["x"])
        for name in ("a_i", "a_f", "a_g", "a_o", "i", "f", "g", "o", "c", "tanh_c", "h"):
            out[f"lstm_t{t}_{name.replace('_', '')}"] = float(row[name][0])
        out[f"lstm_t{t}_af_x"] = float(row["from_x"][H])  # W_if x_t (H = 1: row H is f)
        out[f"lstm_t{t}_af_h"] = float(row["from_h"][H])  # W_hf h_{t-1}
    out |= ch2_backprop.numbers(p, *inputs())  # the backward pass, L = h_T
    out |= ch2_backprop.highway_numbers(*path_setup(PATH_BIASES[2]))

    out["lstm_path_T"] = PATH_T
    for tag, bias in zip(("low", "mid", "high"), PATH_BIASES, strict=True):
        path_xs, path_p = path_setup(bias)
        out[f"lstm_path_bias_{tag}"] = bias
        out[f"lstm_path_prod_{tag}"] = float(np.prod(forget_gates(path_xs, path_p)))
        out[f"lstm_path_fmean_{tag}"] = float(np.mean(forget_gates(path_xs, path_p)))
    out["lstm_path_change_mid"] = cell_change(*path_setup(PATH_BIASES[1]))

    sizes = TORCH_SIZES
    out |= {f"lstm_torch_{k}": v for k, v in sizes.items()} | {"lstm_torch_4H": 4 * sizes["H"]}
    ex = torch_example()
    for name, shape in ex["shapes"].items():
        out[f"lstm_torch_{name}"] = _shape(shape)
    out["lstm_torch_n_params"] = ex["n_params"]
    out["lstm_torch_bound"] = float(1.0 / np.sqrt(sizes["H"]))
    out["lstm_torch_largest"] = ex["largest"]
    out["lstm_torch_input_shape"] = _shape((sizes["T"], sizes["B"], sizes["D"]))
    for name, shape in zip(("output", "h_n", "c_n"), ex["out_shapes"], strict=True):
        out[f"lstm_torch_{name}_shape"] = _shape(shape)
    out |= {f"lstm_torch_{k}": ex[k] for k in ("last_vs_hn", "last_vs_cn")}

    stacked = stacked_example()
    out["lstm_stack_layers"] = LAYERS
    out["lstm_stack_weight_ih_l1"] = _shape(stacked["shapes"]["weight_ih_l1"])
    out["lstm_stack_weight_hh_l1"] = _shape(stacked["shapes"]["weight_hh_l1"])
    out["lstm_stack_h_n_shape"] = _shape(stacked["hn_shape"])
    both = bidirectional_example()
    out["lstm_bi_output_shape"] = _shape(both["shapes"]["output"])
    out["lstm_bi_h_n_shape"] = _shape(both["shapes"]["h_n"])
    out["lstm_bi_weight_ih_l1"] = _shape(both["weight_ih_l1"])
    out["lstm_agree"] = _agreed(worked_vs_torch(), ex["diff"], stacked["diff"], both["diff"])

    out |= adding_numbers()
    out |= lm_numbers.ch2()  # the language model and the look inside its cells
    return out | exercise_numbers()


def adding_numbers() -> dict[str, int | float | str]:
    """The adding-problem set-up, its reference levels and both trained models' results."""
    kw = long_memory.DEFAULTS
    out: dict[str, int | float | str] = {f"lstm_add_{k}": v for k, v in kw.items()}
    out["lstm_add_tolerance"] = long_memory.TOLERANCE
    out["lstm_add_clip"] = long_memory.CLIP
    out["lstm_add_window"] = SMOOTH
    levels = long_memory.reference_levels(
        *long_memory.held_out(kw["T"], kw["seed"], kw["test_size"])
    )
    out |= {f"lstm_add_{k}": v for k, v in levels.items()}
    for kind in ("RNN", "LSTM"):
        run = long_memory.train(kind)
        tag = kind.lower()
        out[f"lstm_add_{tag}_mse"] = run.test_mse
        out[f"lstm_add_{tag}_accuracy"] = run.test_accuracy
    return out
