"""Elementwise nonlinearities and their derivatives, written for numerical stability."""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2.

    This never overflows and is the fastest form in numpy (it sits on the LSTM's hot path).
    Its absolute error stays below 1e-16; what it gives up is relative precision far in
    the negative tail (σ(-40) ≈ 4.2e-18 comes out as 0), where a gate is shut anyway.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * x))


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
