"""Attention over a set of encoder states: scores, masked softmax, and the context vector.

A decoder query ``q (B, Dq)`` is compared with every key ``k_s (B, S, Dk)``:

    dot         e_s = q · k_s                               (Luong; needs Dq = Dk)
    scaled_dot  e_s = q · k_s / √Dk                         (Vaswani et al.)
    general     e_s = q W k_s,        W (Dq, Dk)            (Luong)
    additive    e_s = v · tanh(W_q q + W_k k_s),  W_q (A, Dq), W_k (A, Dk), v (A,)  (Bahdanau)

The weights are ``α = softmax(e)`` over the S positions, with masked positions (padding)
set to zero, and the context is ``Σ_s α_s v_s``: the decoder keeps *every* encoder state
and takes a weighted average of them at each step.
"""

import math

import numpy as np

from rnnlab import _validate

KINDS = ("dot", "scaled_dot", "general", "additive")


def _query_keys(query, keys) -> tuple[np.ndarray, np.ndarray]:
    q = _validate.check_shape(
        _validate.as_float_array(query, "query"), "query", (("B", None), ("Dq", None))
    )
    k = _validate.as_float_array(keys, "keys", q.dtype)
    k = _validate.check_shape(k, "keys", (("B", q.shape[0]), ("S", None), ("Dk", None)))
    if k.shape[1] == 0:
        raise ValueError("keys must hold at least one position (S ≥ 1), got S = 0")
    return q, k


def _params(params, kind: str, Dq: int, Dk: int, dtype) -> dict:
    if kind == "general":
        spec = {"W": (("Dq", Dq), ("Dk", Dk))}
    else:  # additive: A, the attention size, is read off v
        if params is None or "v" not in params:
            raise ValueError(
                "additive attention needs params with 'W_q' (A, Dq), "
                "'W_k' (A, Dk) and 'v' (A,); 'v' is missing"
            )
        A = np.shape(params["v"])[0] if np.ndim(params["v"]) == 1 else None
        spec = {"W_q": (("A", A), ("Dq", Dq)), "W_k": (("A", A), ("Dk", Dk)), "v": (("A", A),)}
    if params is None:
        raise ValueError(f"{kind} attention needs params with {', '.join(spec)}; got None")
    return _validate.parameters(params, spec, dtype, f"{kind} attention")


def score(query, keys, kind: str = "dot", params: dict | None = None) -> np.ndarray:
    """Scores ``e (B, S)`` of ``query (B, Dq)`` against ``keys (B, S, Dk)``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    q, k = _query_keys(query, keys)
    Dq, Dk = q.shape[1], k.shape[2]
    if kind in ("dot", "scaled_dot"):
        if Dq != Dk:
            raise ValueError(
                f"{kind} attention needs query and keys of the same size, "
                f"got Dq = {Dq} and Dk = {Dk}; use 'general' or 'additive'"
            )
        e = np.einsum("bd,bsd->bs", q, k)
        return e / math.sqrt(Dk) if kind == "scaled_dot" else e
    p = _params(params, kind, Dq, Dk, q.dtype)
    if kind == "general":
        return np.einsum("bd,de,bse->bs", q, p["W"], k)
    hidden = np.tanh((q @ p["W_q"].T)[:, None, :] + k @ p["W_k"].T)  # (B, S, A)
    return hidden @ p["v"]


def softmax(scores, mask=None) -> np.ndarray:
    """Weights ``(B, S)`` summing to 1 over S; ``mask (B, S)``, True = keep, zeroes the rest.

    A row whose mask keeps nothing has nothing to attend to: that is an error (it would
    otherwise be 0/0 = NaN), reported with the row's index.
    """
    e = _validate.check_shape(
        _validate.as_float_array(scores, "scores"), "scores", (("B", None), ("S", None))
    )
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise ValueError(f"mask must be boolean (True = keep), got dtype {mask.dtype}")
        _validate.check_shape(mask, "mask", (("B", e.shape[0]), ("S", e.shape[1])))
        empty = np.flatnonzero(~mask.any(axis=1))
        if empty.size:
            raise ValueError(
                f"mask keeps no position in row(s) {empty.tolist()}: "
                "every row needs at least one True"
            )
        e = np.where(mask, e, -np.inf)
    e = e - e.max(axis=1, keepdims=True)  # exp never overflows; masked entries give exp(-inf) = 0
    w = np.exp(e)
    return w / w.sum(axis=1, keepdims=True)


def attend(query, keys, values, kind: str = "dot", params: dict | None = None, mask=None):
    """The context ``(B, Dv)`` and the weights ``(B, S)`` of ``query`` over ``values``."""
    weights = softmax(score(query, keys, kind, params), mask)
    B, S = weights.shape
    v = _validate.as_float_array(values, "values", weights.dtype)
    v = _validate.check_shape(v, "values", (("B", B), ("S", S), ("Dv", None)))
    return np.einsum("bs,bsd->bd", weights, v), weights
