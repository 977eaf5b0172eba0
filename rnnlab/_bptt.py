"""The part of backpropagation through time that every gated family shares.

Each model's backward loop produces, for every step t, the gradient ``dU[t]`` with
respect to its input projection ``U[t] = xs[t] @ W_ih.T + b_ih``. Since that projection
was computed for all steps at once, its gradients are also summed over all steps at once.
"""

import numpy as np


def input_gradients(dU: np.ndarray, xs: np.ndarray, W_ih: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of ``W_ih``, ``b_ih`` and ``xs`` from ``dU (T, B, G·H)``."""
    return {
        "W_ih": np.einsum("tbg,tbd->gd", dU, xs),  # (G·H, D)
        "b_ih": dU.sum(axis=(0, 1)),  # (G·H,)
        "xs": dU @ W_ih,  # (T, B, D)
    }


def recurrent_gradients(dV: np.ndarray, h_prev: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of ``W_hh`` and ``b_hh`` from ``dV (T, B, G·H)``, the gradient of
    ``h_{t-1} @ W_hh.T + b_hh``, and ``h_prev (T, B, H)``, the states it multiplied."""
    return {
        "W_hh": np.einsum("tbg,tbh->gh", dV, h_prev),  # (G·H, H)
        "b_hh": dV.sum(axis=(0, 1)),  # (G·H,)
    }


def previous_states(h0: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """``(h_0, ..., h_{T-1})`` stacked to ``(T, B, H)``: the state each step started from."""
    return np.concatenate([h0[None], hs[:-1]], axis=0)
