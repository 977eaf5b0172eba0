"""Copy parameters between rnnlab's dicts and ``torch.nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``.

torch names a layer's parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``; rnnlab calls them ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` with the same
layout, so the bridge is a renaming. torch is imported inside these functions only.
"""

import numpy as np

TORCH_NAMES = {
    "W_ih": "weight_ih_l{}",
    "W_hh": "weight_hh_l{}",
    "b_ih": "bias_ih_l{}",
    "b_hh": "bias_hh_l{}",
}
FAMILIES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _check_layer(module, layer: int) -> None:
    layers = getattr(module, "num_layers", 0)
    if not 0 <= layer < layers:
        raise ValueError(f"layer must be in [0, {layers}), got {layer}")


def from_torch(module, layer: int = 0, direction: str | None = None) -> dict[str, np.ndarray]:
    """The parameters of ``layer`` of a torch RNN/LSTM/GRU as float numpy arrays (copies).

    A bidirectional module holds two sets per layer: ``direction`` says which,
    ``"forward"`` or ``"reverse"`` (torch's names of the second end in ``_reverse``).
    """
    _check_layer(module, layer)
    suffix = _direction_suffix(module, direction)
    if getattr(module, "proj_size", 0):
        raise ValueError("projected (proj_size > 0) modules are not supported")
    if not getattr(module, "bias", True):
        raise ValueError("modules built with bias=False are not supported: rnnlab needs biases")
    state = dict(module.named_parameters())
    return {
        ours: state[theirs.format(layer) + suffix].detach().cpu().numpy().copy()
        for ours, theirs in TORCH_NAMES.items()
    }


def _direction_suffix(module, direction: str | None) -> str:
    """``""`` or ``"_reverse"``: the end of the names of ``direction``'s parameters."""
    if getattr(module, "bidirectional", False):
        if direction not in ("forward", "reverse"):
            raise ValueError(
                "a bidirectional module is not supported without direction='forward' or "
                f"'reverse', got {direction!r}"
            )
        return "_reverse" if direction == "reverse" else ""
    if direction not in (None, "forward"):
        raise ValueError(f"the module is not bidirectional: no direction {direction!r}")
    return ""


def load_into(module, params: dict, layer: int = 0) -> None:
    """Copy ``params`` into ``layer`` of ``module`` in place (shapes must match)."""
    import torch

    _check_layer(module, layer)
    state = dict(module.named_parameters())
    with torch.no_grad():
        for ours, theirs in TORCH_NAMES.items():
            if ours not in params:
                raise ValueError(f"params is missing {ours!r}; it has {sorted(params)}")
            target = state[theirs.format(layer)]
            value = np.asarray(params[ours])
            if value.shape != tuple(target.shape):
                raise ValueError(
                    f"params[{ours!r}] has shape {value.shape}, but the module's "
                    f"{theirs.format(layer)} has shape {tuple(target.shape)}"
                )
            target.copy_(torch.from_numpy(value))


def to_torch(family: str, params: dict | list[dict], nonlinearity: str = "tanh", dtype=None):
    """A torch module of ``family`` ("rnn", "lstm", "gru") holding ``params``.

    ``params`` is one layer's dict or a list of them (a stacked network). The module's
    dtype follows the parameters' (float64 in tests) unless ``dtype`` is given.
    """
    import torch

    if family not in FAMILIES:
        raise ValueError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    layers = [params] if isinstance(params, dict) else list(params)
    D = np.shape(layers[0]["W_ih"])[1]
    H = np.shape(layers[0]["W_hh"])[1]
    kwargs = {"nonlinearity": nonlinearity} if family == "rnn" else {}
    module = getattr(torch.nn, FAMILIES[family])(D, H, num_layers=len(layers), **kwargs)
    dtype = dtype or getattr(torch, str(np.asarray(layers[0]["W_ih"]).dtype))
    module = module.to(dtype)
    for k, layer in enumerate(layers):
        load_into(module, layer, k)  # copy_ casts to the module's dtype
    return module


def run(family: str, xs, params: dict | list[dict], state0=None, nonlinearity: str = "tanh"):
    """Run torch's module on numpy input; returns numpy ``(hs, final state)`` shaped like
    rnnlab's (``(hs, h_T)``, or ``(hs, (h_T, c_T))`` for the LSTM).

    With a list of layers, ``hs`` and the final state are the top layer's, and ``state0``
    must be None (every layer starts from zeros).
    """
    import torch

    module = to_torch(family, params, nonlinearity)
    if state0 is not None and module.num_layers > 1:
        raise ValueError(
            f"state0 is only supported for a single layer; got a stack of {module.num_layers}"
        )
    dtype = next(module.parameters()).dtype
    with torch.no_grad():
        xs = torch.as_tensor(np.asarray(xs), dtype=dtype)
        out, final = module(xs, _torch_state(family, state0, dtype))
    if family == "lstm":
        return out.numpy(), (final[0][-1].numpy(), final[1][-1].numpy())
    return out.numpy(), final[-1].numpy()


def _torch_state(family: str, state0, dtype):
    """rnnlab's ``state0`` (``h`` or ``(h, c)``, each (B, H)) as torch takes it, (1, B, H)."""
    import torch

    def as_state(s):
        return torch.as_tensor(np.asarray(s), dtype=dtype)[None]

    if state0 is None:
        return None
    return tuple(map(as_state, state0)) if family == "lstm" else as_state(state0)
