"""torch, set up by hand, as the reference the recurrent families are compared with.

Written independently of ``rnnlab.torch_bridge`` (which has its own tests): the modules are
built here and their parameters copied by torch's own names, in float64.
"""

import numpy as np
import torch
from hypothesis import strategies as st

TORCH_NAMES = {
    "W_ih": "weight_ih_l0",
    "W_hh": "weight_hh_l0",
    "b_ih": "bias_ih_l0",
    "b_hh": "bias_hh_l0",
}

# Small random sizes: every one of T, B, D, H can be 1.
sizes = st.fixed_dictionaries(
    {
        "T": st.integers(1, 5),
        "B": st.integers(1, 3),
        "D": st.integers(1, 4),
        "H": st.integers(1, 4),
        "seed": st.integers(0, 2**32 - 1),
        "with_state": st.booleans(),
    }
)


def tensor(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    """A float64 copy of ``array``, optionally a leaf that records its gradient."""
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=grad)


def module(cls, params: dict, **kwargs) -> torch.nn.Module:
    """``cls(D, H)`` (``torch.nn.RNN``, ``LSTM`` or ``GRU``) in float64 holding ``params``."""
    H, D = params["W_hh"].shape[1], params["W_ih"].shape[1]
    net = cls(D, H, **kwargs).double()
    with torch.no_grad():
        for ours, theirs in TORCH_NAMES.items():
            getattr(net, theirs).copy_(torch.from_numpy(params[ours]))
    return net


def run(net: torch.nn.Module, xs: np.ndarray, state0=None):
    """``net`` on numpy input; returns numpy ``hs (T, B, H)`` and the final state(s) (B, H)."""
    if state0 is not None:
        state0 = (
            tuple(tensor(s)[None] for s in state0)
            if isinstance(state0, tuple)
            else tensor(state0)[None]
        )
    with torch.no_grad():
        out, final = net(tensor(xs), state0)
    if isinstance(final, tuple):
        return out.numpy(), tuple(s[0].numpy() for s in final)
    return out.numpy(), final[0].numpy()


def autograd(net: torch.nn.Module, xs: np.ndarray, d_hs: np.ndarray, state0) -> dict:
    """torch's gradients of ``sum(d_hs * hs)`` for every parameter, ``xs`` and the state.

    ``state0`` is ``h0`` or ``(h0, c0)`` (numpy, (B, H)); the keys are rnnlab's.
    """
    x = tensor(xs, grad=True)
    names = ("h0", "c0") if isinstance(state0, tuple) else ("h0",)
    leaves = [tensor(s, grad=True) for s in (state0 if isinstance(state0, tuple) else (state0,))]
    states = tuple(s[None] for s in leaves)
    out, _ = net(x, states if len(states) == 2 else states[0])
    (out * tensor(d_hs)).sum().backward()
    grads = {ours: getattr(net, theirs).grad.numpy() for ours, theirs in TORCH_NAMES.items()}
    grads["xs"] = x.grad.numpy()
    grads.update({name: leaf.grad.numpy() for name, leaf in zip(names, leaves, strict=True)})
    return grads
