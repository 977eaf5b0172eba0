"""Shared test helpers: finite differences and torch comparisons."""

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to ``x`` (in place)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f()
        x[index] = saved - eps
        down = f()
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def random_params(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]]) -> dict:
    """Standard-normal parameters of the given shapes (larger than torch's init, so that
    every nonlinearity is exercised away from its linear region)."""
    return {key: rng.normal(size=shape) for key, shape in shapes.items()}
