"""Torch-style initialisation: every weight and bias drawn from U(-1/√H, 1/√H).

This is what ``torch.nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` do by default, so a model built
here starts from the same distribution as the torch one (not the same numbers: use
``rnnlab.torch_bridge`` to copy those).
"""

import numpy as np

from rnnlab import variant_spec

GATE_COUNT = {"rnn": 1, "lstm": 4, "gru": 3}


def uniform(shapes: dict[str, tuple[int, ...]], H: int, seed=None, dtype=np.float64) -> dict:
    """One array per entry of ``shapes``, drawn from U(-1/√H, 1/√H) with ``seed``."""
    if H < 1:
        raise ValueError(f"hidden size H must be at least 1, got {H}")
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    return {k: rng.uniform(-bound, bound, size=s).astype(dtype) for k, s in shapes.items()}


def recurrent(family: str, D: int, H: int, seed=None, dtype=np.float64) -> dict:
    """Parameters ``W_ih, W_hh, b_ih, b_hh`` of an ``"rnn"``, ``"lstm"`` or ``"gru"``."""
    if family not in GATE_COUNT:
        raise ValueError(f"family must be one of {list(GATE_COUNT)}, got {family!r}")
    _check_input_size(D)
    G = GATE_COUNT[family]
    shapes = {"W_ih": (G * H, D), "W_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
    return uniform(shapes, H, seed, dtype)


def rnn(D: int, H: int, seed=None, dtype=np.float64) -> dict:
    """An RNN's parameters, as ``nn.RNN(D, H)`` would draw them."""
    return recurrent("rnn", D, H, seed, dtype)


def gru(D: int, H: int, seed=None, dtype=np.float64) -> dict:
    """A GRU's parameters, as ``nn.GRU(D, H)`` would draw them."""
    return recurrent("gru", D, H, seed, dtype)


def lstm(D: int, H: int, seed=None, dtype=np.float64, forget_bias: float | None = None) -> dict:
    """An LSTM's parameters, as ``nn.LSTM(D, H)`` would draw them.

    With ``forget_bias`` (Jozefowicz et al. 2015 recommend 1), the forget gate's total
    bias ``b_if + b_hf`` starts at that value: ``b_ih``'s f block is set to it and
    ``b_hh``'s f block to 0, so the cell remembers by default.
    """
    params = recurrent("lstm", D, H, seed, dtype)
    if forget_bias is not None:
        set_forget_bias(params, forget_bias)
    return params


def variant(
    D: int,
    H: int,
    name: str = "peephole",
    seed=None,
    dtype=np.float64,
    forget_bias: float | None = None,
    peepholes: str | None = None,
) -> dict:
    """Parameters for an LSTM variant (peepholes and FGR's ``W_gg`` included)."""
    _check_input_size(D)
    shapes = variant_spec.parameter_shapes(variant_spec.spec(name, peepholes), D, H)
    params = uniform(shapes, H, seed, dtype)
    if forget_bias is not None:
        set_forget_bias(params, forget_bias)
    return params


def _check_input_size(D: int) -> None:
    if D < 1:
        raise ValueError(f"input size D must be at least 1, got {D}")


def set_forget_bias(params: dict, value: float) -> None:
    """Make the LSTM forget gate's total bias ``value`` (in place)."""
    H = params["W_hh"].shape[1]
    params["b_ih"][H : 2 * H] = value
    params["b_hh"][H : 2 * H] = 0.0
