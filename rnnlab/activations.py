"""Elementwise nonlinearities and their derivatives, written for numerical stability."""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed through e^-|x| ≤ 1 so it never overflows and keeps
    its relative accuracy in both tails (σ(-40) ≈ 4.2e-18, not 0)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x), the squashing function of the recurrences."""
    return np.tanh(x)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(x, 0)


def identity(x: np.ndarray) -> np.ndarray:
    """x itself: the 'no activation' of variants such as NIAF and NOAF."""
    return x


# Derivatives written in terms of the activation's *output* y, which backward has cached.
def d_sigmoid(y: np.ndarray) -> np.ndarray:
    """σ'(x) expressed through y = σ(x)."""
    return y * (1.0 - y)


def d_tanh(y: np.ndarray) -> np.ndarray:
    """tanh'(x) expressed through y = tanh(x)."""
    return 1.0 - y * y


def d_relu(y: np.ndarray) -> np.ndarray:
    """relu'(x) expressed through y = relu(x) (0 at x = 0, as torch does)."""
    return (y > 0).astype(y.dtype)


NONLINEARITIES = {"tanh": (tanh, d_tanh), "relu": (relu, d_relu)}
